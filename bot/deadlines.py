"""Deadline computation: when does a time limit of ``channels.yaml`` run out?

Pure functions over a holiday :class:`Calendar` (``knowledge/calendar/holidays.yaml``). The rules:

- 民事诉讼法（2023修正）第八十五条：期间以时、日、月、年计算。期间开始的时和日，不计算在期间内。
  期间届满的最后一日是法定休假日的，以法定休假日后的第一日为期间届满的日期。
- 民法典第二百零一条：按照年、月、日计算期间的，开始的当日不计入，自下一日开始计算。
  第二百零二条：按照年、月计算期间的，到期月的对应日为期间的最后一日；没有对应日的，月末日为
  期间的最后一日（1月31日起算1个月 → 2月28日或29日）。
  第二百零三条：期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日；
  最后一日的截止时间为二十四时。
- 行政复议法（2023修订）第八十八条：复议期间依照民事诉讼法关于期间的规定计算；本法关于
  “三日”“五日”“七日”“十日”的规定是指工作日，不含法定休假日 (``counting: working_day``).
- 劳动争议调解仲裁法第二十七条第四款：劳动关系存续期间因拖欠劳动报酬发生争议的，不受一年
  仲裁时效期间的限制；劳动关系终止的，应当自劳动关系终止之日起一年内提出
  (exception ``wages_owed_while_employed``).

Rest days are Saturdays, Sundays and the holidays of the data file; a weekend day listed as a
调休 working day is a working day. A year missing from the data falls back to plain weekends, and
the result says so (``calendar_complete``). No deadline is ever made up: without a start date, or
when the facts do not decide an exception, the result has no due date.
"""

from __future__ import annotations

import functools
from calendar import monthrange
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import yaml

DEFAULT_CALENDAR_PATH = Path(__file__).resolve().parents[1] / "knowledge/calendar/holidays.yaml"

UNITS = ("day", "month", "year", "none")
COUNTINGS = ("calendar", "working_day")
EXCEPTION_WAGES = "wages_owed_while_employed"
EFFECT_NO_LIMIT_WHILE_EMPLOYED = "no_limit_while_employed"

# The next year's 元旦 arrangement can reach back into the last days of December (2019年元旦:
# 2018年12月29日上班、12月31日放假), so those days are only certain once next year is covered.
_LATE_DECEMBER_FROM = 25
_WEEKDAY_NAMES = "一二三四五六日"
_MAX_SHIFT_DAYS = 366


def format_date(d: date) -> str:
    """``2026年5月6日``."""
    return f"{d.year}年{d.month}月{d.day}日"


def _as_date(value: object, what: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{what}: expected a date (YYYY-MM-DD), got {value!r}")


@dataclass(frozen=True)
class Calendar:
    """Public holidays and 调休 working days, and the years the data covers."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    years: frozenset[int] = frozenset()
    sources: Mapping[int, str] = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def from_mapping(cls, data: Mapping) -> Calendar:
        """Build from parsed ``holidays.yaml``: ``{years: {2024: {source, holidays, workdays}}}``.

        Raises ValueError on malformed data, a date listed both as holiday and as working day, or
        a 调休 working day that is not a Saturday or Sunday.
        """
        if not isinstance(data, Mapping) or not isinstance(data.get("years"), Mapping):
            raise ValueError("holiday calendar: expected a mapping with a 'years' mapping")
        holidays: set[date] = set()
        workdays: set[date] = set()
        years: set[int] = set()
        sources: dict[int, str] = {}
        for key, entry in data["years"].items():
            try:
                year = int(key)
            except (TypeError, ValueError):
                raise ValueError(f"holiday calendar: bad year {key!r}") from None
            if not isinstance(entry, Mapping):
                raise ValueError(f"holiday calendar {year}: expected a mapping")
            source = entry.get("source")
            if not isinstance(source, str) or not source.strip():
                raise ValueError(f"holiday calendar {year}: 'source' (the notice) is required")
            year_holidays = _date_list(entry.get("holidays"), f"holiday calendar {year} holidays")
            year_workdays = _date_list(entry.get("workdays"), f"holiday calendar {year} workdays")
            for d in year_workdays:
                if d.weekday() < 5:
                    raise ValueError(
                        f"holiday calendar {year}: workday {d} is a weekday, not a 调休 weekend day"
                    )
            holidays.update(year_holidays)
            workdays.update(year_workdays)
            years.add(year)
            sources[year] = source.strip()
        both = holidays & workdays
        if both:
            listed = ", ".join(str(d) for d in sorted(both))
            raise ValueError(f"holiday calendar: listed both as holiday and workday: {listed}")
        return cls(frozenset(holidays), frozenset(workdays), frozenset(years), sources)

    def covers(self, year: int) -> bool:
        """Whether the data holds the 国务院办公厅 arrangement for ``year``."""
        return year in self.years

    def is_certain(self, d: date) -> bool:
        """Whether rest day or not is known for ``d`` (late December also needs next year)."""
        if not self.covers(d.year):
            return False
        if d.month == 12 and d.day >= _LATE_DECEMBER_FROM:
            return self.covers(d.year + 1)
        return True

    def is_holiday(self, d: date) -> bool:
        """Whether ``d`` is a day off of a public-holiday block."""
        return d in self.holidays

    def is_rest_day(self, d: date) -> bool:
        """Saturday, Sunday or public holiday, unless it is a 调休 working day."""
        if d in self.workdays:
            return False
        return d in self.holidays or d.weekday() >= 5

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        nxt = d
        for _ in range(_MAX_SHIFT_DAYS):
            nxt += timedelta(days=1)
            if not self.is_rest_day(nxt):
                return nxt
        raise ValueError(f"no working day within a year after {d}")


def _date_list(value: object, what: str) -> list[date]:
    if value is None:
        return []
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValueError(f"{what}: expected a list of dates")
    return [_as_date(v, what) for v in value]


@functools.lru_cache(maxsize=8)
def _load_calendar_cached(path: Path) -> Calendar:
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    try:
        return Calendar.from_mapping(data)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc


def load_calendar(path: Path | None = None) -> Calendar:
    """Read ``knowledge/calendar/holidays.yaml`` (or ``path``); cached per path."""
    return _load_calendar_cached(Path(path or DEFAULT_CALENDAR_PATH).resolve())


@dataclass(frozen=True)
class DueDate:
    """The last day of a period, before (``nominal``) and after (``due``) the rest-day shift."""

    due: date
    nominal: date
    shifted: bool
    calendar_complete: bool
    explain: str


def _check_length(length: object) -> int:
    if isinstance(length, bool) or not isinstance(length, int):
        raise ValueError(f"period length must be a whole number, got {length!r}")
    if length < 1:
        raise ValueError(f"period length must be at least 1, got {length}")
    return length


def _check_unit_counting(unit: object, counting: object) -> None:
    if unit not in UNITS:
        raise ValueError(f"unknown period unit {unit!r}; expected one of {', '.join(UNITS)}")
    if counting not in COUNTINGS:
        raise ValueError(f"unknown counting {counting!r}; expected one of {', '.join(COUNTINGS)}")
    if counting == "working_day" and unit != "day":
        raise ValueError(f"counting 'working_day' needs unit 'day', got {unit!r}")


def _add_months(d: date, months: int) -> date:
    """Corresponding day of the final month, or its last day (民法典第二百零二条)."""
    total = d.year * 12 + d.month - 1 + months
    year, month0 = divmod(total, 12)
    if year > date.max.year:
        raise ValueError("period runs past the supported date range")
    last = monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(d.day, last))


def _period_label(length: int, unit: str, counting: str) -> str:
    if unit == "day":
        return f"{length}个工作日" if counting == "working_day" else f"{length}日"
    if unit == "month":
        return f"{length}个月"
    return f"{length}年"


def _missing_note(calendar: Calendar, touched: Iterable[date]) -> str:
    """Chinese warning naming the years whose arrangement was needed but is not in the data."""
    missing: set[int] = set()
    for d in touched:
        if not calendar.is_certain(d):
            missing.add(d.year if not calendar.covers(d.year) else d.year + 1)
    if not missing:
        return ""
    years = "、".join(str(y) for y in sorted(missing))
    return (
        f"（尚未收录{years}年的节假日安排，只按周六、周日判断休息日，"
        "请以国务院办公厅当年通知为准）"
    )


def add_period(
    start: date, length: int, unit: str, calendar: Calendar, counting: str = "calendar"
) -> DueDate:
    """Last day of a period of ``length`` ``unit`` starting on ``start`` (that day not counted).

    ``counting="calendar"``: days, months or years by the calendar (民法典第二百零一、二百零二条);
    a last day that is a rest day moves to the next working day (民诉法第八十五条第三款,
    民法典第二百零三条). ``counting="working_day"``: only working days count, the start day not
    included (行政复议法第八十八条第二款); the result is a working day by construction.
    """
    start = _as_date(start, "start")
    length = _check_length(length)
    _check_unit_counting(unit, counting)
    if unit == "none":
        raise ValueError("unit 'none' has no end date; use deadline_for for such limits")
    label = _period_label(length, unit, counting)
    head = f"自{format_date(start)}起算{label}"

    if counting == "working_day":
        d = start
        counted = 0
        try:
            while counted < length:
                d += timedelta(days=1)
                if not calendar.is_rest_day(d):
                    counted += 1
        except OverflowError:
            raise ValueError("period runs past the supported date range") from None
        touched = [start + timedelta(days=i) for i in range(1, (d - start).days + 1)]
        note = _missing_note(calendar, touched)
        explain = f"{head}（不含法定休假日），最后一日为{format_date(d)}{note}"
        return DueDate(d, d, False, not note, explain)

    try:
        if unit == "day":
            nominal = start + timedelta(days=length)
        else:
            nominal = _add_months(start, length * (12 if unit == "year" else 1))
    except OverflowError:
        raise ValueError("period runs past the supported date range") from None

    if calendar.is_rest_day(nominal):
        due = calendar.next_working_day(nominal)
        if calendar.is_holiday(nominal):
            why = "为法定休假日"
        else:
            why = f"是星期{_WEEKDAY_NAMES[nominal.weekday()]}"
        tail = f"期满日{format_date(nominal)}{why}，顺延至{format_date(due)}"
    else:
        due = nominal
        tail = f"最后一日为{format_date(due)}"
    touched = [nominal + timedelta(days=i) for i in range((due - nominal).days + 1)]
    note = _missing_note(calendar, touched)
    return DueDate(due, nominal, due != nominal, not note, f"{head}，{tail}{note}")


@dataclass(frozen=True)
class DeadlineResult:
    """A time limit applied to a case: the due date if it can be known, and plain-Chinese text."""

    due: date | None
    no_limit: bool
    text: str
    grounds: list[str]
    explain: str
    calendar_complete: bool = True


def _grounds(value: object, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, Iterable) or not all(isinstance(g, str) for g in value):
        raise ValueError(f"{what}: grounds must be a list of citations")
    return list(value)


def _describe(limit: Mapping) -> tuple[int, str, str, str]:
    """Validate a limit mapping; return (length, unit, counting, period text)."""
    if not isinstance(limit, Mapping):
        raise ValueError(f"time limit must be a mapping, got {type(limit).__name__}")
    unit = limit.get("unit")
    counting = limit.get("counting") or "calendar"
    _check_unit_counting(unit, counting)
    from_event = limit.get("from_event")
    if from_event is not None and not isinstance(from_event, str):
        raise ValueError(f"from_event must be a text, got {from_event!r}")
    if unit == "none":
        if limit.get("length") is not None:
            raise ValueError("a time limit with unit 'none' must not have a length")
        return 0, unit, counting, "不受期限限制"
    if "length" not in limit:
        raise ValueError(f"time limit with unit {unit!r} needs a length")
    length = _check_length(limit["length"])
    text = _period_label(length, unit, counting)
    if from_event:
        text += f"（{from_event.strip()}）"
    return length, unit, counting, text


def _apply(
    limit: Mapping, start: date | None, calendar: Calendar | None, grounds: list[str], prefix: str
) -> DeadlineResult:
    length, unit, counting, text = _describe(limit)
    if unit == "none":
        return DeadlineResult(None, True, text, grounds, f"{prefix}{text}")
    if start is None:
        explain = f"{prefix}期限为{text}；不知道起算日，无法算出具体截止日期"
        return DeadlineResult(None, False, text, grounds, explain)
    start = _as_date(start, "start")
    due = add_period(start, length, unit, calendar or load_calendar(), counting)
    text = f"{text}，最后一日为{format_date(due.due)}"
    return DeadlineResult(
        due.due, False, text, grounds, f"{prefix}{due.explain}", due.calendar_complete
    )


def deadline_for(
    limit: Mapping,
    start: date | None,
    facts: Mapping | None = None,
    calendar: Calendar | None = None,
) -> DeadlineResult:
    """Apply a ``time_limits`` entry of ``channels.yaml`` to a start date and the facts.

    ``start`` is the day of the ``from_event`` (not counted). Facts used by exceptions:
    ``wages_owed``, ``employment_ongoing``, ``employment_end_date`` (劳动争议调解仲裁法第二十七条
    第四款: no limit while the employment continues; otherwise one year from its end, whatever
    ``start`` says). Raises ValueError on malformed limits or facts.
    """
    facts = facts or {}
    if not isinstance(facts, Mapping):
        raise ValueError("facts must be a mapping")
    _describe(limit)  # validate the base rule even when an exception applies
    grounds = _grounds(limit.get("grounds"), "time limit")
    exceptions = _exceptions(limit)

    if exceptions and facts.get("wages_owed"):
        exc = exceptions[0]
        exc_grounds = _grounds(exc.get("grounds"), "exception") or grounds
        then = {"counting": limit.get("counting") or "calendar", **exc["then"]}
        _, _, _, then_text = _describe(then)
        ongoing = facts.get("employment_ongoing")
        end = facts.get("employment_end_date")
        if ongoing and end is not None:
            raise ValueError("facts say the employment is ongoing and also give its end date")
        text = (
            "劳动关系存续期间因拖欠劳动报酬发生争议的，不受仲裁时效期间的限制；"
            f"劳动关系终止的，期限为{then_text}"
        )
        if ongoing:
            explain = "劳动关系仍在存续，申请仲裁不受仲裁时效期间的限制"
            return DeadlineResult(None, True, text, exc_grounds, explain)
        if end is None:
            explain = "需要先确认劳动关系是否已经终止、何时终止，才能算出截止日期"
            return DeadlineResult(None, False, text, exc_grounds, explain)
        end = _as_date(end, "employment_end_date")
        return _apply(then, end, calendar, exc_grounds, "劳动关系已终止，")

    return _apply(limit, start, calendar, grounds, "")


def _exceptions(limit: Mapping) -> list[Mapping]:
    raw = limit.get("exceptions") or []
    if isinstance(raw, str | bytes) or not isinstance(raw, Iterable):
        raise ValueError("exceptions must be a list")
    out = []
    for exc in raw:
        if not isinstance(exc, Mapping):
            raise ValueError("each exception must be a mapping")
        if exc.get("when") != EXCEPTION_WAGES:
            raise ValueError(f"unknown exception condition {exc.get('when')!r}")
        if exc.get("effect") != EFFECT_NO_LIMIT_WHILE_EMPLOYED:
            raise ValueError(f"unknown exception effect {exc.get('effect')!r}")
        if not isinstance(exc.get("then"), Mapping):
            raise ValueError("exception needs a 'then' time limit")
        out.append(exc)
    return out


def is_overdue(result: DeadlineResult, today: date) -> bool:
    """True once ``today`` is after the due date (the last day runs to 24:00, 民法典第二百零三条).

    A result without a due date (no limit, or not computable) is never overdue.
    """
    return result.due is not None and today > result.due
