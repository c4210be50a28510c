"""Find the dates a complaint mentions, relative to the day it was written.

``parse_dates("上个月15号被打了，3天前去派出所", today)`` gives two :class:`DateMention`s. The
text may be raw (full-width digits, 繁體) or normalised; ``DateMention.text`` is always the
matched part of the text as given. Understood:

- absolute: ``2026年3月2日``, ``2026-03-02``, ``2026/3/2``, ``2026.3.2``, ``二〇二六年三月二号``,
  ``2026年3月``, ``2025年``, ``2025年底``;
- month and day without a year: ``3月2日`` / ``三月二号`` (this year, or last year when that
  would be more than ``FUTURE_TOLERANCE_DAYS`` ahead), ``3月`` / ``3月份``, ``3月底``;
- relative to the month: ``上个月15号``, ``这个月3号``, ``本月初``, ``上月底``, ``上个月``,
  ``月底``, a bare ``15号`` (this month, or last month when ahead);
- relative to the year: ``去年``, ``今年``, ``前年``, ``去年3月``, ``去年年底``, ``去年初``,
  ``今年初``, ``年初``, ``去年下半年``;
- relative days and weeks: ``今天``, ``昨天``, ``前天``, ``大前天``, ``明天``, ``前几天``,
  ``上周五``, ``上星期三``, ``上礼拜一``, ``这周二``, ``上周``, ``星期三`` (most recent one);
- ago: ``3天前``, ``两周前``, ``半个月前``, ``一个多月前``, ``两个月前``, ``半年前``, ``3年前``.

Conventions: ``date`` is the best single day for the mention. A month (``上个月``, ``去年3月``)
is its 1st with precision ``"month"``, a year its 1 January with precision ``"year"``. Parts
of a month are days with ``approximate=True`` (初/上旬 → 1st, 中旬 → 15th, 下旬 → 25th, 底/末
→ last day); parts of a year have precision ``"month"`` (年初 → 1 January, 年中 → 1 July,
年底 → 31 December), also approximate. Offsets (``两周前``, ``半年前``) count back from
``today`` and are approximate except whole days (``3天前``).

Not dates (deliberately not matched): durations and limits such as ``3个月工资``, ``15日内``,
``1年``, ``3天后``; amounts; article numbers (``第31条``); ``3号楼``, ``15号文``; a bare
``15日``; compact ``20261126``; lunar or festival dates (``春节前``, ``初三``).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from bot.triage.normalize import to_simplified

__all__ = ["DateMention", "Precision", "latest_event_date", "parse_dates"]

Precision = Literal["day", "month", "year"]

FUTURE_TOLERANCE_DAYS = 3  # "3月2日" up to this many days ahead is this year, else last year
_MIN_YEAR = 1900
_MAX_YEARS_AHEAD = 10


@dataclass(frozen=True)
class DateMention:
    """One date found in a text."""

    date: date
    text: str  # the matched words, as written
    precision: Precision
    approximate: bool
    span: tuple[int, int] = field(default=(-1, -1), compare=False)  # offsets in the text


# --- numbers -------------------------------------------------------------------------------

_CN_DIGIT = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
             "七": 7, "八": 8, "九": 9}  # fmt: skip


def _to_int(s: str) -> int | None:
    """``15`` / ``十五`` / ``二十三`` / ``廿一`` / ``二〇二六`` → int."""
    if s.isdigit() and s.isascii():
        return int(s)
    if s and all(ch in _CN_DIGIT for ch in s):
        if len(s) == 1:
            return _CN_DIGIT[s]
        if "两" in s:
            return None
        return int("".join(str(_CN_DIGIT[ch]) for ch in s))  # 二〇二六
    total = cur = 0
    for ch in s:
        if ch in _CN_DIGIT:
            cur = _CN_DIGIT[ch]
        elif ch == "十":
            total += (cur or 1) * 10
            cur = 0
        elif ch == "廿":
            total += 20
            cur = 0
        elif ch == "百":
            total += (cur or 1) * 100
            cur = 0
        else:
            return None
    return total + cur


# --- calendar helpers ----------------------------------------------------------------------


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _last_day(y: int, m: int) -> int:
    return calendar.monthrange(y, m)[1]


def _add_months(d: date, months: int) -> date:
    index = d.year * 12 + d.month - 1 + months
    y, m = divmod(index, 12)
    return date(y, m + 1, min(d.day, _last_day(y, m + 1)))


def _sane_year(y: int, today: date) -> bool:
    return _MIN_YEAR <= y <= today.year + _MAX_YEARS_AHEAD


# --- building blocks -----------------------------------------------------------------------

_NUM_BEFORE = r"(?<![\d〇零一二两三四五六七八九十廿百千万几第每个.])"
_Y4 = r"(?:19|20)\d{2}|[一二][〇零一二三四五六七八九]{3}"
_YEAR = rf"(?:(?P<ya>{_Y4})\s?年|(?P<yr>大前年|(?<![提之以])前年|去年|今年|明年))"
_MONTH = r"(?P<m>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])\s?月"
_DAY = (
    r"(?P<d>3[01]|[12]\d|0?[1-9]|三十一?|二十[一二三四五六七八九]?|廿[一二三四五六七八九]?"
    r"|十[一二三四五六七八九]?|[一二三四五六七八九])\s?"
)
_MONTH_PART = r"(?P<part>上旬|中旬|下旬|初|底|末)"
_YEAR_PART = r"(?P<ypart>上半年|下半年|年初|年中|年底|年末|初|底|末)"
_MREL = r"(?P<mr>上上个?月|上个?月|这个?月|本月|下个?月)"
_WEEK = r"(?:周|星期|礼拜)"
_WREL = r"(?P<wr>上上个?|上个?|这个?|本|下个?)"
_WEEKDAY = r"(?P<wd>[一二三四五六日天末])"
_NOT_LIMIT = r"(?!\s?(?:内|以内|之内|之久))"
_DE = r"(?:的)?"

_RELATIVE_YEAR = {"大前年": -3, "前年": -2, "去年": -1, "今年": 0, "明年": 1}
_RELATIVE_MONTH = {"上上个月": -2, "上上月": -2, "上个月": -1, "上月": -1, "这个月": 0,
                   "这月": 0, "本月": 0, "下个月": 1, "下月": 1}  # fmt: skip
_RELATIVE_WEEK = {"上上个": -2, "上上": -2, "上个": -1, "上": -1, "这个": 0, "这": 0, "本": 0,
                  "下个": 1, "下": 1}  # fmt: skip
_WEEKDAY_INDEX = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_DAY_WORDS = {
    "大大前天": (-4, False), "大前天": (-3, False), "前天": (-2, False), "前日": (-2, False),
    "前晚": (-2, False), "昨天": (-1, False), "昨日": (-1, False), "昨晚": (-1, False),
    "昨夜": (-1, False), "今天": (0, False), "今日": (0, False), "今早": (0, False),
    "今晨": (0, False), "今晚": (0, False), "明天": (1, False), "明日": (1, False),
    "后天": (2, False), "前几天": (-3, True), "前两天": (-2, True), "前些天": (-3, True),
    "前些日子": (-7, True),
}  # fmt: skip

_Result = tuple[date, Precision, bool] | None
_Handler = Callable[["re.Match[str]", date], _Result]


def _year_of(m: re.Match[str], today: date) -> int | None:
    if m.group("ya"):
        y = _to_int(m.group("ya"))
        return y if y is not None and _sane_year(y, today) else None
    return today.year + _RELATIVE_YEAR[m.group("yr")]


def _month_of(m: re.Match[str]) -> int | None:
    month = _to_int(m.group("m"))
    return month if month is not None and 1 <= month <= 12 else None


def _day_of(m: re.Match[str]) -> int | None:
    day = _to_int(m.group("d"))
    return day if day is not None and 1 <= day <= 31 else None


def _month_part_day(part: str, y: int, month: int) -> int:
    return {"初": 1, "上旬": 1, "中旬": 15, "下旬": 25}.get(part) or _last_day(y, month)


def _infer_year(month: int, day: int, today: date) -> date | None:
    """``3月2日`` without a year: this year unless that is clearly in the future."""
    this_year = _safe_date(today.year, month, day)
    if this_year is not None and this_year <= today + timedelta(days=FUTURE_TOLERANCE_DAYS):
        return this_year
    return _safe_date(today.year - 1, month, day)


# --- handlers ------------------------------------------------------------------------------


def _h_ymd(m: re.Match[str], today: date) -> _Result:
    y, month, day = _year_of(m, today), _month_of(m), _day_of(m)
    if y is None or month is None or day is None:
        return None
    d = _safe_date(y, month, day)
    return (d, "day", False) if d else None


def _h_numeric(m: re.Match[str], today: date) -> _Result:
    y, month, day = int(m.group("y")), int(m.group("m")), int(m.group("d"))
    d = _safe_date(y, month, day) if _sane_year(y, today) else None
    return (d, "day", False) if d else None


def _h_ym_part(m: re.Match[str], today: date) -> _Result:
    y, month = _year_of(m, today), _month_of(m)
    if y is None or month is None:
        return None
    return date(y, month, _month_part_day(m.group("part"), y, month)), "day", True


def _h_ym(m: re.Match[str], today: date) -> _Result:
    y, month = _year_of(m, today), _month_of(m)
    if y is None or month is None:
        return None
    return date(y, month, 1), "month", False


def _h_y_part(m: re.Match[str], today: date) -> _Result:
    y = _year_of(m, today) if "yr" in m.re.groupindex else today.year
    if y is None:
        return None
    part = m.group("ypart").removeprefix("年")
    month, day = {"初": (1, 1), "上半年": (1, 1), "中": (7, 1), "下半年": (7, 1)}.get(
        part, (12, 31)
    )
    return date(y, month, day), "month", True


def _h_y(m: re.Match[str], today: date) -> _Result:
    y = _year_of(m, today)
    return (date(y, 1, 1), "year", False) if y is not None else None


def _h_md(m: re.Match[str], today: date) -> _Result:
    month, day = _month_of(m), _day_of(m)
    if month is None or day is None:
        return None
    d = _infer_year(month, day, today)
    return (d, "day", False) if d else None


def _h_m_part(m: re.Match[str], today: date) -> _Result:
    month = _month_of(m)
    if month is None:
        return None
    y = today.year if month <= today.month else today.year - 1
    return date(y, month, _month_part_day(m.group("part"), y, month)), "day", True


def _h_m(m: re.Match[str], today: date) -> _Result:
    month = _month_of(m)
    if month is None:
        return None
    y = today.year if month <= today.month else today.year - 1
    return date(y, month, 1), "month", False


def _relative_month(m: re.Match[str], today: date) -> date:
    """The 1st of the month named by ``上个月`` / ``本月`` / ... (``月`` alone: this month)."""
    mr = m.groupdict().get("mr")
    return _add_months(today.replace(day=1), _RELATIVE_MONTH[mr] if mr else 0)


def _h_mrel_day(m: re.Match[str], today: date) -> _Result:
    first, day = _relative_month(m, today), _day_of(m)
    d = _safe_date(first.year, first.month, day) if day else None
    return (d, "day", False) if d else None


def _h_mrel_part(m: re.Match[str], today: date) -> _Result:
    first = _relative_month(m, today)
    return first.replace(day=_month_part_day(m.group("part"), first.year, first.month)), "day", True


def _h_mrel(m: re.Match[str], today: date) -> _Result:
    return _relative_month(m, today), "month", False


def _h_day_alone(m: re.Match[str], today: date) -> _Result:
    day = _day_of(m)
    if day is None:
        return None
    d = _safe_date(today.year, today.month, day)
    if d is None or d > today + timedelta(days=FUTURE_TOLERANCE_DAYS):
        prev = _add_months(today.replace(day=1), -1)
        d = _safe_date(prev.year, prev.month, day)
    return (d, "day", False) if d else None


def _h_day_word(m: re.Match[str], today: date) -> _Result:
    offset, approximate = _DAY_WORDS[m.group()]
    return today + timedelta(days=offset), "day", approximate


def _h_week(m: re.Match[str], today: date) -> _Result:
    monday = today - timedelta(days=today.weekday())
    monday += timedelta(weeks=_RELATIVE_WEEK[m.group("wr")])
    wd = m.group("wd")
    if wd is None:
        return monday, "day", True
    if wd == "末":
        return monday + timedelta(days=5), "day", True
    return monday + timedelta(days=_WEEKDAY_INDEX[wd]), "day", False


def _h_weekday_alone(m: re.Match[str], today: date) -> _Result:
    back = (today.weekday() - _WEEKDAY_INDEX[m.group("wd")]) % 7
    return today - timedelta(days=back), "day", True


_FUZZY_NUMBERS = {"几": 3, "十几": 15, "二十几": 25, "一两": 1.5, "两三": 2.5, "三四": 3.5,
                  "三五": 4, "半": 0.5}  # fmt: skip


def _h_ago(m: re.Match[str], today: date) -> _Result:
    raw, unit = m.group("n"), m.group("unit")
    half = bool(m.group("half") or m.group("half2"))
    approximate = half or "多" in m.group() or raw in _FUZZY_NUMBERS
    n: float | None = _FUZZY_NUMBERS.get(raw)
    if n is None:
        n = _to_int(raw)
    if n is None or n <= 0:
        return None
    if half:
        n += 0.5
    if unit == "天":
        if n > 3660:
            return None
        return today - timedelta(days=round(n)), "day", approximate
    if unit in ("周", "星期", "礼拜"):
        return (today - timedelta(days=round(n * 7)), "day", True) if n <= 520 else None
    if unit == "月":
        if not (m.group("ge") or raw == "半") or n > 600:
            return None  # "3月前" is "before March", not "three months ago"
        whole = int(n)
        d = _add_months(today, -whole) - timedelta(days=round((n - whole) * 30))
        return d, "day", True
    # 年
    if n > 100:
        return None  # "2020年前" is "before 2020"
    return _add_months(today, -round(n * 12)), "day", True


# --- patterns (order does not matter: overlaps are resolved leftmost-longest) --------------

_NO_BUILDING = r"(?![楼栋院房室线文令门床车站口台位窗柜铺店库机道路街巷弄码桌座层])"

_PATTERNS: list[tuple[re.Pattern[str], _Handler]] = [
    (re.compile(
        r"(?<![\d./-])(?P<y>(?:19|20)\d{2})(?P<sep>[-/.])(?P<m>1[0-2]|0?[1-9])(?P=sep)"
        r"(?P<d>3[01]|[12]\d|0?[1-9])(?!\d|[./-]\d|\s?元)"), _h_numeric),
    (re.compile(rf"{_NUM_BEFORE}{_YEAR}{_DE}\s?{_MONTH}\s?{_DAY}(?:[日号]|(?!\d))"), _h_ymd),
    (re.compile(rf"{_NUM_BEFORE}{_YEAR}{_DE}\s?{_MONTH}份?{_DE}{_MONTH_PART}"), _h_ym_part),
    (re.compile(rf"{_NUM_BEFORE}{_YEAR}{_DE}\s?{_MONTH}份?{_NOT_LIMIT}"), _h_ym),
    (re.compile(rf"{_NUM_BEFORE}{_YEAR}{_DE}{_YEAR_PART}"), _h_y_part),
    (re.compile(rf"{_NUM_BEFORE}{_YEAR}(?!\s?(?:内|以内|之内|多|半))"), _h_y),
    (re.compile(rf"{_NUM_BEFORE}{_MONTH}\s?{_DAY}[日号]"), _h_md),
    (re.compile(rf"{_NUM_BEFORE}{_MONTH}份?{_DE}{_MONTH_PART}"), _h_m_part),
    (re.compile(rf"{_NUM_BEFORE}{_MONTH}份?{_NOT_LIMIT}"), _h_m),
    (re.compile(rf"{_MREL}{_DE}{_NUM_BEFORE}{_DAY}[日号]"), _h_mrel_day),
    (re.compile(rf"(?:{_MREL}|(?<![\d〇零一二两三四五六七八九十个年岁每])月){_MONTH_PART}"),
     _h_mrel_part),
    (re.compile(_MREL), _h_mrel),
    (re.compile(r"(?<![年\d〇零一二两三四五六七八九十几多每前去今明少成老青新过周千百万])年"
                r"(?P<ypart>初|底|末)"), _h_y_part),
    (re.compile(rf"{_NUM_BEFORE}(?<![〕\])】）)a-zA-Z#-])(?<!每月){_DAY}号{_NO_BUILDING}"),
     _h_day_alone),
    (re.compile(r"(?<![提之以面最先然今])(?:" + "|".join(sorted(_DAY_WORDS, key=len, reverse=True))
                + ")"), _h_day_word),
    (re.compile(rf"{_WREL}{_WEEK}{_WEEKDAY}?(?!期|岁|边|围|转|年|刊|报)"), _h_week),
    (re.compile(r"(?<![每至到和~—\-上下这本个])(?:星期|礼拜)(?P<wd>[一二三四五六日天])"
                r"(?!\s?[至到~—\-])"), _h_weekday_alone),
    (re.compile(
        rf"{_NUM_BEFORE}(?P<n>\d+|二十几|十几|一两|两三|三四|三五|[〇零一二两三四五六七八九十廿百]+|半|几)"
        r"\s?(?:多)?(?P<ge>个)?(?:多)?(?P<half>半)?(?P<unit>天|周|星期|礼拜|月|年)"
        r"(?:多)?(?P<half2>半)?(?:以前|之前|前)"), _h_ago),
]  # fmt: skip


# Same-length folding: full-width ASCII → ASCII, ideographic space → space.
_FOLD = {0xFF01 + i: chr(0x21 + i) for i in range(0x5E)}
_FOLD[0x3000] = " "


def _fold(text: str) -> str:
    folded = to_simplified(text.translate(_FOLD))
    return folded if len(folded) == len(text) else text.translate(_FOLD)


def parse_dates(text: str, today: date) -> list[DateMention]:
    """All date mentions in ``text``, in text order, resolved relative to ``today``."""
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    if not isinstance(today, date):
        raise TypeError(f"today must be a date, got {type(today).__name__}")
    if not text:
        return []
    folded = _fold(text)
    candidates: list[tuple[int, int, date, Precision, bool]] = []
    for pattern, handler in _PATTERNS:
        for m in pattern.finditer(folded):
            result = handler(m, today)
            if result is not None:
                candidates.append((m.start(), m.end(), *result))
    candidates.sort(key=lambda c: (c[0], c[0] - c[1]))
    mentions: list[DateMention] = []
    last_end = 0
    for start, end, d, precision, approximate in candidates:
        if start < last_end:
            continue
        mentions.append(DateMention(d, text[start:end].strip(), precision, approximate,
                                    (start, end)))  # fmt: skip
        last_end = end
    return mentions


def latest_event_date(
    mentions: Iterable[DateMention], today: date | None = None
) -> date | None:
    """The most recent mentioned date that is not after ``today`` (default: the real today)."""
    limit = today if today is not None else date.today()
    past = [m.date for m in mentions if m.date <= limit]
    return max(past, default=None)
