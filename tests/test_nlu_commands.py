"""The CommandRouter NLU component: practice commands bypass the intent model."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.commands import ROUTE_TO, CommandRouter, is_command


@pytest.mark.parametrize("text, expected", [
    ("开始练习", True), ("开始练习 劳动仲裁 3题", True), ("开始练习。", True), ("練習模式", True),
    ("单位拖欠工资，我要练习怎么写申请书", False), ("我在驾校开始练习倒车时被撞了", False),
    ("你好", False), ("", False),
])
def test_command_words(text: str, expected: bool) -> None:
    assert is_command(text) is expected


def test_only_commands_get_their_intent_replaced() -> None:
    command = Message(data={"text": "开始练习 3题", "intent": {"name": "ask_article",
                                                               "confidence": 0.8}})
    other = Message(data={"text": "第三十一条是什么", "intent": {"name": "ask_article",
                                                                "confidence": 0.9}})
    router = CommandRouter()
    assert router.process([command, other]) == [command, other]
    assert command.get("intent") == {"name": ROUTE_TO, "confidence": 1.0}
    assert other.get("intent") == {"name": "ask_article", "confidence": 0.9}


def test_broken_words_route_nothing(tmp_path, monkeypatch) -> None:
    from bot import config

    (tmp_path / "conversation.yaml").write_text("practice: [开始练习]\n", "utf-8")
    monkeypatch.setattr(config, "knowledge_dir", lambda: tmp_path)
    assert is_command("开始练习") is False

