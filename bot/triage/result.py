"""What triage returns: plain dataclasses, JSON-serialisable through ``to_dict()``."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Question:
    """A decisive fact not yet known, and the plain-Chinese question that asks for it."""

    fact: str  # e.g. "party", "arbitration_clause", "decision_date"
    question: str  # e.g. 对方是政府部门、用人单位，还是个人或公司？
    options: list[dict[str, str]] = field(default_factory=list)  # [{"title", "value"}] buttons
    why: str = ""  # why the fact matters, said when the citizen cannot answer


@dataclass
class Deadline:
    """The channel's main time limit, and the due date when a start date is known."""

    limit_id: str
    label: str
    text: str  # 60日（自知道或者应当知道该行政行为之日起），最后一日为…
    due: dt.date | None = None
    start: dt.date | None = None
    no_limit: bool = False
    overdue: bool = False
    grounds: list[str] = field(default_factory=list)
    explain: str = ""


@dataclass
class Emergency:
    """A threat to life or safety: the advice comes before any route."""

    kind: str  # the situation said first (rules.yaml emergency.kinds: self_harm, violence …)
    hotlines: list[str]  # from knowledge/hotlines.yaml: 110, 120, 12356
    message: str
    articles: list[str] = field(default_factory=list)  # references grounding the advice
    kinds: list[str] = field(default_factory=list)  # every situation found, the first first


@dataclass
class Issue:
    """One problem of a message that holds several."""

    text: str
    channel: str | None
    alternatives: list[str] = field(default_factory=list)
    confidence: float = 0.0
    reason: str = ""
    articles: list[str] = field(default_factory=list)


@dataclass
class TriageResult:
    """The decision for one message.

    ``channel`` is a code of shared/legal-routes.md, or None when the bot must ask first
    (then ``missing`` says what to ask and ``alternatives`` holds the candidates).
    """

    channel: str | None
    alternatives: list[str] = field(default_factory=list)
    confidence: float = 0.0
    facts: dict[str, Any] = field(default_factory=dict)
    missing: list[Question] = field(default_factory=list)
    deadline: Deadline | None = None
    issues: list[Issue] = field(default_factory=list)
    articles: list[str] = field(default_factory=list)  # citations, e.g. 条例 第31条 第4项
    reason: str = ""
    emergency: Emergency | None = None
    explanation: list[str] = field(default_factory=list)  # what decided (for --explain)

    @property
    def asks(self) -> bool:
        """True when the bot asks for a fact instead of answering."""
        return self.channel is None

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (dates as ISO strings)."""
        return _jsonable(asdict(self))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
