"""Phrase matching for grading: one canonical text form, phrases with gaps, negation.

Everything here is pure and works on the *matching form* of a text (:func:`match_form`):
:func:`bot.triage.normalize.normalize` (NFKC, 繁→简, no emoji or control characters), without
spaces, with Chinese numerals before a unit of time written in digits (``六十日`` → ``60日``,
``一年`` → ``1年``) and ``天`` after a number written ``日`` (``60天`` → ``60日``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.knowledge.numerals import cn_to_int
from bot.triage.normalize import normalize

GAP = "…"  # in a phrase: up to ``gap_chars`` characters of the same sentence

_SPACE_RE = re.compile(r"\s+")
_CN_NUMBER_RE = re.compile(
    r"[零〇一二两三四五六七八九十百千]+(?=个?(?:工作日|月|日|天|年|周|小时))")
_DAYS_RE = re.compile(r"(\d+)天")
_SENTENCE_BREAKS = "。;!?\n"


def match_form(text: str) -> str:
    """The canonical form phrases are matched against (see the module docstring)."""
    text = _SPACE_RE.sub("", normalize(text))
    text = _CN_NUMBER_RE.sub(lambda m: _cn_digits(m.group()), text)
    return _DAYS_RE.sub(r"\1日", text)


def _cn_digits(numeral: str) -> str:
    try:
        return str(cn_to_int(numeral))
    except ValueError:
        return numeral


@dataclass(frozen=True)
class Hit:
    """One occurrence of a phrase in a matching-form text."""

    start: int
    end: int
    phrase: str


class PhraseSet:
    """A list of phrases (``…`` = a short gap inside one sentence), found in matching-form text.

    ``excepts``: words whose occurrences hide the phrases overlapping them (``申请`` hides the
    ``请`` in it).
    """

    def __init__(self, phrases: Iterable[str], gap_chars: int = 20,
                 excepts: Iterable[str] = ()) -> None:
        """Compile ``phrases`` (written in any form; they are brought to the matching form)."""
        self.phrases = tuple(dict.fromkeys(p for p in phrases if p and p.strip()))
        gap = f"[^{re.escape(_SENTENCE_BREAKS)}]{{0,{gap_chars}}}?"
        self._patterns = [
            (phrase, re.compile(gap.join(re.escape(match_form(part))
                                         for part in phrase.split(GAP) if part.strip())))
            for phrase in self.phrases
        ]
        self._excepts = [re.compile(re.escape(match_form(w))) for w in excepts if w.strip()]

    def hits(self, form: str) -> list[Hit]:
        """Every occurrence of every phrase (overlapping ones too), in text order."""
        hidden = [(m.start(), m.end()) for rx in self._excepts for m in rx.finditer(form)]
        found = []
        for phrase, rx in self._patterns:
            for m in rx.finditer(form):
                if m.end() == m.start():
                    continue
                if any(m.start() < e and s < m.end() for s, e in hidden):
                    continue
                found.append(Hit(m.start(), m.end(), phrase))
        return sorted(found, key=lambda h: (h.start, -h.end, h.phrase))

    def found(self, form: str) -> list[str]:
        """The phrases that occur, each once, in the order of their first occurrence."""
        return list(dict.fromkeys(h.phrase for h in self.hits(form)))


class Negation:
    """Decides whether a phrase occurrence is negated or rejected in its clause.

    Negated: a ``before`` word earlier in the same clause with no ``reset`` word between it and
    the phrase (``这不是行政复议的事``, ``不属于劳动仲裁``; but ``不是…而是劳动仲裁`` is not), or
    an ``after`` word later in the clause (``行政复议不适用``).
    """

    def __init__(self, before: Sequence[str], after: Sequence[str], reset: Sequence[str],
                 clause_breaks: str, excepts: Sequence[str] = ()) -> None:
        """Words as in grading.yaml ``negation``; they are brought to the matching form.
        ``excepts``: words whose negation is about something else (不要耽误, 是不是)."""
        self._excepts = [match_form(w) for w in excepts if w.strip()]
        self._before = [match_form(w) for w in before if w.strip()]
        self._after = [match_form(w) for w in after if w.strip()]
        self._reset = [match_form(w) for w in reset if w.strip()]
        self._breaks = set(clause_breaks) | set(_SENTENCE_BREAKS) | {"。"}

    def clause(self, form: str, start: int, end: int) -> tuple[int, int]:
        """The clause around ``form[start:end]``: from after the previous break to the next."""
        left = start
        while left > 0 and form[left - 1] not in self._breaks:
            left -= 1
        right = end
        while right < len(form) and form[right] not in self._breaks:
            right += 1
        return left, right

    def is_negated(self, form: str, start: int, end: int) -> bool:
        """Whether the occurrence ``form[start:end]`` is negated (see the class docstring)."""
        left, right = self.clause(form, start, end)
        before = form[left:start]
        for word in self._excepts:  # blank out negations that are about something else
            before = before.replace(word, "_" * len(word))
        marker_end = max((before.rfind(w) + len(w) for w in self._before if w in before),
                         default=-1)
        if marker_end >= 0 and not any(r in before[marker_end:] for r in self._reset):
            return True
        after = form[end:right]
        return any(w in after for w in self._after)


def claim(hits: Sequence[tuple[Hit, object]]) -> list[tuple[Hit, object]]:
    """Longest phrases first, keep the occurrences that overlap no kept one (text order).

    ``hits`` pairs each occurrence with a payload (e.g. the channels a phrase names); several
    phrases at the same span (one phrase listed for two channels) are all kept.
    """
    order = sorted(hits, key=lambda hp: (-(hp[0].end - hp[0].start), hp[0].start))
    kept: list[tuple[Hit, object]] = []
    spans: list[tuple[int, int]] = []
    for hit, payload in order:
        if (hit.start, hit.end) in spans:
            kept.append((hit, payload))
            continue
        if any(hit.start < e and s < hit.end for s, e in spans):
            continue
        spans.append((hit.start, hit.end))
        kept.append((hit, payload))
    return sorted(kept, key=lambda hp: hp[0].start)
