"""Emergencies: the lexicon's emergency hits read in their context, and the advice they call for.

A hit of an emergency concept (knowledge/lexicon/concepts.yaml, group ``emergency``) is a
*signal*; ``sets.emergency`` names the situation it points to (a *kind*). The ``emergency:``
section of knowledge/triage/rules.yaml says how each signal is read and what is answered:

- ``signals``: concept → ``read`` (``always``; ``unless_past``: not when its clause tells of the
  past; ``acute``: also not when it is only feared (万一、要是); ``if_now``: only with a word of the
  present (正在、刚才、还在) or of repetition (天天、又) and no word of the past), optionally
  ``with_any`` (concepts that must also be present) and ``unless_near`` (words of the sentence
  that make it something else, e.g. 派出所 for 被关);
- ``words``: the words those readings look for, and who acts (``self``: 我、俺 …; ``other``: 他、
  老公、对方 …; ``target_self`` after the act: 砍死**我**);
- ``kinds``: hotlines (from hotlines.yaml), the message for the writer (``message``) or for
  someone else (``message_other``), a sentence when it is not the main situation (``also``),
  ``by_other`` (a threat made by someone else is, for the writer, that kind: 他说要砍死我 is
  violence against him, never a warning not to use violence), ``covers`` and ``articles``;
- ``order``: which situation is said first.

Everything here is pure: text and hits in, findings and advice out.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.knowledge.loader import KnowledgeDataError
from bot.triage.result import Emergency

READINGS = ("always", "unless_past", "acute", "if_now")
WORD_LISTS = ("now", "recurring", "past", "hypothetical", "denial", "self", "other",
              "not_subject_after", "reported", "target_self")
SELF, OTHER = "self", "other"
_SENTENCE_END = re.compile(r"[。!?;\n]")
_CLAUSE_END = re.compile(r"[,。!?;:、\n .…]")
_DIGITS = re.compile(r"\d{3,}")
_ACTOR_SPAN = 30  # characters before a hit searched for who acts
_WINDOW_BEFORE, _WINDOW_AFTER = 16, 10  # the clause window read for time words


@dataclass(frozen=True)
class Signal:
    """How one emergency concept is read."""

    read: str
    with_any: tuple[str, ...] = ()
    unless_near: tuple[str, ...] = ()


@dataclass(frozen=True)
class EmergencyRules:
    """The ``emergency:`` section of rules.yaml, checked."""

    kinds: Mapping[str, Mapping[str, Any]]
    order: tuple[str, ...]
    signals: Mapping[str, Signal]
    words: Mapping[str, tuple[str, ...]]
    completed: tuple[re.Pattern, ...]  # after a hit: the act is over (关了三天, 昏迷了两天)
    dated: tuple[re.Pattern, ...] = ()  # a date in the sentence: it tells of the past
    _actor_re: re.Pattern | None = None

    def get(self, kind: str) -> Mapping[str, Any] | None:
        """The spec of a kind (hotlines, message …), or None."""
        return self.kinds.get(kind)


@dataclass(frozen=True)
class Finding:
    """One emergency signal that holds in its context."""

    kind: str
    actor: str  # self: the writer; other: someone else
    concept: str
    text: str


# ---- loading ------------------------------------------------------------------------------
def parse(raw: Any, path: Path, concepts: Collection[str] = (),
          hotlines: Collection[str] = ()) -> EmergencyRules:
    """Check and compile the ``emergency:`` section of rules.yaml."""
    if not raw:
        return EmergencyRules({}, (), {}, {w: () for w in WORD_LISTS}, ())
    if not isinstance(raw, Mapping):
        raise KnowledgeDataError(path, "emergency", "应为映射（kinds、order、signals、words）")
    kinds = raw.get("kinds")
    if not isinstance(kinds, Mapping) or not kinds:
        raise KnowledgeDataError(path, "emergency.kinds", "缺少或不是映射")
    allowed = set(hotlines)
    for kind, spec in kinds.items():
        entry = f"emergency.kinds.{kind}"
        if not isinstance(spec, Mapping) or not isinstance(spec.get("message"), str):
            raise KnowledgeDataError(path, entry, "缺少 message")
        numbers = [str(n) for n in spec.get("hotlines") or []]
        if not numbers:
            raise KnowledgeDataError(path, entry, "缺少 hotlines")
        for key in ("message", "message_other", "also"):
            numbers += _DIGITS.findall(str(spec.get(key) or ""))
        for number in numbers:
            if allowed and number not in allowed:
                raise KnowledgeDataError(path, entry, f"热线 {number} 不在 hotlines.yaml 中")
        for key in ("by_other", *(spec.get("covers") or ())):
            target = spec.get(key) if key == "by_other" else key
            if target is not None and target not in kinds:
                raise KnowledgeDataError(path, entry, f"未知情况 {target}")
    order = tuple(raw.get("order") or ())
    if set(order) != set(kinds) or len(order) != len(kinds):
        raise KnowledgeDataError(path, "emergency.order", "应当恰好列出 kinds 中的每一种情况")
    signals: dict[str, Signal] = {}
    for concept, spec in (raw.get("signals") or {}).items():
        entry = f"emergency.signals.{concept}"
        spec = {"read": spec} if isinstance(spec, str) else dict(spec or {})
        if concepts and concept not in concepts:
            raise KnowledgeDataError(path, entry, f"未知概念 {concept}")
        if spec.get("read") not in READINGS:
            raise KnowledgeDataError(path, entry, f"read 应为 {'/'.join(READINGS)} 之一")
        for other in spec.get("with_any") or ():
            if concepts and other not in concepts:
                raise KnowledgeDataError(path, entry, f"未知概念 {other}")
        signals[concept] = Signal(spec["read"], tuple(spec.get("with_any") or ()),
                                  tuple(str(w) for w in spec.get("unless_near") or ()))
    words_raw = raw.get("words") or {}
    words: dict[str, tuple[str, ...]] = {}
    for name in WORD_LISTS:
        value = words_raw.get(name)
        if not isinstance(value, list) or not all(isinstance(w, str) and w for w in value):
            raise KnowledgeDataError(path, f"emergency.words.{name}", "应为词语列表")
        words[name] = tuple(value)
    regexes: dict[str, list[re.Pattern]] = {"completed": [], "dated": []}
    for name, compiled in regexes.items():
        for source in words_raw.get(name) or ():
            try:
                compiled.append(re.compile(source))
            except re.error as exc:
                raise KnowledgeDataError(path, f"emergency.words.{name}",
                                         f"正则表达式有误 {source!r}：{exc}") from None
    people = sorted({*words["self"], *words["other"]}, key=len, reverse=True)
    actor_re = re.compile("|".join(map(re.escape, people))) if people else None
    return EmergencyRules(dict(kinds), order, signals, words, tuple(regexes["completed"]),
                          tuple(regexes["dated"]), actor_re)


# ---- reading ------------------------------------------------------------------------------
def read(hits: Iterable[Any], text: str, rules: EmergencyRules,
         groups: Mapping[str, str], kinds_of: Mapping[str, str],
         present: Collection[str]) -> list[Finding]:
    """The emergency signals that hold in ``text`` (normalised), in text order.

    ``groups`` / ``kinds_of``: concept id → its group / its ``sets.emergency``; ``present``:
    the concepts not negated (for ``with_any``).
    """
    findings: list[Finding] = []
    for hit in hits:
        if getattr(hit, "negated", False) or groups.get(hit.concept) != "emergency":
            continue
        kind = kinds_of.get(hit.concept)
        signal = rules.signals.get(hit.concept, Signal("always"))
        if kind is None or rules.get(kind) is None:
            continue
        if signal.with_any and not any(c in present for c in signal.with_any):
            continue
        if not _holds(text, hit.start, hit.end, signal, rules):
            continue
        actor = _actor(text, hit.start, hit.end, rules)
        by_other = rules.kinds[kind].get("by_other")
        if actor == OTHER and by_other:
            kind = by_other
        findings.append(Finding(kind, actor, hit.concept, hit.text))
    return findings


def advice(findings: Sequence[Finding], rules: EmergencyRules) -> Emergency | None:
    """One piece of advice for all findings: the first situation in ``order`` speaks (to the
    writer or about someone else), the others add their ``also`` sentence."""
    if not findings:
        return None
    actors: dict[str, str] = {}
    for finding in findings:
        if actors.get(finding.kind) != SELF:  # the writer himself, if any finding says so
            actors[finding.kind] = finding.actor
    covered = {c for kind in actors for c in rules.kinds[kind].get("covers") or ()}
    kinds = [k for k in rules.order if k in actors and k not in covered]
    if not kinds:
        return None
    first = rules.kinds[kinds[0]]
    key = "message_other" if actors[kinds[0]] == OTHER and first.get("message_other") else "message"
    parts = [str(first[key])]
    parts += [str(rules.kinds[k]["also"]) for k in kinds[1:] if rules.kinds[k].get("also")]
    hotlines = list(dict.fromkeys(str(n) for k in kinds for n in rules.kinds[k]["hotlines"]))
    articles = list(dict.fromkeys(str(a) for k in kinds
                                  for a in rules.kinds[k].get("articles") or ()))
    return Emergency(kinds[0], hotlines, "".join(parts), articles=articles, kinds=kinds)


# ---- context ------------------------------------------------------------------------------
def _holds(text: str, start: int, end: int, signal: Signal, rules: EmergencyRules) -> bool:
    words = rules.words
    if _denied(text[max(0, start - 6):start], words["denial"]):
        return False
    sentence = _sentence(text, start, end)
    if signal.unless_near and _contains(sentence, signal.unless_near):
        return False
    if signal.read == "always":
        return True
    before, after, following = _window(text, start, end)
    around = before + text[start:end] + after
    now = _contains(around, words["now"])
    past = (_contains(before + "|" + after + "|" + following, words["past"])
            or any(p.match(text[end:end + _WINDOW_AFTER]) for p in rules.completed))
    if signal.read in ("acute", "if_now"):  # 10月15日下午…被围着打: a dated event is over
        past = past or any(p.search(sentence) for p in rules.dated)
    recurring = _contains(around, words["recurring"])
    if signal.read in ("acute", "if_now") and _contains(before, words["hypothetical"]):
        return False
    if signal.read == "unless_past":  # 天天打我，昨天又… is still going on
        return now or recurring or not past
    if signal.read == "acute":
        return now or not past
    return now or (recurring and not past)


def _actor(text: str, start: int, end: int, rules: EmergencyRules) -> str:
    """Who acts: the writer (self) or someone else (other).

    Someone else when the act is aimed at the writer (砍死我、跟我同归于尽); else the last person
    named before the act in the sentence, not counting one after a preposition (跟他们、给我);
    with nobody named, the writer, unless the act is reported (扬言、威胁、说要).
    """
    words = rules.words
    after = text[end:end + 4]
    if after.startswith("了"):
        after = after[1:]
    if after.startswith(words["target_self"]):
        return OTHER
    lead = text[max(0, start - 2):start]
    if any(lead.endswith(p + s) for p in words["not_subject_after"] for s in words["target_self"]):
        return OTHER  # 跟我拼了、和我同归于尽: the writer is the one it is aimed at
    sentence_start = _sentence_start(text, start)
    span_start = max(sentence_start, start - _ACTOR_SPAN)
    span = text[span_start:start]
    actor = None
    if rules._actor_re is not None:
        for match in rules._actor_re.finditer(span):
            if match.start() > 0 and span[match.start() - 1] in words["not_subject_after"]:
                continue
            actor = SELF if match.group(0) in words["self"] else OTHER
    if actor is None:  # nobody named: the writer, unless he reports it (扬言要杀人)
        return OTHER if _contains(span + text[start:end], words["reported"]) else SELF
    return actor


def _denied(before: str, denials: Iterable[str]) -> bool:
    """A denial right before a hit (我不会自杀、没打我), with at most two words between when
    the denial is a word of two or more characters (我没有想过要…)."""
    for word in denials:
        if before.endswith(word):
            return True
        if len(word) >= 2 and (before[:-1].endswith(word) or before[:-2].endswith(word)):
            return True
    return False


def _window(text: str, start: int, end: int) -> tuple[str, str, str]:
    """The text read for time words around a hit (each part capped): before it in its clause
    and the clause before; after it in its clause; the next clause (read for the past only:
    打破了头，缝了八针)."""
    bounds = [m.start() for m in _CLAUSE_END.finditer(text, 0, start)]
    previous = bounds[-2] + 1 if len(bounds) >= 2 else 0
    lo = max(previous, start - _WINDOW_BEFORE)
    clause_end = _CLAUSE_END.search(text, end)
    hi = clause_end.start() if clause_end else len(text)
    begin = hi
    while begin < len(text) and _CLAUSE_END.match(text, begin):
        begin += 1
    next_end = _CLAUSE_END.search(text, begin)
    nxt = next_end.start() if next_end else len(text)
    return (text[lo:start], text[end:min(hi, end + _WINDOW_AFTER)],
            text[begin:min(nxt, begin + _WINDOW_AFTER)])


def _sentence_start(text: str, start: int) -> int:
    ends = [m.end() for m in _SENTENCE_END.finditer(text, 0, start)]
    return ends[-1] if ends else 0


def _sentence(text: str, start: int, end: int) -> str:
    following = _SENTENCE_END.search(text, end)
    return text[_sentence_start(text, start):following.start() if following else len(text)]


def _contains(text: str, words: Iterable[str]) -> bool:
    return any(w in text for w in words)


__all__ = ["EmergencyRules", "Finding", "Signal", "advice", "parse", "read"]
