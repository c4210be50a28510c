"""End to end: a practice session through the REST webhook of a real `rasa run` — refused to a
citizen, a whole round for a staff sender (a standard answer, a wrong one), the attempts read
back from the database, and the ordinary conversation working again afterwards."""

from __future__ import annotations

import pytest

from bot.practice import get_bank
from bot.practice.attempts import list_attempts
from tests.e2e.conftest import PRACTICE_STAFF
from tests.e2e.test_rest_conversation import say

pytestmark = pytest.mark.e2e


def _case_of(text: str):
    return next(c for c in get_bank() if c.scenario.strip() in text)


def test_practice_is_for_staff_only(rasa_server: dict) -> None:
    replies = say(rasa_server, "citizen-practice", "开始练习")
    assert len(replies) == 1 and "只对信访工作人员开放" in replies[0]
    # the citizen's next message is a normal complaint, not a practice answer
    replies = say(rasa_server, "citizen-practice", "城管把我三轮车没收了还罚款两百")
    assert not any(r.startswith("得分：") for r in replies)


def test_a_practice_round_through_rasa(rasa_server: dict, kb_url: str) -> None:
    replies = say(rasa_server, PRACTICE_STAFF, "开始练习 劳动仲裁 2题")
    assert "共2题" in replies[0] and replies[-1].startswith("第1题（共2题）")
    first = _case_of(replies[-1])
    assert first.channel == "labour_arbitration"

    replies = say(rasa_server, PRACTICE_STAFF, first.standard_answer)
    assert replies[0].startswith("得分：100/100")
    assert replies[1] == "标准答复：" + first.standard_answer.strip()
    assert replies[-1].startswith("第2题（共2题）")
    second = _case_of(replies[-1])

    wrong = "这个不归我们管，你去法院打官司吧，依据是条例第八十八条，我保证你能赢。"
    replies = say(rasa_server, PRACTICE_STAFF, wrong)
    score = int(replies[0].split("得分：")[1].split("/")[0])
    assert score < 40 and "第八十八条" in replies[0]
    assert replies[-1].startswith("本轮练习结束：答了2题")

    attempts = list_attempts("E2E-STAFF", url=kb_url)
    assert [(a.case_id, a.score) for a in attempts][-2:] == [(first.id, 100), (second.id, score)]

    # the round is over: an article question is answered as usual again
    replies = say(rasa_server, PRACTICE_STAFF, "第三十一条是什么")
    assert replies and replies[0].startswith("《信访工作条例》第三十一条")


def test_stop_in_the_middle(rasa_server: dict) -> None:
    replies = say(rasa_server, PRACTICE_STAFF, "开始练习 3题")
    assert replies[-1].startswith("第1题（共3题）")
    replies = say(rasa_server, PRACTICE_STAFF, "结束练习")
    assert replies == ["已结束练习，本轮没有作答。需要时再发“开始练习”。"]
