"""Practice mode in the chat: staff only, the options of 开始练习, a whole round, and the Rasa
actions against canned trackers (exact events, as RasaHQ/financial-demo does)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa_sdk.events import SlotSet

from actions import practice as act
from bot.practice import chat, get_bank
from bot.practice.attempts import list_attempts
from tests.test_conversation_actions import run, tracker

STAFF = "staff-sender-1"


@pytest.fixture(autouse=True)
def _staff(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, use_kb: str) -> Path:
    path = tmp_path / "staff.yml"
    path.write_text(f'staff:\n  - sender: "{STAFF}"\n    id: "A1023"\n'
                    '  - sender: "no-id-sender"\n', "utf-8")
    monkeypatch.setenv("BOT_STAFF_CONFIG", str(path))
    return path


def test_staff_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert chat.staff_id_for(STAFF) == "A1023"
    assert chat.staff_id_for("no-id-sender") == "no-id-sender"
    assert chat.staff_id_for("citizen-1") is None
    assert chat.staff_id_for("") is None
    for broken in ("staff: [", "\xff\xfe", "staff: 12", "- a\n- b"):
        bad = tmp_path / "bad.yml"
        bad.write_bytes(broken.encode("latin-1"))
        monkeypatch.setenv("BOT_STAFF_CONFIG", str(bad))
        assert chat.staff_id_for(STAFF) is None  # closed, not a crash
    monkeypatch.setenv("BOT_STAFF_CONFIG", str(tmp_path / "missing.yml"))
    assert chat.staff_id_for(STAFF) is None


@pytest.mark.parametrize("text, expected", [
    ("开始练习", chat.StartOptions("mix", None, 5)),
    ("开始练习 劳动仲裁 3题", chat.StartOptions("channel", "labour_arbitration", 3)),
    ("练一练行政复议，来两道", chat.StartOptions("channel", "admin_reconsideration", 2)),
    ("开始练习 薄弱环节 十题", chat.StartOptions("weakest", None, 10)),
    ("开始练习 ９９９题", chat.StartOptions("mix", None, 50)),  # capped
    ("开始练习 十五题", chat.StartOptions("mix", None, 15)),
    ("开始练习 二十道", chat.StartOptions("mix", None, 20)),
    ("開始練習 弱項 兩題", chat.StartOptions("weakest", None, 2)),  # traditional
    ("开始练习 起诉", chat.StartOptions("mix", None, 5)),  # names several channels: a mix
])
def test_start_options(text: str, expected: chat.StartOptions) -> None:
    assert chat.parse_start(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("开始练习", True), ("开始练习 劳动仲裁 3题", True), ("  开始练习！", True), ("练习模式", True),
    ("開始練習", True),  # traditional characters
    ("我在驾校开始练习倒车时被撞了", False), ("我要练习车技时被人撞了", False), ("开始", False),
    ("结束练习", False),
    ("", False),
])
def test_practice_command(text: str, expected: bool) -> None:
    from bot.dialogue import is_practice_command

    assert is_practice_command(text) is expected


def test_triage_hands_a_practice_command_over(use_kb: str) -> None:
    from actions.actions import ActionTriage

    for intent in ("nlu_fallback", "labour_arbitration", "out_of_scope"):
        events, messages = run(ActionTriage(), tracker("开始练习 劳动仲裁 2题", intent))
        assert events == [SlotSet("triage_status", "practice")] and messages == []


def test_citizens_are_refused() -> None:
    status, messages, session = chat.start("citizen-1", "开始练习")
    assert status == "refused" and session is None
    assert "只对信访工作人员开放" in messages[0].text


def _case_of(prompt: str):
    return next(c for c in get_bank() if c.scenario.strip() in prompt)


def test_a_whole_round_is_graded_and_stored(use_kb: str) -> None:
    status, messages, session = chat.start(STAFF, "开始练习 行政复议 2题")
    assert status == "started" and len(session["case_ids"]) == 2
    assert "行政复议" in messages[0].text and "共2题" in messages[0].text
    first = _case_of(messages[1].text)
    assert messages[1].text.startswith("第1题（共2题）") and first.channel == \
        "admin_reconsideration"

    messages, session = chat.answer(session, first.standard_answer)
    assert messages[0].text.startswith("得分：100/100")
    assert messages[1].text.startswith("标准答复：")
    second = _case_of(messages[2].text)
    assert messages[2].text.startswith("第2题（共2题）")

    messages, session = chat.answer(session, "你去法院起诉吧，条例第九十九条说了，我保证给你办好")
    assert session is None  # the round is over
    score = int(messages[0].text.split("得分：")[1].split("/")[0])
    assert score < 40
    assert "第九十九条" in messages[0].text and "不存在" in messages[0].text
    assert messages[-1].text.startswith("本轮练习结束：答了2题")
    stored = list_attempts("A1023", url=use_kb)
    assert [(a.case_id, a.score) for a in stored] == [(first.id, 100), (second.id, score)]


def test_stop_empty_answer_and_broken_session() -> None:
    _, _, session = chat.start(STAFF, "开始练习 3题")
    messages, same = chat.answer(session, "   ")
    assert same == session and "第1题" in messages[-1].text  # asked again, nothing stored
    for stop in ("结束练习", "結束練習！", " 不练了 "):
        messages, ended = chat.answer(session, stop)
        assert ended is None and messages[0].text.startswith("已结束练习")
    # 算了 inside a real answer is an answer, not a stop
    messages, moved = chat.answer(session, "您好，算了一下期限，建议您申请行政复议。")
    assert moved["position"] == 1 and messages[0].text.startswith("得分：")
    messages, ended = chat.answer({"staff_id": "x", "case_ids": "oops"}, "答案")
    assert ended is None and "重新开始练习" in messages[0].text


def test_a_session_whose_cases_left_the_bank_is_ended_clearly(use_kb: str) -> None:
    _, _, session = chat.start(STAFF, "开始练习 2题")
    stale = {**session, "case_ids": [session["case_ids"][0], "no-such-case-any-more"]}
    before = len(list_attempts("A1023", url=use_kb))
    messages, ended = chat.answer(stale, "您好，建议您申请劳动仲裁。")
    assert ended is None and messages == [chat.Message("练习案例已经更新，请重新开始练习")]
    assert len(list_attempts("A1023", url=use_kb)) == before  # nothing graded or stored


# ---- the actions -------------------------------------------------------------------------
def _texts(messages: list[dict[str, Any]]) -> list[str]:
    return [m["text"] for m in messages]


def test_action_start_refuses_a_citizen() -> None:
    events, messages = run(act.ActionPracticeStart(), tracker("开始练习", "nlu_fallback"))
    assert events == [SlotSet("practice_status", "refused"), SlotSet("practice", None),
                      SlotSet("practice_answer", None), SlotSet("triage_status", None)]
    assert len(messages) == 1 and "只对信访工作人员开放" in messages[0]["text"]


def test_actions_run_a_round(use_kb: str) -> None:
    t = tracker("开始练习 劳动仲裁 1题", "labour_arbitration", sender=STAFF)
    events, messages = run(act.ActionPracticeStart(), t)
    session = events[1]["value"]
    assert events == [SlotSet("practice_status", "started"), SlotSet("practice", session),
                      SlotSet("practice_answer", None), SlotSet("triage_status", None)]
    assert session["case_ids"] and session["position"] == 0
    assert len(messages) == 1 and "共1题" in messages[0]["text"]  # the case comes with the form

    _, asked = run(act.ActionAskPracticeAnswer(),
                   tracker(slots={"practice": session}, sender=STAFF))
    case = _case_of(asked[0]["text"])
    assert case.channel == "labour_arbitration"

    t = tracker(case.standard_answer, "labour_arbitration", active_loop="practice_form",
                slots={"practice": session, "practice_answer": case.standard_answer,
                       "requested_slot": "practice_answer"}, sender=STAFF)
    events, messages = run(act.ValidatePracticeForm(), t)
    assert events == [SlotSet("practice", None), SlotSet("practice_answer", "done")]
    assert _texts(messages)[0].startswith("得分：100/100")
    assert _texts(messages)[-1].startswith("本轮练习结束")

    events, messages = run(act.ActionPracticeEnd(), tracker(sender=STAFF))
    assert events == [SlotSet("practice", None), SlotSet("practice_answer", None),
                      SlotSet("practice_status", None)] and messages == []


def test_validate_moves_to_the_next_case() -> None:
    _, _, session = chat.start(STAFF, "开始练习 2题")
    t = tracker("您好，建议您去法院起诉。", "civil_litigation", active_loop="practice_form",
                slots={"practice": session, "practice_answer": "您好，建议您去法院起诉。",
                       "requested_slot": "practice_answer"}, sender=STAFF)
    events, messages = run(act.ValidatePracticeForm(), t)
    moved = events[0]["value"]
    assert events == [SlotSet("practice", moved), SlotSet("practice_answer", None)]
    assert moved["position"] == 1 and moved["case_ids"] == session["case_ids"]
    # score and model answer now; the next case is asked by action_ask_practice_answer
    assert len(messages) == 2 and messages[1]["text"].startswith("标准答复：")


def test_validate_on_activation_grades_nothing() -> None:
    _, _, session = chat.start(STAFF, "开始练习 2题")
    t = tracker("开始练习 2题", "nlu_fallback", slots={"practice": session}, sender=STAFF)
    assert run(act.ValidatePracticeForm(), t) == ([], [])
    # even with the slot filled: without the form asking for it, it is not an answer
    t = tracker("开始练习 2题", "nlu_fallback", sender=STAFF,
                slots={"practice": session, "practice_answer": "开始练习 2题"})
    assert run(act.ValidatePracticeForm(), t) == ([], [])


def test_ask_with_a_broken_session_says_so() -> None:
    events, messages = run(act.ActionAskPracticeAnswer(),
                           tracker(slots={"practice": "garbage"}, sender=STAFF))
    assert events == [] and messages[0]["text"] == act.PRACTICE_ERROR
