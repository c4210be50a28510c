"""The decision rules (knowledge/triage/rules.yaml), validated against the lexicon and the
channel catalogue, and the condition language they use."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot import config
from bot.knowledge.loader import KnowledgeDataError
from bot.triage import emergency as emergency_rules


@dataclass(frozen=True)
class Condition:
    """``all`` of these, at least one of each ``any`` group, ``none`` of these.

    Elements are concept ids, or ``fact=value`` tests on known facts.
    """

    all: tuple[str, ...] = ()
    any: tuple[tuple[str, ...], ...] = ()
    none: tuple[str, ...] = ()

    def holds(self, present: Collection[str]) -> bool:
        """Whether the condition holds for the set of present concepts and fact tests."""
        return (all(c in present for c in self.all)
                and all(any(c in present for c in group) for group in self.any)
                and not any(c in present for c in self.none))

    def elements(self) -> set[str]:
        """Every concept id or fact test the condition names."""
        return {*self.all, *self.none, *(c for group in self.any for c in group)}


@dataclass(frozen=True)
class Rule:
    """A decisive combination of facts."""

    id: str
    when: Condition
    channel: str
    because: str
    alternatives: tuple[str, ...] = ()
    articles: tuple[str, ...] = ()
    deadline_channel: str | None = None
    deadline_limit: str | None = None
    no_deadline: bool = False  # the channel's limits do not apply to this situation


@dataclass(frozen=True)
class AskRule:
    """When a decision lands on ``channels`` and ``when`` holds, ``fact`` is worth asking."""

    id: str
    when: Condition
    channels: tuple[str, ...]
    fact: str


@dataclass(frozen=True)
class RuleSet:
    """Everything in rules.yaml."""

    settings: dict[str, float]
    rules: tuple[Rule, ...]
    ask: tuple[AskRule, ...]
    questions: dict[str, dict[str, Any]]
    emergency: emergency_rules.EmergencyRules = field(
        default_factory=lambda: emergency_rules.parse(None, Path("rules.yaml")))
    issue_markers: tuple[str, ...] = ()
    exclude: tuple[tuple[Condition, tuple[str, ...]], ...] = ()  # facts that rule channels out

    def setting(self, name: str) -> float:
        """A numeric setting."""
        return float(self.settings[name])


SETTINGS = ("answer_min_score", "alternative_ratio", "max_alternatives", "nlu_weight",
            "nlu_min_confidence", "rule_confidence", "multi_issue_min_score",
            "nlu_only_min_chars")


def _condition(raw: Any, path: Path, entry: str) -> Condition:
    if not isinstance(raw, Mapping):
        raise KnowledgeDataError(path, entry, "when 应为 {all, any, none}")
    any_raw = raw.get("any") or []
    if any_raw and all(isinstance(x, str) for x in any_raw):
        any_raw = [any_raw]
    return Condition(tuple(raw.get("all") or ()), tuple(tuple(g) for g in any_raw),
                     tuple(raw.get("none") or ()))


def load_rules(path: Path | None = None, concepts: Collection[str] = (),
               channels: Mapping[str, Any] | None = None,
               hotlines: Collection[str] = ()) -> RuleSet:
    """Load rules.yaml; check concept ids, channel codes, limits, questions and hotlines."""
    path = path or config.knowledge_dir() / "triage" / "rules.yaml"
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise KnowledgeDataError(path, "文件", f"无法读取：{exc}") from None
    if not isinstance(data, Mapping):
        raise KnowledgeDataError(path, "文件", "顶层应为映射")
    settings = dict(data.get("settings") or {})
    for name in SETTINGS:
        if not isinstance(settings.get(name), int | float):
            raise KnowledgeDataError(path, f"settings.{name}", "缺少或不是数字")
    questions = dict(data.get("questions") or {})

    def check(cond: Condition, entry: str) -> None:
        for element in cond.elements():
            name = element.split("=", 1)[0]
            if "=" not in element and concepts and name not in concepts:
                raise KnowledgeDataError(path, entry, f"未知概念 {name}")

    def check_channel(code: str | None, entry: str) -> None:
        if code is not None and channels is not None and code not in channels:
            raise KnowledgeDataError(path, entry, f"未知渠道 {code}")

    rules = []
    for index, raw in enumerate(data.get("rules") or [], start=1):
        entry = f"rules[{index}] {raw.get('id', '')}".strip()
        cond = _condition(raw.get("when"), path, entry)
        check(cond, entry)
        check_channel(raw.get("channel"), entry)
        for alt in raw.get("alternatives") or []:
            check_channel(alt, entry)
        deadline = raw.get("deadline") or {}
        target = deadline.get("channel", raw.get("channel"))
        check_channel(target, entry)
        limit = deadline.get("limit")
        if limit and channels is not None:
            limits = [lim["id"] for lim in channels[target].get("time_limits") or []]
            if limit not in limits:
                raise KnowledgeDataError(path, entry, f"渠道 {target} 没有期限 {limit}")
        if not raw.get("because"):
            raise KnowledgeDataError(path, entry, "缺少 because（一句话理由）")
        rules.append(Rule(raw["id"], cond, raw["channel"], raw["because"],
                          tuple(raw.get("alternatives") or ()), tuple(raw.get("articles") or ()),
                          deadline.get("channel"), limit, bool(deadline.get("none"))))
    ask = []
    for index, raw in enumerate(data.get("ask") or [], start=1):
        entry = f"ask[{index}] {raw.get('id', '')}".strip()
        cond = _condition(raw.get("when"), path, entry)
        check(cond, entry)
        for code in raw.get("channels") or []:
            check_channel(code, entry)
        if raw.get("fact") not in questions:
            raise KnowledgeDataError(path, entry, f"questions 中没有 {raw.get('fact')}")
        ask.append(AskRule(raw["id"], cond, tuple(raw.get("channels") or ()), raw["fact"]))
    emergency = emergency_rules.parse(data.get("emergency"), path, concepts, hotlines)
    markers = tuple(str(m) for m in data.get("issue_markers") or ())
    exclude = []
    for index, raw in enumerate(data.get("exclude") or [], start=1):
        entry = f"exclude[{index}]"
        cond = _condition(raw.get("when"), path, entry)
        check(cond, entry)
        codes = tuple(raw.get("channels") or ())
        if not codes:
            raise KnowledgeDataError(path, entry, "缺少 channels")
        for code in codes:
            check_channel(code, entry)
        exclude.append((cond, codes))
    return RuleSet(settings, tuple(rules), tuple(ask), questions, emergency, markers,
                   tuple(exclude))
