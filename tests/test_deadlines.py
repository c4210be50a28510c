"""Deadline computation (bot/deadlines.py) and the holidays (knowledge/calendar/holidays.yaml)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import yaml

from bot.deadlines import (
    DEFAULT_CALENDAR_PATH,
    Calendar,
    add_period,
    deadline_for,
    is_overdue,
    load_calendar,
)


@pytest.fixture(scope="module")
def cal() -> Calendar:
    return load_calendar()


@pytest.fixture(scope="module")
def raw() -> dict:
    with DEFAULT_CALENDAR_PATH.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


FUYI_APPLY = {
    "id": "apply",
    "label": "申请期限",
    "length": 60,
    "unit": "day",
    "counting": "calendar",
    "from_event": "自知道或者应当知道该行政行为之日起",
    "grounds": ["复议法 第20条 第1款"],
}

LABOUR_APPLY = {
    "id": "apply",
    "length": 1,
    "unit": "year",
    "counting": "calendar",
    "from_event": "自知道或者应当知道其权利被侵害之日起",
    "grounds": ["劳仲法 第27条 第1款"],
    "exceptions": [
        {
            "when": "wages_owed_while_employed",
            "effect": "no_limit_while_employed",
            "then": {"length": 1, "unit": "year", "from_event": "自劳动关系终止之日起"},
            "grounds": ["劳仲法 第27条 第4款"],
        }
    ],
}


# --- holiday data -----------------------------------------------------------------------------


def _dates(entry: dict, key: str) -> list[date]:
    return list(entry.get(key) or [])


def test_calendar_years_and_sources(raw):
    years = raw["years"]
    assert {2024, 2025, 2026} <= set(years)
    for year, entry in years.items():
        assert f"国务院办公厅关于{year}年部分节假日安排的通知" in entry["source"]


def test_no_date_is_both_holiday_and_workday(raw):
    holidays = [d for e in raw["years"].values() for d in _dates(e, "holidays")]
    workdays = [d for e in raw["years"].values() for d in _dates(e, "workdays")]
    assert len(holidays) == len(set(holidays)), "a holiday is listed twice"
    assert len(workdays) == len(set(workdays)), "a workday is listed twice"
    assert not set(holidays) & set(workdays)


def test_every_workday_is_a_weekend_day(raw):
    for entry in raw["years"].values():
        for d in _dates(entry, "workdays"):
            assert d.weekday() >= 5, f"{d} is a weekday, so it cannot be a 调休 working day"


def test_dates_lie_in_their_year(raw):
    for year, entry in raw["years"].items():
        for d in _dates(entry, "holidays") + _dates(entry, "workdays"):
            assert isinstance(d, date), f"{d!r} is not parsed as a date"
            assert d.year == int(year), f"{d} listed under {year}"


def test_days_off_balance_statutory_days(raw):
    # 全国年节及纪念日放假办法: statutory days falling on a weekend are made up on a working
    # day, and each 调休 working weekend day pays back one weekday off. So weekday days off minus
    # 调休 working days equals the statutory days: 11 until 2024, 13 from 2025 (2024年修订).
    for year, entry in raw["years"].items():
        weekday_off = sum(1 for d in _dates(entry, "holidays") if d.weekday() < 5)
        statutory = 11 if int(year) <= 2024 else 13
        assert weekday_off - len(_dates(entry, "workdays")) == statutory, year


@pytest.mark.parametrize(
    ("year", "first", "last", "days"),
    [
        (2024, date(2024, 2, 10), date(2024, 2, 17), 8),  # 春节
        (2024, date(2024, 10, 1), date(2024, 10, 7), 7),  # 国庆节
        (2025, date(2025, 1, 28), date(2025, 2, 4), 8),  # 春节, from 除夕
        (2025, date(2025, 10, 1), date(2025, 10, 8), 8),  # 国庆节、中秋节
        (2026, date(2026, 2, 15), date(2026, 2, 23), 9),  # 春节
        (2026, date(2026, 5, 1), date(2026, 5, 5), 5),  # 劳动节
    ],
)
def test_known_holiday_blocks(raw, year, first, last, days):
    holidays = set(_dates(raw["years"][year], "holidays"))
    block = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    assert len(block) == days
    assert set(block) <= holidays
    assert first - timedelta(days=1) not in holidays
    assert last + timedelta(days=1) not in holidays


def test_calendar_rest_days(cal):
    assert cal.is_rest_day(date(2026, 3, 7))  # Saturday
    assert cal.is_rest_day(date(2026, 10, 5))  # 国庆, Monday
    assert not cal.is_rest_day(date(2026, 2, 28))  # Saturday, 调休上班
    assert not cal.is_rest_day(date(2026, 3, 9))  # ordinary Monday
    assert cal.next_working_day(date(2026, 2, 13)) == date(2026, 2, 14)  # Fri → 调休 Sat
    assert cal.next_working_day(date(2026, 2, 14)) == date(2026, 2, 24)
    assert cal.covers(2026) and not cal.covers(2027)


def test_load_calendar_is_cached():
    assert load_calendar() is load_calendar()
    assert load_calendar(DEFAULT_CALENDAR_PATH) is load_calendar()


def test_from_mapping_rejects_bad_data():
    good = {"source": "通知", "holidays": [date(2026, 1, 1)], "workdays": [date(2026, 1, 4)]}
    assert Calendar.from_mapping({"years": {2026: good}}).covers(2026)
    assert Calendar.from_mapping(
        {"years": {"2026": {**good, "holidays": ["2026-01-01"]}}}
    ).is_rest_day(date(2026, 1, 1))
    with pytest.raises(ValueError, match="both"):
        Calendar.from_mapping({"years": {2026: {**good, "holidays": [date(2026, 1, 4)]}}})
    with pytest.raises(ValueError, match="weekday"):
        Calendar.from_mapping({"years": {2026: {**good, "workdays": [date(2026, 1, 5)]}}})
    with pytest.raises(ValueError, match="source"):
        Calendar.from_mapping({"years": {2026: {**good, "source": ""}}})
    with pytest.raises(ValueError):
        Calendar.from_mapping({"years": {2026: {**good, "holidays": ["not a date"]}}})
    with pytest.raises(ValueError):
        Calendar.from_mapping({"2026": good})


# --- add_period: days -------------------------------------------------------------------------


def test_start_day_not_counted(cal):
    # 民法典第二百零一条: 开始的当日不计入
    assert add_period(date(2026, 3, 2), 1, "day", cal).due == date(2026, 3, 3)
    assert add_period(date(2026, 3, 2), 10, "day", cal).due == date(2026, 3, 12)


def test_plain_working_day_end_is_not_moved(cal):
    r = add_period(date(2026, 2, 4), 30, "day", cal)
    assert (r.due, r.nominal, r.shifted, r.calendar_complete) == (
        date(2026, 3, 6),
        date(2026, 3, 6),
        False,
        True,
    )
    assert r.explain == "自2026年2月4日起算30日，最后一日为2026年3月6日"


@pytest.mark.parametrize(
    ("start", "nominal"),
    [(date(2026, 2, 5), date(2026, 3, 7)), (date(2026, 2, 6), date(2026, 3, 8))],
)
def test_weekend_end_moves_to_monday(cal, start, nominal):
    r = add_period(start, 30, "day", cal)
    assert r.nominal == nominal
    assert r.due == date(2026, 3, 9)
    assert r.shifted
    assert "顺延至2026年3月9日" in r.explain


def test_holiday_end_moves_past_the_holiday(cal):
    r = add_period(date(2026, 3, 2), 60, "day", cal)
    assert r.nominal == date(2026, 5, 1)
    assert r.due == date(2026, 5, 6)
    assert r.shifted and r.calendar_complete
    assert r.explain == "自2026年3月2日起算60日，期满日2026年5月1日为法定休假日，顺延至2026年5月6日"


@pytest.mark.parametrize(
    ("start", "nominal", "due"),
    [
        (date(2025, 9, 1), date(2025, 10, 1), date(2025, 10, 9)),  # 国庆节、中秋节 2025
        (date(2026, 9, 3), date(2026, 10, 3), date(2026, 10, 8)),  # 国庆节 2026
        (date(2026, 1, 21), date(2026, 2, 20), date(2026, 2, 24)),  # 春节 2026
        (date(2024, 9, 15), date(2024, 10, 15), date(2024, 10, 15)),  # after 国庆: no shift
    ],
)
def test_end_inside_long_holidays(cal, start, nominal, due):
    r = add_period(start, 30, "day", cal)
    assert (r.nominal, r.due) == (nominal, due)


def test_holiday_followed_by_tiaoxiu_sunday(cal):
    # 2024春节 ends Saturday 2月17日; Sunday 2月18日 is a 调休 working day, so the period ends then
    r = add_period(date(2024, 1, 12), 30, "day", cal)
    assert r.nominal == date(2024, 2, 11)
    assert r.due == date(2024, 2, 18)


@pytest.mark.parametrize(
    ("start", "end"),
    [(date(2024, 4, 11), date(2024, 5, 11)), (date(2026, 1, 29), date(2026, 2, 28))],
)
def test_tiaoxiu_saturday_is_not_moved(cal, start, end):
    assert end.weekday() == 5
    r = add_period(start, 30, "day", cal)
    assert r.due == r.nominal == end
    assert not r.shifted


# --- months and years -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "due"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),  # no 2月31日: last day of the month
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year
        (date(2024, 3, 31), 1, date(2024, 4, 30)),
        (date(2024, 8, 31), 6, date(2025, 2, 28)),
        (date(2025, 6, 15), 6, date(2025, 12, 15)),  # corresponding day
        (date(2025, 9, 1), 1, date(2025, 10, 9)),  # 10月1日 falls in 国庆
    ],
)
def test_months(cal, start, months, due):
    assert add_period(start, months, "month", cal).due == due


def test_years(cal):
    assert add_period(date(2025, 3, 10), 1, "year", cal).due == date(2026, 3, 10)
    assert add_period(date(2024, 2, 29), 1, "year", cal).due == date(2025, 2, 28)
    r = add_period(date(2025, 1, 1), 1, "year", cal)  # 2026年1月1日-3日 元旦, 4日 调休上班
    assert (r.nominal, r.due) == (date(2026, 1, 1), date(2026, 1, 4))


# --- working days -----------------------------------------------------------------------------


def test_working_day_counting(cal):
    # 行政复议法第八十八条第二款: 五日 = five working days, 法定休假日 not counted
    r = add_period(date(2026, 9, 30), 5, "day", cal, counting="working_day")
    # 10月1日-7日 国庆; 8日、9日; 10日 (Saturday, 调休上班); 12日、13日
    assert r.due == date(2026, 10, 13)
    assert not r.shifted
    assert "工作日" in r.explain
    assert add_period(date(2026, 3, 6), 3, "day", cal, "working_day").due == date(2026, 3, 11)
    assert add_period(date(2026, 3, 6), 1, "day", cal, "working_day").due == date(2026, 3, 9)
    # a 调休 Sunday counts as a working day
    assert add_period(date(2026, 9, 18), 1, "day", cal, "working_day").due == date(2026, 9, 20)


# --- uncovered years --------------------------------------------------------------------------


def test_uncovered_year_is_flagged(cal):
    r = add_period(date(2026, 12, 1), 60, "day", cal)
    assert r.nominal == date(2027, 1, 30)  # Saturday
    assert r.due == date(2027, 2, 1)
    assert not r.calendar_complete
    assert "2027年" in r.explain and "周六、周日" in r.explain


def test_late_december_needs_next_year(cal):
    # next year's 元旦 arrangement can reach into late December
    assert not add_period(date(2026, 11, 30), 30, "day", cal).calendar_complete
    assert add_period(date(2026, 11, 1), 30, "day", cal).calendar_complete


def test_missing_year_in_custom_calendar():
    only_2024 = Calendar.from_mapping(
        {"years": {2024: {"source": "通知", "holidays": [date(2024, 10, 1)], "workdays": []}}}
    )
    r = add_period(date(2025, 9, 1), 30, "day", only_2024)
    assert r.due == date(2025, 10, 1)  # the 2025 国庆 is unknown here: weekends only
    assert not r.calendar_complete
    assert "2025年" in r.explain
    assert add_period(date(2024, 9, 1), 30, "day", only_2024).calendar_complete


# --- deadline_for -----------------------------------------------------------------------------


def test_deadline_for_with_start(cal):
    r = deadline_for(FUYI_APPLY, date(2026, 3, 2), calendar=cal)
    assert r.due == date(2026, 5, 6)
    assert not r.no_limit
    assert r.text == "60日（自知道或者应当知道该行政行为之日起），最后一日为2026年5月6日"
    assert r.grounds == ["复议法 第20条 第1款"]
    assert "顺延" in r.explain


def test_deadline_for_default_calendar():
    assert deadline_for(FUYI_APPLY, date(2026, 3, 2)).due == date(2026, 5, 6)


def test_deadline_for_without_start(cal):
    r = deadline_for(FUYI_APPLY, None, calendar=cal)
    assert r.due is None and not r.no_limit
    assert r.text == "60日（自知道或者应当知道该行政行为之日起）"


def test_deadline_for_working_days(cal):
    limit = {"length": 5, "unit": "day", "counting": "working_day", "grounds": ["复议法 第88条"]}
    r = deadline_for(limit, date(2026, 9, 30), calendar=cal)
    assert r.due == date(2026, 10, 13)
    assert r.text.startswith("5个工作日")


def test_unit_none_has_no_due_date(cal):
    r = deadline_for({"unit": "none", "grounds": []}, date(2026, 3, 2), calendar=cal)
    assert r.no_limit and r.due is None
    assert not is_overdue(r, date(2099, 1, 1))


def test_wages_owed_while_employed_has_no_limit(cal):
    facts = {"wages_owed": True, "employment_ongoing": True}
    r = deadline_for(LABOUR_APPLY, date(2020, 1, 1), facts, cal)
    assert r.no_limit and r.due is None
    assert r.grounds == ["劳仲法 第27条 第4款"]
    assert not is_overdue(r, date(2026, 11, 26))


def test_wages_owed_after_employment_ended(cal):
    facts = {"wages_owed": True, "employment_end_date": date(2025, 3, 10)}
    r = deadline_for(LABOUR_APPLY, date(2020, 1, 1), facts, cal)
    assert r.due == date(2026, 3, 10)  # one year from the end date, not from the start
    assert not r.no_limit
    assert "自劳动关系终止之日起" in r.text
    assert r.grounds == ["劳仲法 第27条 第4款"]


def test_wages_owed_end_unknown_gives_no_date(cal):
    r = deadline_for(LABOUR_APPLY, date(2025, 1, 1), {"wages_owed": True}, cal)
    assert r.due is None and not r.no_limit
    assert "劳动关系终止" in r.text


def test_other_labour_disputes_use_one_year(cal):
    r = deadline_for(LABOUR_APPLY, date(2025, 3, 10), {"wages_owed": False}, cal)
    assert r.due == date(2026, 3, 10)
    assert r.grounds == ["劳仲法 第27条 第1款"]
    assert deadline_for(LABOUR_APPLY, date(2025, 3, 10), None, cal).due == date(2026, 3, 10)


def test_is_overdue(cal):
    r = deadline_for(FUYI_APPLY, date(2026, 3, 2), calendar=cal)
    assert not is_overdue(r, date(2026, 5, 6))  # the last day runs to 24:00
    assert is_overdue(r, date(2026, 5, 7))
    assert not is_overdue(deadline_for(FUYI_APPLY, None, calendar=cal), date(2099, 1, 1))


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("length", "unit", "counting"),
    [
        (-1, "day", "calendar"),
        (0, "day", "calendar"),
        (True, "day", "calendar"),
        ("60", "day", "calendar"),
        (1, "week", "calendar"),
        (1, "none", "calendar"),
        (1, "day", "business"),
        (1, "month", "working_day"),
    ],
)
def test_add_period_bad_input(cal, length, unit, counting):
    with pytest.raises(ValueError):
        add_period(date(2026, 3, 2), length, unit, cal, counting)


@pytest.mark.parametrize(
    "limit",
    [
        {**FUYI_APPLY, "length": -60},
        {**FUYI_APPLY, "unit": "fortnight"},
        {**FUYI_APPLY, "counting": "lunar"},
        {"unit": "day"},
        {"unit": "none", "length": 3},
        {**LABOUR_APPLY, "exceptions": [{**LABOUR_APPLY["exceptions"][0], "when": "rain"}]},
        {**LABOUR_APPLY, "exceptions": [{**LABOUR_APPLY["exceptions"][0], "effect": "x"}]},
        "60日",
    ],
)
def test_deadline_for_bad_limit(cal, limit):
    with pytest.raises(ValueError):
        deadline_for(limit, date(2026, 3, 2), calendar=cal)


def test_deadline_for_contradictory_facts(cal):
    facts = {
        "wages_owed": True,
        "employment_ongoing": True,
        "employment_end_date": date(2025, 1, 1),
    }
    with pytest.raises(ValueError):
        deadline_for(LABOUR_APPLY, None, facts, cal)


def test_bad_start(cal):
    with pytest.raises(ValueError):
        add_period("yesterday", 1, "day", cal)  # type: ignore[arg-type]
