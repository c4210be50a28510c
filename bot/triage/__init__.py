"""Triage: from a complaint to the right channel.

    from bot.triage import triage
    result = triage("城管把我三轮车收了还罚了500")
    result.channel, result.alternatives, result.missing, result.articles
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from typing import Any

from bot.triage.result import Deadline, Emergency, Issue, Question, TriageResult

_engine = None
_lock = threading.Lock()


def get_engine() -> Any:
    """The shared TriageEngine (knowledge base, lexicon, rules loaded once per process)."""
    global _engine
    with _lock:
        if _engine is None:
            from bot.triage.engine import TriageEngine

            _engine = TriageEngine()
        return _engine


def triage(text: str, facts: Mapping[str, Any] | None = None, today: dt.date | None = None,
           chosen: str | None = None, must_decide: bool = False) -> TriageResult:
    """Decide the channel for a complaint, or which fact to ask for (see TriageEngine).

    The one decision function of every front door: the chat, the CLI, the practice grader's
    reference and the evaluation all call it."""
    return get_engine().triage(text, facts, today=today, chosen=chosen,
                               must_decide=must_decide)


__all__ = ["Deadline", "Emergency", "Issue", "Question", "TriageResult", "get_engine", "triage"]
