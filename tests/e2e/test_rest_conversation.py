"""End to end: the trained model, the action server and `rasa run` (SQLite tracker store),
and complete conversations through the REST webhook."""

from __future__ import annotations

import json
import sqlite3
import urllib.request
from pathlib import Path

import pytest
import yaml

from bot.knowledge import KnowledgeBase
from tests.conftest import ROOT

pytestmark = pytest.mark.e2e


def chat(server: dict, sender: str, message: str) -> list[dict]:
    """Send one message through the REST channel; return the replies with their buttons."""
    request = urllib.request.Request(
        f"{server['rasa']}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": message}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def say(server: dict, sender: str, message: str) -> list[str]:
    """Send one message through the REST channel; return the texts of the replies."""
    return [m["text"] for m in chat(server, sender, message) if "text" in m]


def response_text(name: str) -> str:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text("utf-8"))
    return domain["responses"][name][0]["text"]


def test_greeting_then_article(rasa_server: dict, kb: KnowledgeBase) -> None:
    assert say(rasa_server, "citizen-1", "你好") == [response_text("utter_greet")]
    assert say(rasa_server, "citizen-1", "第三十一条是什么") == [
        kb.get_article("信访工作条例", 31).render()]


def test_items_other_laws_and_unknown_articles(rasa_server: dict, kb: KnowledgeBase) -> None:
    assert say(rasa_server, "citizen-2", "条例31(四)说的啥") == [
        kb.get_article("条例", 31, item=4).render()]
    assert say(rasa_server, "citizen-2", "复议法第二十条原文") == [
        kb.get_article("复议法", 20).render()]
    reply = say(rasa_server, "citizen-2", "信访工作条例第九十九条是什么")
    assert len(reply) == 1 and "没有第九十九条" in reply[0]


def test_conversation_is_kept_in_the_sqlite_tracker_store(rasa_server: dict) -> None:
    say(rasa_server, "citizen-3", "你好")
    say(rasa_server, "citizen-3", "第三十六条第三款")
    with urllib.request.urlopen(f"{rasa_server['rasa']}/conversations/citizen-3/tracker",
                                timeout=30) as response:
        tracker = json.loads(response.read())
    actions = [e.get("name") for e in tracker["events"] if e["event"] == "action"]
    assert "utter_greet" in actions and "action_quote_article" in actions
    with sqlite3.connect(rasa_server["tracker_db"]) as conn:
        senders = {row[0] for row in conn.execute("select sender_id from events")}
    assert "citizen-3" in senders


def test_bad_input_gets_an_answer_not_an_error(rasa_server: dict) -> None:
    for message in ["", "<script>alert(1)</script>", "第" * 5000, "'; DROP TABLE events; --"]:
        replies = say(rasa_server, "citizen-4", message)
        assert all("Traceback" not in r for r in replies)
    assert say(rasa_server, "citizen-4", "你好") == [response_text("utter_greet")]


def test_model_file_is_the_trained_one(rasa_server: dict) -> None:
    assert Path(rasa_server["model"]).stat().st_size > 100_000


# ---- complete conversations ----------------------------------------------------------------
def texts_of(replies: list[dict]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def test_form_with_buttons_then_answer_follow_up_and_feedback(rasa_server: dict,
                                                              kb_url: str) -> None:
    from bot import consultations

    sender = "citizen-form"
    first = chat(rasa_server, sender,
                 "和供货商签了合同，对方一直不给货款，我身份证110101199003078515")
    assert first[-1]["text"] == "合同里有没有约定发生纠纷时申请仲裁？"
    titles = [b["title"] for b in first[-1]["buttons"]]
    assert titles == ["有仲裁条款", "没有", "不清楚"]
    second = chat(rasa_server, sender, first[-1]["buttons"][1]["payload"])  # 没有
    assert second[-1]["text"].startswith("对方是政府部门")
    answer = chat(rasa_server, sender, "个人或公司")
    assert answer[0]["text"].startswith("建议途径：民事诉讼")
    assert "商事仲裁" not in answer[0]["text"]  # 没有仲裁约定 rules it out
    article_buttons = next(r for r in answer if r["text"].startswith("依据："))["buttons"]
    route = answer[-1]["custom"]  # the route as data for the website, after the bubbles
    assert route["type"] == "route" and route["channel"] == "civil_litigation"
    assert route["articles"] and "text" not in answer[-1]
    feedback = answer[-2]
    assert feedback["text"] == "这些信息对您有帮助吗？"
    # the full text behind a 查看原文 button
    full = chat(rasa_server, sender, article_buttons[0]["payload"])
    assert full[0]["text"].startswith(article_buttons[0]["title"].removesuffix("原文"))
    # a follow-up in context
    assert texts_of(chat(rasa_server, sender, "那要带什么材料？")).startswith(
        "民事诉讼（可以先调解）要准备的材料")
    # feedback stored with the consultation, whose text is masked
    thanks = chat(rasa_server, sender, feedback["buttons"][0]["payload"])
    assert thanks[0]["text"].startswith("谢谢您的反馈")
    record = consultations.latest_for_sender(sender, url=kb_url)  # the server's database
    assert record.channel == "civil_litigation" and record.feedback == "helpful"
    assert "110101199003078515" not in record.text


def test_date_answer_gives_the_due_date_and_overdue_follow_up(rasa_server: dict) -> None:
    sender = "citizen-date"
    asked = chat(rasa_server, sender, "城管把我三轮车没收了还罚款")
    assert asked[-1]["text"] == "处罚或者决定是哪天收到（知道）的？"
    answer = texts_of(chat(rasa_server, sender, "2026年1月5日收到的"))
    assert "建议途径：行政复议" in answer and "最后一日为2026年3月" in answer
    overdue = texts_of(chat(rasa_server, sender, "过期了怎么办"))
    assert "12348" in overdue


def test_emergency_fallback_and_handoff(rasa_server: dict) -> None:
    reply = chat(rasa_server, "citizen-sos", "我不想活了，单位欠我工资两年了不给")
    assert "12356" in reply[0]["text"]
    sender = "citizen-lost"
    first = chat(rasa_server, sender, "？？？")
    assert first[-1]["text"].startswith("抱歉，我不太确定")
    assert first[-1]["buttons"][-1] == {"title": "转人工", "payload": "/human_handoff"}
    second = texts_of(chat(rasa_server, sender, "asdf"))
    assert "转人工" in second and "给工作人员的摘要" in second
    handoff = texts_of(chat(rasa_server, "citizen-sos", "转人工"))
    assert "【转人工摘要】" in handoff and "劳动（人事）争议仲裁" in handoff


def test_nothing_personal_in_the_server_logs(rasa_server: dict) -> None:
    chat(rasa_server, "citizen-private", "我手机13912345678，银行卡6222021234567890123被盗刷了")
    logs = "".join((rasa_server["work"] / f"{n}.log").read_text("utf-8", "replace")
                   for n in ("actions", "rasa"))
    assert "13912345678" not in logs and "6222021234567890123" not in logs
