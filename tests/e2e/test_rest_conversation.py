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


def say(server: dict, sender: str, message: str) -> list[str]:
    """Send one message through the REST channel; return the texts of the replies."""
    request = urllib.request.Request(
        f"{server['rasa']}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": message}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return [m["text"] for m in json.loads(response.read()) if "text" in m]


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
