"""Fact extraction: what the text says about the other party, the act, dates, amounts and the
place, from the lexicon hits, the date parser, regexes and jieba's place tags."""

from __future__ import annotations

import datetime as dt
import re
import threading
from typing import Any

from bot import config
from bot.triage.dates import latest_event_date, parse_dates
from bot.triage.lexicon import Hit, Lexicon

_CN_NUM = "零〇一二两三四五六七八九十百千万"
AMOUNT_RE = re.compile(
    rf"(?P<num>\d+(?:\.\d+)?|[{_CN_NUM}]+)\s*(?P<unit>万|千|百)?\s*(?P<more>多)?\s*"
    r"(?P<cur>元|块钱|块|万元|圆|人民币)"
)
# An administrative place: a short name before a level word (xx县, 某某镇, 朝阳区…)
PLACE_RE = re.compile(r"(?:[a-z某]{1,3}|[\u4e00-\u9fa5]{2,4}?)"
                      r"(?:省|自治区|市|自治州|区|县|旗|镇|乡|街道)")
# characters that do not occur in place names but do in the words around them
_NOT_IN_PLACE = set("在了的我你他她们把被给跟和与从到说前后天这那个是有就都也还要去来里上下")
_PLACE_STOP = ("小区", "社区", "城区", "景区", "园区", "市场", "超市", "城市", "县城", "市里",
               "区里", "县里", "镇上", "乡下", "街道办")

_jieba_lock = threading.Lock()
_jieba_ready = False


def extract(text: str, hits: list[Hit], lexicon: Lexicon, today: dt.date) -> dict[str, Any]:
    """Facts found in normalised ``text``: JSON-serialisable values only."""
    facts: dict[str, Any] = {}
    parties: list[str] = []
    acts: list[str] = []
    for hit in hits:
        concept = lexicon.concept(hit.concept)
        for key, value in concept.sets.items():
            if hit.negated:
                if value is True:
                    facts[key] = False
                continue
            if key == "party":
                if value not in parties:
                    parties.append(value)
            elif key == "act":
                if value not in acts:
                    acts.append(value)
            else:
                facts.setdefault(key, value)
    if parties:
        facts["party"] = parties[0]
        facts["parties"] = parties
    if acts:
        facts["act"] = acts[0]
        facts["acts"] = acts
    mentions = parse_dates(text, today)
    if mentions:
        facts["dates"] = [{"date": m.date.isoformat(), "text": m.text,
                           "precision": m.precision} for m in mentions]
        latest = latest_event_date(mentions, today)
        if latest:
            facts["event_date"] = latest.isoformat()
    amounts = [m.group(0) for m in AMOUNT_RE.finditer(text)]
    if amounts:
        facts["amounts"] = amounts
    places = places_in(text)
    if places:
        facts["place"] = places[0]
        facts["places"] = places
    return facts


# words jieba tags as place names (ns) that, in citizens' messages, almost never are
_NS_NOT_PLACES = frozenset({"东西", "南北", "东南", "西北", "中外", "内外", "上下", "左右"})


def places_in(text: str) -> list[str]:
    """Place names: administrative-division regex, then jieba's ``ns`` tags as a second net."""
    found: list[str] = []
    for m in PLACE_RE.finditer(text):
        name = m.group(0)
        if (not any(stop in name for stop in _PLACE_STOP) and name not in found
                and not set(name[:-1]) & _NOT_IN_PLACE):
            found.append(name)
    if not found and text:
        for word, flag in _posseg(text[:500]):
            if flag == "ns" and len(word) >= 2 and word not in found and word not in _NS_NOT_PLACES:
                found.append(word)
    return found[:5]


def _posseg(text: str) -> list[tuple[str, str]]:
    """jieba part-of-speech tags, with the project's legal dictionary loaded once.

    jieba's dictionary is process-global: loading ours here also serves the Rasa tokenizer.
    """
    global _jieba_ready
    import jieba
    import jieba.posseg

    with _jieba_lock:
        if not _jieba_ready:
            jieba.setLogLevel(60)
            for path in sorted((config.knowledge_dir() / "lexicon" / "jieba").glob("*.txt")):
                jieba.load_userdict(str(path))
            _jieba_ready = True
    return [(w.word, w.flag) for w in jieba.posseg.lcut(text)]
