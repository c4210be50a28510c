"""Consultation records: masking, hashed senders, feedback, retention, stats, PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import consultations as cons
from bot.storage import get_engine
from bot.triage.result import TriageResult

ID_CARD = "11010519491231002X"
MOBILE = "13812345678"
BANK_CARD = "6222 0212 3456 7890 123"
BANK_DIGITS = BANK_CARD.replace(" ", "")
SENDER = "wx-openid-oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
SECRETS = (ID_CARD, ID_CARD[:14], MOBILE, MOBILE[:7], BANK_DIGITS, "6222 0212")


@pytest.fixture()
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'consult.db'}"


def _result(channel: str | None = "labour_arbitration", **facts: object) -> TriageResult:
    return TriageResult(channel=channel, alternatives=["civil_litigation"], confidence=0.9,
                        facts=dict(facts))


def _all_rows(url: str) -> list[dict]:
    with get_engine(url).connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(cons.records))]


def _dump(rows: list[dict]) -> str:
    """Every column of every row as one string (JSON columns serialised)."""
    return json.dumps(rows, ensure_ascii=False, default=str)


def test_text_facts_and_comment_are_masked(url: str) -> None:
    text = f"我的身份证{ID_CARD}，手机{MOBILE}，工资卡{BANK_CARD}，老板欠薪三个月。"
    facts = {"party": "employer", "wages_owed": True, "note": f"联系电话{MOBILE}",
             "dates": [{"date": dt.date(2026, 3, 2), "text": f"卡号{BANK_DIGITS}"}]}
    cid = cons.record_consultation(SENDER, text, _result(**facts), source="web", url=url)
    cons.set_feedback(cid, False, comment=f"打不通，再打{MOBILE}，身份证{ID_CARD}", url=url)
    stored = cons.get_consultation(cid, url=url)
    assert stored is not None
    assert stored.text == "我的身份证＊＊＊002X，手机＊＊＊5678，工资卡＊＊＊0123，老板欠薪三个月。"
    assert stored.facts["note"] == "联系电话＊＊＊5678"
    assert stored.facts["dates"] == [{"date": "2026-03-02", "text": "卡号＊＊＊0123"}]
    assert stored.facts["party"] == "employer" and stored.facts["wages_owed"] is True
    assert stored.feedback_comment == "打不通，再打＊＊＊5678，身份证＊＊＊002X"
    dump = _dump(_all_rows(url))
    for secret in SECRETS:
        assert secret not in dump


def test_sender_is_hashed_never_stored(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_SENDER_SALT", "salt-one")
    cons.record_consultation(SENDER, "村里占了我家的地", _result("land_contract_arbitration"),
                             url=url)
    rows = _all_rows(url)
    assert len(rows) == 1
    for column, value in rows[0].items():
        assert SENDER not in json.dumps(value, ensure_ascii=False, default=str), column
    key = rows[0]["sender_key"]
    assert len(key) == 64 and int(key, 16) >= 0
    assert key == cons.sender_key(SENDER)
    assert cons.sender_key("someone-else") != key
    monkeypatch.setenv("BOT_SENDER_SALT", "salt-two")
    assert cons.sender_key(SENDER) != key  # the salt matters
    assert cons.latest_for_sender(SENDER, url=url) is None  # not findable with another salt
    monkeypatch.setenv("BOT_SENDER_SALT", "salt-one")
    assert cons.latest_for_sender(SENDER, url=url) is not None


def test_latest_for_sender_and_feedback_update(url: str) -> None:
    t0 = dt.datetime(2026, 1, 1, 8, 0, tzinfo=dt.timezone.utc)
    first = cons.record_consultation(SENDER, "第一次", _result("civil_litigation"), url=url, at=t0)
    second = cons.record_consultation(SENDER, "第二次", _result(None), url=url,
                                      at=t0 + dt.timedelta(hours=1))
    cons.record_consultation("other", "别人的", _result(), url=url, at=t0 + dt.timedelta(hours=2))
    latest = cons.latest_for_sender(SENDER, url=url)
    assert latest is not None and latest.id == second and latest.id != first
    assert latest.channel is None and latest.text == "第二次" and latest.feedback is None
    assert latest.created_at == t0 + dt.timedelta(hours=1)
    assert latest.created_at.tzinfo is not None
    assert cons.latest_for_sender("nobody", url=url) is None

    cons.set_feedback(second, True, url=url)
    after = cons.get_consultation(second, url=url)
    assert after is not None and after.feedback == "helpful" and after.feedback_comment is None
    assert after.updated_at > after.created_at
    cons.set_feedback(second, False, comment="  没说清楚  ", url=url)  # the citizen changes mind
    after = cons.get_consultation(second, url=url)
    assert after is not None and after.feedback == "not_helpful"
    assert after.feedback_comment == "没说清楚"
    untouched = cons.get_consultation(first, url=url)
    assert untouched is not None and untouched.feedback is None
    with pytest.raises(cons.ConsultationNotFound):
        cons.set_feedback(99999, True, url=url)
    with pytest.raises(TypeError):
        cons.set_feedback(second, "yes", url=url)  # type: ignore[arg-type]


def test_purge_by_age(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    now = dt.datetime(2026, 6, 30, 12, 0, tzinfo=dt.timezone.utc)
    ages = {"old": 400, "edge_out": 181, "edge_in": 179, "new": 1}
    ids = {name: cons.record_consultation(SENDER, name, _result(), url=url,
                                          at=now - dt.timedelta(days=days))
           for name, days in ages.items()}
    monkeypatch.delenv("BOT_RETENTION_DAYS", raising=False)
    assert cons.retention_days() == 180
    assert cons.purge_older_than(url=url, now=now) == 2  # default 180 days
    kept = {r["text"] for r in _all_rows(url)}
    assert kept == {"edge_in", "new"}
    assert cons.get_consultation(ids["old"], url=url) is None
    with pytest.raises(cons.ConsultationNotFound):
        cons.set_feedback(ids["old"], True, url=url)
    monkeypatch.setenv("BOT_RETENTION_DAYS", "30")
    assert cons.purge_older_than(url=url, now=now) == 1
    assert {r["text"] for r in _all_rows(url)} == {"new"}
    assert cons.purge_older_than(30, url=url, now=now) == 0
    monkeypatch.setenv("BOT_RETENTION_DAYS", "half a year")
    with pytest.raises(ValueError, match="BOT_RETENTION_DAYS"):
        cons.purge_older_than(url=url, now=now)
    with pytest.raises(ValueError):
        cons.purge_older_than(-1, url=url, now=now)


def test_stats(url: str) -> None:
    day = dt.datetime(2026, 5, 1, 9, 0, tzinfo=dt.timezone.utc)
    before = cons.record_consultation(SENDER, "旧的", _result("civil_litigation"), url=url,
                                      at=day - dt.timedelta(days=10))
    cons.set_feedback(before, True, url=url)
    a = cons.record_consultation(SENDER, "a", _result("labour_arbitration"), url=url, at=day)
    b = cons.record_consultation(SENDER, "b", _result("labour_arbitration"), source="wechat",
                                 url=url, at=day)
    cons.record_consultation(SENDER, "c", _result("labour_arbitration"), url=url, at=day)
    d = cons.record_consultation(SENDER, "d", _result("admin_reconsideration"), source="web",
                                 url=url, at=day)
    cons.record_consultation(SENDER, "e", _result(None), url=url, at=day)
    cons.set_feedback(a, True, url=url)
    cons.set_feedback(b, False, url=url)
    cons.set_feedback(d, True, url=url)

    everything = cons.stats(url=url)
    assert everything["total"] == 6 and everything["since"] is None
    assert everything["channels"]["civil_litigation"]["count"] == 1

    recent = cons.stats(since=day.date(), url=url)
    assert recent["since"] == "2026-05-01"
    assert recent["total"] == 5
    assert list(recent["channels"]) == ["labour_arbitration", "admin_reconsideration",
                                        "undecided"]
    assert recent["channels"]["labour_arbitration"] == {
        "count": 3, "helpful": 1, "not_helpful": 1, "helpful_rate": 0.5}
    assert recent["channels"]["admin_reconsideration"]["helpful_rate"] == 1.0
    assert recent["channels"]["undecided"]["helpful_rate"] is None
    assert recent["sources"] == {"rest": 3, "web": 1, "wechat": 1}
    assert recent["feedback"] == {"helpful": 2, "not_helpful": 1, "none": 2,
                                  "helpful_rate": round(2 / 3, 4), "response_rate": 0.6}
    json.dumps(recent)  # JSON-ready for a report or an endpoint

    empty = cons.stats(since=dt.date(2030, 1, 1), url=url)
    assert empty["total"] == 0 and empty["channels"] == {}
    assert empty["feedback"]["helpful_rate"] is None


def test_huge_binaryish_and_markup_text(url: str) -> None:
    markup = "<script>alert(1)</script>'); DROP TABLE consult_records;-- {{7*7}} ${x}"
    cid = cons.record_consultation(SENDER, markup, _result(), url=url)
    stored = cons.get_consultation(cid, url=url)
    assert stored is not None and stored.text == markup  # stored verbatim, table intact

    binaryish = "欠薪\x00\x01\x1b[31m\ud800\ufffe" + "\x7f结束"
    cid = cons.record_consultation(SENDER, binaryish, _result(), url=url)
    stored = cons.get_consultation(cid, url=url)
    assert stored is not None and stored.text == "欠薪[31m\ufffd\ufffe结束"

    raw_bytes = "工资".encode() + b"\xff\xfe"
    cid = cons.record_consultation(SENDER, raw_bytes, _result(), url=url)  # type: ignore[arg-type]
    stored = cons.get_consultation(cid, url=url)
    assert stored is not None and stored.text.startswith("工资")

    # a huge text: capped, and a phone number right at the cap is still masked
    huge = "拖" * (cons.MAX_TEXT - 5) + MOBILE + "欠" * 2_000_000
    cid = cons.record_consultation(SENDER, huge, _result(), url=url)
    stored = cons.get_consultation(cid, url=url)
    assert stored is not None and len(stored.text) == cons.MAX_TEXT
    assert stored.text.endswith("拖＊＊＊56") and MOBILE[:7] not in stored.text

    # a long stream of numbers cut by the pre-cut is masked everywhere
    numbers = (MOBILE + " ") * 50_000
    cid = cons.record_consultation(SENDER, numbers, _result(), url=url)
    stored = cons.get_consultation(cid, url=url)
    assert stored is not None and "1381" not in stored.text and len(stored.text) == cons.MAX_TEXT

    empty = cons.record_consultation(SENDER, "", _result(None), url=url)
    assert cons.get_consultation(empty, url=url).text == ""  # type: ignore[union-attr]
    assert len(_all_rows(url)) == 6


def test_bad_arguments_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        cons.record_consultation("", "x", _result(), url=url)
    with pytest.raises(ValueError):
        cons.record_consultation(SENDER, "x", _result(), source="Web Page!", url=url)
    with pytest.raises(ValueError):
        cons.record_consultation(SENDER, "x", _result("'; DROP TABLE x"), url=url)
    with pytest.raises(TypeError):
        cons.record_consultation(SENDER, "x", {"channel": "suggestion"}, url=url)  # type: ignore
    assert cons.stats(url=url)["total"] == 0


def test_logs_hold_no_text_phone_or_sender(url: str, caplog: pytest.LogCaptureFixture,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BOT_SENDER_SALT", raising=False)
    caplog.set_level(logging.DEBUG)
    text = f"老板拖欠工资，我电话{MOBILE}，身份证{ID_CARD}"
    cid = cons.record_consultation(SENDER, text, _result(note=text), url=url)
    cons.set_feedback(cid, True, comment=f"谢谢，有事打{MOBILE}", url=url)
    cons.latest_for_sender(SENDER, url=url)
    cons.purge_older_than(1, url=url)
    cons.stats(url=url)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert f"consultation {cid} recorded: channel=labour_arbitration" in logged
    for secret in (*SECRETS, "5678", "002X", "老板", "工资", "谢谢", SENDER,
                   cons.sender_key(SENDER)):
        assert secret not in logged


def test_postgresql_round_trip(pg_url: str) -> None:
    text = f"身份证{ID_CARD}，手机{MOBILE}\x00，区人社局不处理<b>投诉</b>"
    cid = cons.record_consultation(SENDER, text, _result(note=f"卡{BANK_CARD}"),
                                   source="wechat", url=pg_url)
    cons.set_feedback(cid, False, comment=f"电话{MOBILE}没人接", url=pg_url)
    stored = cons.latest_for_sender(SENDER, url=pg_url)
    assert stored is not None and stored.id == cid
    assert stored.text == "身份证＊＊＊002X，手机＊＊＊5678，区人社局不处理<b>投诉</b>"
    assert stored.facts == {"note": "卡＊＊＊0123"}
    assert stored.alternatives == ["civil_litigation"]
    assert stored.feedback == "not_helpful" and stored.feedback_comment == "电话＊＊＊5678没人接"
    assert stored.created_at.tzinfo is not None
    dump = _dump(_all_rows(pg_url))
    for secret in (*SECRETS, SENDER):
        assert secret not in dump
    assert cons.stats(url=pg_url)["channels"]["labour_arbitration"]["not_helpful"] >= 1
    future = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=400)
    assert cons.purge_older_than(180, url=pg_url, now=future) >= 1
    assert cons.get_consultation(cid, url=pg_url) is None
