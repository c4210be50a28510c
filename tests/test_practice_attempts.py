"""Practice mode: stored attempts (SQLite and PostgreSQL), the report and its chart, and the
session API (choosing cases by channel, as a mix, or from the staff member's weakest channels).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from bot.practice import PracticeError, PracticeSession, pick_cases, weakest_channels
from bot.practice.attempts import MAX_ANSWER, list_attempts, record_attempt
from bot.practice.data import load
from bot.practice.report import build_report, render_report, write_report

LABOUR = "dismissed-overtime-unpaid"
FINE = "street-vendor-fined"
FRAUD = "online-investment-fraud"


@pytest.fixture(scope="module")
def practice(kb):
    return load(kb)


@pytest.fixture()
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'practice.db'}"


def attempt(practice, url: str, staff: str, case_id: str, answer: str,
            at: dt.datetime | None = None) -> int:
    grader, bank = practice
    case = bank.get(case_id)
    return record_attempt(staff, case, grader.grade(case, answer), answer, url, at=at)


def _store_and_read(practice, url: str) -> None:
    grader, bank = practice
    case = bank.get(LABOUR)
    answer = "您好，请申请劳动仲裁。我的电话13812345678。" + "长" * 5000
    result = grader.grade(case, answer)
    first = record_attempt(" A1023 ", case, result, answer, url,
                           at=dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.timezone.utc))
    second = attempt(practice, url, "张三", FINE, bank.get(FINE).standard_answer,
                     at=dt.datetime(2026, 3, 2, 8, 0))
    assert second > first
    rows = list_attempts(url=url)
    assert [r.id for r in rows] == [first, second]
    one = rows[0]
    assert one.staff_id == "A1023" and one.case_id == LABOUR
    assert one.channel == "labour_arbitration" and one.score == result.score
    assert list(one.missed) == result.missed and one.lost == result.lost
    assert len(one.answer) == MAX_ANSWER and "13812345678" not in one.answer
    assert one.created_at == dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.timezone.utc)
    assert [r.id for r in list_attempts("张三", url=url)] == [second]
    assert [r.id for r in list_attempts(since=dt.date(2026, 3, 2), url=url)] == [second]
    assert list_attempts(url=url, channels=["suggestion"]) == []


def test_attempts_are_stored_masked_and_capped(practice, url: str) -> None:
    _store_and_read(practice, url)


def test_attempts_on_postgresql(practice, pg_url: str) -> None:
    _store_and_read(practice, pg_url)


def test_bad_staff_ids_are_refused(practice, url: str) -> None:
    for bad in ("", "   ", "\x00"):
        with pytest.raises(PracticeError, match="工作人员编号不能为空"):
            attempt(practice, url, bad, LABOUR, "您好")


def test_report_numbers_and_chart(practice, url: str, tmp_path: Path) -> None:
    grader, bank = practice
    good = bank.get(LABOUR).standard_answer
    attempt(practice, url, "A1", LABOUR, good)  # 100
    attempt(practice, url, "A1", FINE, "您好，请申请劳动仲裁。")  # wrong channel
    attempt(practice, url, "王芳", LABOUR, "您好，请申请劳动仲裁，时效一年。")
    rows = list_attempts(url=url)
    scores = [r.score for r in rows]
    report = build_report(rows, grader.rules.labels, grader.view.channel_name)
    assert report.total.count == 3 and report.total.mean == round(sum(scores) / 3, 1)
    assert report.staff["A1"].count == 2 and report.staff["A1"].best == 100
    assert report.staff["A1"].mean == round((scores[0] + scores[1]) / 2, 1)
    assert report.staff_weak_channels["A1"] == ["admin_reconsideration"]
    assert report.channels["labour_arbitration"].count == 2
    assert next(iter(report.channels)) == "admin_reconsideration"  # lowest mean first
    body = next(w for w in report.weak_points if w.item == "body")
    assert body.missed == 2 and body.points_lost == 20 and body.label == "受理机关"
    assert report.weak_points[0].missed >= report.weak_points[-1].missed
    text = render_report(report)
    assert "练习记录 3 次" in text and "A1：2 次" in text
    assert "行政复议（admin_reconsideration）" in text
    chart, data = write_report(report, tmp_path / "out")
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and chart.stat().st_size > 10_000
    numbers = json.loads(data.read_text("utf-8"))
    assert numbers["total"]["count"] == 3 and numbers["staff"]["王芳"]["count"] == 1
    assert "（图中的编号：id-" in text and "= 王芳）" in text  # the chart has ASCII labels
    assert numbers["weak_points"][0]["missed"] == report.weak_points[0].missed


def test_empty_report(practice, tmp_path: Path) -> None:
    report = build_report([], practice[0].rules.labels)
    assert render_report(report) == "没有练习记录。"
    chart, _ = write_report(report, tmp_path)
    assert chart.is_file()


# ---- choosing cases -----------------------------------------------------------------------
def test_pick_one_channel(practice) -> None:
    bank = practice[1]
    cases = pick_cases(3, mode="channel", channel="labour_arbitration", seed=1, bank=bank)
    assert len(cases) == 3 and {c.channel for c in cases} == {"labour_arbitration"}
    assert len({c.id for c in cases}) == 3
    everything = pick_cases(50, mode="channel", channel="suggestion", bank=bank)
    assert len(everything) == len(bank.by_channel("suggestion"))
    with pytest.raises(PracticeError, match="没有渠道 nope 的练习案例"):
        pick_cases(3, mode="channel", channel="nope", bank=bank)
    with pytest.raises(PracticeError, match="请指定渠道代码"):
        pick_cases(3, mode="channel", bank=bank)


def test_pick_a_mix(practice) -> None:
    bank = practice[1]
    channels = bank.channels()
    mix = pick_cases(len(channels), seed=3, bank=bank)
    assert len({c.channel for c in mix}) == len(channels)  # spread over every channel
    assert pick_cases(5, seed=3, bank=bank) == pick_cases(5, seed=3, bank=bank)
    assert len({c.id for c in pick_cases(40, seed=4, bank=bank)}) == 40
    for bad in (0, -1, 51, True, "5"):
        with pytest.raises(PracticeError, match="题数"):
            pick_cases(bad, bank=bank)  # type: ignore[arg-type]
    with pytest.raises(PracticeError, match="练习方式"):
        pick_cases(3, mode="random", bank=bank)


def test_pick_the_weakest_channels(practice, url: str) -> None:
    bank = practice[1]
    # no attempts yet: a plain mix
    assert len(pick_cases(4, mode="weakest", staff_id="C3", seed=1, bank=bank, url=url)) == 4
    attempt(practice, url, "C3", LABOUR, "您好，请申请行政复议。")  # low
    attempt(practice, url, "C3", FRAUD, "您好，已登记，请到公安机关报案。")  # middle
    attempt(practice, url, "C3", FINE, bank.get(FINE).standard_answer)  # 100: not weak
    weak = weakest_channels("C3", url=url)
    assert weak == ["labour_arbitration", "criminal_report"]
    cases = pick_cases(4, mode="weakest", staff_id="C3", seed=2, bank=bank, url=url)
    assert [c.channel for c in cases[:4]] == ["labour_arbitration", "criminal_report"] * 2
    assert cases[0].id != LABOUR and cases[1].id != FRAUD  # untried cases first
    many = pick_cases(30, mode="weakest", staff_id="C3", seed=2, bank=bank, url=url)
    assert len({c.id for c in many}) == 30  # topped up with a mix
    with pytest.raises(PracticeError, match="需要工作人员编号"):
        pick_cases(3, mode="weakest", bank=bank, url=url)


def test_a_practice_session(use_kb, practice, url: str) -> None:
    session = PracticeSession.start("D4", n=2, mode="channel", channel="labour_arbitration",
                                    seed=5, url=url)
    assert session.case_ids and not session.finished
    first = session.current()
    assert first is not None and first.channel == "labour_arbitration"
    with pytest.raises(PracticeError):
        session.submit("   ", url=url)
    assert session.position == 0  # an empty answer does not move on
    result = session.submit(first.standard_answer, url=url)
    assert result.score == 100 and session.position == 1
    state = json.loads(json.dumps(session.to_dict()))  # a slot holds JSON
    again = PracticeSession.from_dict(state)
    assert again == session
    second = again.current()
    again.submit("您好", url=url)
    assert again.finished and again.current() is None
    assert again.summary() == {"answered": 2, "total": 2,
                               "mean": round((100 + again.scores[1]) / 2, 1),
                               "scores": [100, again.scores[1]]}
    with pytest.raises(PracticeError, match="已经结束"):
        again.submit("您好", url=url)
    stored = list_attempts("D4", url=url)
    assert [a.case_id for a in stored] == [first.id, second.id]
    for bad in (None, {}, {"staff_id": "x", "case_ids": [], "position": 5}, "junk"):
        with pytest.raises(PracticeError, match="练习进度数据无效"):
            PracticeSession.from_dict(bad)
