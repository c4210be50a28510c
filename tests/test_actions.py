"""Unit tests of the custom actions (actions/actions.py) against hand-built trackers.

Expected texts are rendered by the knowledge base itself: no law text is written here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import INTERNAL_ERROR, ActionQuoteArticle
from bot import answers
from bot.knowledge import KnowledgeBase, KnowledgeError, api, open_knowledge


@pytest.fixture()
def knowledge(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[KnowledgeBase]:
    """The default knowledge base, built into a SQLite file of this test's tmp_path."""
    monkeypatch.setenv("BOT_DB_URL", f"sqlite:///{tmp_path / 'bot.db'}")
    api._default.clear()
    yield open_knowledge()
    api._default.clear()


def tracker_for(text: str) -> Tracker:
    """A tracker whose latest user message is ``text``, classified as ask_article."""
    latest = {
        "text": text,
        "intent": {"name": "ask_article", "confidence": 0.99},
        "intent_ranking": [{"name": "ask_article", "confidence": 0.99}],
        "entities": [],
    }
    events = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text, "parse_data": latest},
    ]
    return Tracker(
        sender_id="test-user",
        slots={},
        latest_message=latest,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def run_action(text: str) -> tuple[list[dict], list[str]]:
    """Run action_quote_article on ``text``: (events returned, texts uttered)."""
    dispatcher = CollectingDispatcher()
    events = ActionQuoteArticle().run(dispatcher, tracker_for(text), domain={})
    return events, [message["text"] for message in dispatcher.messages]


def test_name() -> None:
    assert ActionQuoteArticle().name() == "action_quote_article"


def test_whole_article(knowledge: KnowledgeBase) -> None:
    events, texts = run_action("第三十一条是什么")
    assert events == []
    assert texts == [knowledge.get_article("信访工作条例", 31).render()]


def test_one_item(knowledge: KnowledgeBase) -> None:
    events, texts = run_action("条例31(四)")
    assert events == []
    assert texts == [knowledge.get_article("信访工作条例", 31, item=4).render()]
    assert texts != [knowledge.get_article("信访工作条例", 31).render()]


def test_other_law(knowledge: KnowledgeBase) -> None:
    events, texts = run_action("复议法第二十条")
    assert events == []
    assert texts == [knowledge.get_article("行政复议法", 20).render()]


def test_unknown_article(knowledge: KnowledgeBase) -> None:
    with pytest.raises(KnowledgeError) as raised:
        knowledge.get_article("信访工作条例", 99)
    events, texts = run_action("第九十九条")
    assert events == []
    assert texts == [str(raised.value)]
    assert "第九十九条" in texts[0]


def test_no_number_asks_for_one(knowledge: KnowledgeBase) -> None:
    events, texts = run_action("我想查条文")
    assert events == []
    assert texts == [answers.ASK_FOR_NUMBER]


def test_internal_error_becomes_a_polite_message(
        knowledge: KnowledgeBase, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    def broken(*_args: object, **_kwargs: object) -> answers.ArticleAnswer:
        raise RuntimeError("database is gone")

    monkeypatch.setattr(answers, "answer_article_request", broken)
    events, texts = run_action("第三十一条是什么")
    assert events == []
    assert texts == [INTERNAL_ERROR]
    assert "database is gone" not in texts[0]
    assert "action_quote_article failed" in caplog.text
