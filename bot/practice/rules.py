"""The grading rules: knowledge/practice/grading.yaml, loaded and validated.

Problems are reported as :class:`~bot.knowledge.KnowledgeDataError` naming the file and the
entry (``scoring.gap_chars``, ``channels.labour_arbitration`` …), like every knowledge file.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.knowledge.citations import Citation
from bot.knowledge.loader import KnowledgeDataError, _read_yaml
from bot.practice.phrases import Negation, PhraseSet
from bot.practice.refs import KnowledgeView

# The graded items, in the order they are shown.
ITEMS = ("channel", "body", "time_limit", "articles", "no_wrong_article", "notice", "wording",
         "no_promise")
TOTAL = 100
GRADING_FILE = "grading.yaml"

_TOP_KEYS = {"items", "scoring", "channels", "neutral", "negation", "notice", "wording",
             "promises", "general", "references", "feedback", "validation"}
_SCORING = {"acceptable_channel_share": float, "invented_article_penalty": int,
            "wrong_article_penalty": int, "gap_chars": int, "context_chars": int,
            "wrong_answer_max": int, "hedge_channels": int}
# feedback keys each item must have, and the placeholders their sentences may use
_FEEDBACK: dict[str, dict[str, set[str]]] = {
    "channel": {"right": {"channel"}, "acceptable": {"named", "channel"},
                "hedged": {"channel", "others"},
                "wrong": {"named", "channel"}, "rejected_right": {"channel"},
                "missing": {"channel"}, "rejected_note": {"rejected"}},
    "body": {"right": {"found"}, "missing": {"expected"}},
    "time_limit": {"right": {"found"}, "none_needed": set(), "wrong_channel": set(),
                   "missing": {"expected"}},
    "articles": {"all": {"found"}, "partial": {"found", "missing"}, "missing": {"missing"},
                 "finer_note": {"cited", "ref"}, "other_part_note": {"cited", "ref"}},
    "no_wrong_article": {"clean": set(), "invented": {"cited", "reason"},
                         "wrong": {"cited", "channels"}, "extra_note": {"cited"},
                         "outdated_note": {"cited", "reason"},
                         "unknown_note": {"cited", "law"}},
    "notice": {"all": {"found"}, "partial": {"found", "missing"}, "missing": {"missing"},
               "route_wrong_note": set()},
    "wording": {"right": set(), "partial": {"missing"}, "improper": {"found"}},
    "no_promise": {"right": set(), "wrong": {"found"}},
    "summary": {"score": {"score"}, "model_answer": {"answer"}, "no_content": set()},
}


@dataclass(frozen=True)
class PhraseGroup:
    """A named group of phrases (a 告知 element, a kind of polite wording)."""

    id: str
    name: str
    phrases: PhraseSet


@dataclass(frozen=True)
class GradingRules:
    """Everything grading.yaml says, compiled."""

    path: str
    weights: Mapping[str, int]
    labels: Mapping[str, str]
    acceptable_share: float
    hedge_channels: int  # other routes named besides the right one that make it a hedge
    invented_penalty: int
    wrong_penalty: int
    gap_chars: int
    context_chars: int
    wrong_answer_max: int
    channel_phrases: Mapping[str, tuple[str, ...]]
    neutral: tuple[str, ...]
    negation: Negation
    notice: Mapping[str, PhraseGroup]
    wording_groups: tuple[PhraseGroup, ...]
    improper: PhraseSet
    promises: PhraseSet
    general_refs: tuple[Citation, ...]
    default_law: str
    lead_ins: tuple[str, ...]
    same_law: tuple[str, ...]
    feedback: Mapping[str, Mapping[str, str]]
    generic_wrong_answer: str  # validation: {phrase} a wrong channel's phrase, {article} invented

    def say(self, item: str, key: str, **values: Any) -> str:
        """A feedback sentence of grading.yaml with its placeholders filled."""
        return self.feedback[item][key].format(**values)


def load_rules(path: Path, view: KnowledgeView) -> GradingRules:
    """Load and validate grading.yaml against the knowledge base ``view``."""
    data = _read_yaml(path)
    if not isinstance(data, Mapping):
        raise KnowledgeDataError(path, "文件", "顶层应为映射")
    unknown = sorted(set(map(str, data)) - _TOP_KEYS)
    if unknown:
        raise KnowledgeDataError(path, "文件", f"未知字段 {'、'.join(unknown)}")
    missing = sorted(_TOP_KEYS - set(data))
    if missing:
        raise KnowledgeDataError(path, "文件", f"缺少字段 {'、'.join(missing)}")

    items = _mapping(data, "items", path, "items")
    if list(items) != list(ITEMS):
        raise KnowledgeDataError(path, "items", f"评分项应依次为 {'、'.join(ITEMS)}")
    weights: dict[str, int] = {}
    labels: dict[str, str] = {}
    for key in ITEMS:
        entry = _mapping(items, key, path, f"items.{key}")
        weight = entry.get("weight")
        if not _is_int(weight) or weight < 0:
            raise KnowledgeDataError(path, f"items.{key}", "weight 应为非负整数")
        weights[key] = weight
        labels[key] = _text(entry, "label", path, f"items.{key}")
    if sum(weights.values()) != TOTAL:
        raise KnowledgeDataError(path, "items", f"各项分值合计应为 {TOTAL}，现为 "
                                                 f"{sum(weights.values())}")

    scoring = _mapping(data, "scoring", path, "scoring")
    values: dict[str, Any] = {}
    for key, kind in _SCORING.items():
        value = scoring.get(key)
        ok = isinstance(value, int | float) and not isinstance(value, bool) if kind is float \
            else _is_int(value)
        if not ok or value < 0:
            raise KnowledgeDataError(path, f"scoring.{key}", "应为非负数")
        values[key] = value
    if not 0 <= values["acceptable_channel_share"] <= 1:
        raise KnowledgeDataError(path, "scoring.acceptable_channel_share", "应在 0 和 1 之间")
    if not 0 < values["wrong_answer_max"] < TOTAL:
        raise KnowledgeDataError(path, "scoring.wrong_answer_max", "应在 1 和 99 之间")
    gap = values["gap_chars"]

    raw_channels = _mapping(data, "channels", path, "channels")
    unknown_codes = sorted(set(map(str, raw_channels)) - set(view.channels))
    if unknown_codes:
        raise KnowledgeDataError(path, f"channels.{unknown_codes[0]}",
                                 "不是 channels.yaml 中的渠道代码")
    lacking = [code for code in view.channels if code not in raw_channels]
    if lacking:
        raise KnowledgeDataError(path, f"channels.{lacking[0]}", "缺少这个渠道的说法")
    channel_phrases = {code: tuple(_words(raw_channels, code, path, f"channels.{code}"))
                       for code in view.channels}

    negation_raw = _mapping(data, "negation", path, "negation")
    breaks = negation_raw.get("clause_breaks")
    if not isinstance(breaks, str) or not breaks:
        raise KnowledgeDataError(path, "negation.clause_breaks", "应为非空字符串")
    negation = Negation(_words(negation_raw, "before", path, "negation.before"),
                        _words(negation_raw, "after", path, "negation.after"),
                        _words(negation_raw, "reset", path, "negation.reset"), breaks,
                        _words(negation_raw, "except", path, "negation.except", required=False))

    notice_raw = _mapping(data, "notice", path, "notice")
    notice = {}
    for key, raw in notice_raw.items():
        entry = f"notice.{key}"
        raw = _mapping(notice_raw, key, path, entry)
        notice[str(key)] = PhraseGroup(str(key), _text(raw, "name", path, entry),
                                       PhraseSet(_words(raw, "phrases", path, entry), gap))
    if not notice:
        raise KnowledgeDataError(path, "notice", "至少需要一个告知要素")

    wording = _mapping(data, "wording", path, "wording")
    excepts = _words(wording, "except", path, "wording.except", required=False)
    groups_raw = _mapping(wording, "groups", path, "wording.groups")
    groups = tuple(
        PhraseGroup(str(key), _text(_mapping(groups_raw, key, path, f"wording.groups.{key}"),
                                    "name", path, f"wording.groups.{key}"),
                    PhraseSet(_words(groups_raw[key], "phrases", path, f"wording.groups.{key}"),
                              gap, excepts))
        for key in groups_raw)
    if not groups:
        raise KnowledgeDataError(path, "wording.groups", "至少需要一组")
    improper = PhraseSet(_words(wording, "improper", path, "wording.improper"), gap)

    promises_raw = _mapping(data, "promises", path, "promises")
    promises = PhraseSet(_words(promises_raw, "phrases", path, "promises"), gap,
                         _words(promises_raw, "except", path, "promises.except", required=False))

    general_raw = _mapping(data, "general", path, "general")
    general = []
    for ref in _words(general_raw, "articles", path, "general.articles"):
        try:
            general.append(view.checked(ref))
        except ValueError as exc:
            raise KnowledgeDataError(path, f"general.articles {ref}", str(exc)) from None

    references = _mapping(data, "references", path, "references")
    default_law = _text(references, "default_law", path, "references")
    if default_law not in view.aliases:
        raise KnowledgeDataError(path, "references.default_law", f"未收录的法律：{default_law}")
    lead_ins = tuple(_words(references, "lead_ins", path, "references.lead_ins"))
    same_law = tuple(_words(references, "same_law", path, "references.same_law"))

    feedback = _feedback(_mapping(data, "feedback", path, "feedback"), path)
    validation = _mapping(data, "validation", path, "validation")
    generic = _text(validation, "generic_wrong_answer", path, "validation")
    used = {name for _, name, _, _ in string.Formatter().parse(generic) if name}
    if used != {"phrase", "article"}:
        raise KnowledgeDataError(path, "validation.generic_wrong_answer",
                                 "应含且只含占位符 {phrase} 和 {article}")

    return GradingRules(
        path=str(path), weights=weights, labels=labels,
        acceptable_share=float(values["acceptable_channel_share"]),
        hedge_channels=values["hedge_channels"],
        invented_penalty=values["invented_article_penalty"],
        wrong_penalty=values["wrong_article_penalty"], gap_chars=gap,
        context_chars=values["context_chars"], wrong_answer_max=values["wrong_answer_max"],
        channel_phrases=channel_phrases,
        neutral=tuple(_words(data, "neutral", path, "neutral")), negation=negation,
        notice=notice, wording_groups=groups, improper=improper, promises=promises,
        general_refs=tuple(general), default_law=default_law, lead_ins=lead_ins, same_law=same_law,
        feedback=feedback, generic_wrong_answer=generic)


def _feedback(raw: Mapping, path: Path) -> dict[str, dict[str, str]]:
    result: dict[str, dict[str, str]] = {}
    for item, keys in _FEEDBACK.items():
        section = _mapping(raw, item, path, f"feedback.{item}")
        extra = sorted(set(map(str, section)) - set(keys))
        if extra:
            raise KnowledgeDataError(path, f"feedback.{item}", f"未知的键 {'、'.join(extra)}")
        result[item] = {}
        for key, allowed in keys.items():
            entry = f"feedback.{item}.{key}"
            sentence = _text(section, key, path, f"feedback.{item}", key_name=key)
            used = {name for _, name, _, _ in string.Formatter().parse(sentence) if name}
            if used - allowed:
                unknown = "、".join(sorted(used - allowed))
                raise KnowledgeDataError(path, entry, f"未知占位符 {unknown}"
                                         f"（可用：{'、'.join(sorted(allowed)) or '无'}）")
            result[item][key] = sentence
    return result


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _mapping(data: Mapping, key: Any, path: Path, entry: str) -> Mapping:
    value = data.get(key)
    if not isinstance(value, Mapping):
        raise KnowledgeDataError(path, entry, "缺少或不是映射")
    return value


def _text(data: Mapping, key: str, path: Path, entry: str, key_name: str | None = None) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise KnowledgeDataError(path, entry, f"缺少字段 {key_name or key}（应为非空文字）")
    return value.strip()


def _words(data: Mapping, key: str, path: Path, entry: str, required: bool = True) -> list[str]:
    value = data.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list) or not value:
        raise KnowledgeDataError(path, entry, f"{key} 应为非空列表")
    words = [str(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in value]
    if not all(isinstance(w, str) and w.strip() for w in words):
        raise KnowledgeDataError(path, entry, f"{key} 应为非空字符串列表")
    return [w.strip() for w in words]
