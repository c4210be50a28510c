"""The conversation actions against canned trackers, asserting the exact events they return
(as RasaHQ/financial-demo does). No network and no Rasa server: the actions call bot/."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import actions as act
from bot import consultations, dialogue

TODAY = dt.date(2026, 11, 26)


@pytest.fixture(autouse=True)
def _setup(use_kb: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(act, "today", lambda: TODAY)


def tracker(text: str = "", intent: str | None = None, *, slots: dict[str, Any] | None = None,
            latest_action: str = "action_listen", active_loop: str | None = None,
            entities: list[dict] | None = None, ranking: list[tuple[str, float]] | None = None,
            sender: str = "citizen-1") -> Tracker:
    """A tracker whose latest user message is ``text`` with ``intent``."""
    ranking = ranking if ranking is not None else ([(intent, 0.9)] if intent else [])
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9} if intent else {},
              "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
              "entities": entities or []}
    events = [{"event": "action", "name": "action_listen"},
              {"event": "user", "text": text, "parse_data": latest}]
    return Tracker(sender_id=sender, slots=dict(slots or {}), latest_message=latest,
                   events=events, paused=False, followup_action=None,
                   active_loop={"name": active_loop} if active_loop else {},
                   latest_action_name=latest_action)


def run(action: Any, t: Tracker) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, t, domain={})
    return events, dispatcher.messages


def test_triage_answers_and_records_the_consultation():
    text = "城管把我三轮车没收了，2026年10月20日收到的处罚决定书"
    events, messages = run(act.ActionTriage(), tracker(text, "admin_reconsideration"))
    record_id = events[-1]["value"]
    assert events == [SlotSet("triage_status", "answered"), SlotSet("complaint", text),
                      SlotSet("unclear_turns", 0.0),
                      SlotSet("complaint_ranking", [["admin_reconsideration", 0.9]]),
                      SlotSet("questions_asked", 0.0),
                      SlotSet("failed_answers", 0.0),
                      SlotSet("channel", "admin_reconsideration"),
                      SlotSet("consultation_id", record_id)]
    assert messages[0]["text"].startswith("建议途径：行政复议")
    assert messages[-2]["text"] == "这些信息对您有帮助吗？"
    route = messages[-1]["custom"]  # the route, machine-readable, for the website (REST)
    assert messages[-1]["text"] is None and route["type"] == "route"
    assert route["channel"] == "admin_reconsideration" and route["status"] == "answered"
    assert route["articles"] and all(isinstance(a, str) for a in route["articles"])
    assert route["emergency"] is None and route["asked"] == []
    assert [b["payload"] for b in messages[-2]["buttons"]] == ["/feedback_helpful",
                                                               "/feedback_unhelpful"]
    stored = consultations.get_consultation(int(record_id))
    assert stored.channel == "admin_reconsideration" and stored.feedback is None


def test_triage_asks_by_starting_the_form():
    text = "和供货商签了合同，对方一直不给货款"
    events, messages = run(act.ActionTriage(), tracker(text, "civil_litigation"))
    assert events == [SlotSet("triage_status", "asking"), SlotSet("complaint", text),
                      SlotSet("unclear_turns", 0.0),
                      SlotSet("complaint_ranking", [["civil_litigation", 0.9]]),
                      SlotSet("questions_asked", 0.0), SlotSet("failed_answers", 0.0)]
    # the form asks; the only message is the route data: not decided, the candidates named
    assert [m["text"] for m in messages] == [None]
    route = messages[0]["custom"]
    assert route["status"] == "asking" and route["channel"] is None
    assert set(route["alternatives"]) == {"commercial_arbitration", "civil_litigation"}
    assert "arbitration_clause" in route["asked"]


def test_triage_new_complaint_clears_the_facts_of_the_previous_one():
    slots = {"party": "admin_organ", "complaint": "对方借钱不还", "triage_status": "answered"}
    events, _ = run(act.ActionTriage(), tracker("我要举报村支书贪污", "discipline_report",
                                                slots=slots))
    assert SlotSet("party", None) in events
    assert SlotSet("complaint", "我要举报村支书贪污") in events


def test_triage_after_the_form_answers_with_the_facts():
    slots = {"complaint": "和供货商签了合同，对方一直不给货款", "arbitration_clause": "false",
             "party": "private_person", "questions_asked": 2.0}
    events, messages = run(act.ActionTriage(), tracker("个人或公司", "nlu_fallback",
                                                       slots=slots, latest_action="triage_form"))
    assert events[0] == SlotSet("triage_status", "answered")
    assert SlotSet("channel", "civil_litigation") in events
    assert SlotSet("questions_asked", 0.0) not in events  # the count stays with the complaint
    assert messages[0]["text"].startswith("建议途径：民事诉讼")


def test_after_the_form_the_complaint_ranking_counts_not_the_reply():
    """The reply 公司 may look like a labour complaint to the NLU: it must not decide."""
    slots = {"complaint": "和供货商签了合同，对方一直不给货款", "arbitration_clause": "unknown",
             "party": "private_person", "complaint_ranking": [["civil_litigation", 0.7]]}
    reply = tracker("公司", "labour_arbitration", slots=slots, latest_action="triage_form",
                    ranking=[("labour_arbitration", 0.95)])
    events, _ = run(act.ActionTriage(), reply)
    assert SlotSet("channel", "civil_litigation") in events
    assert SlotSet("complaint_ranking", [["civil_litigation", 0.7]]) in events


def test_triage_fallback_then_handoff():
    ranking = [("ask_procedure", 0.3), ("labour_arbitration", 0.25)]
    events, messages = run(act.ActionTriage(), tracker("嗯那个啥", "nlu_fallback",
                                                       ranking=ranking))
    assert events[:3] == [SlotSet("triage_status", "unclear"), SlotSet("complaint", "嗯那个啥"),
                          SlotSet("unclear_turns", 1.0)]
    assert [b["title"] for b in messages[-1]["buttons"]] == [
        "问信访的办理程序", "我的问题是：劳动（人事）争议仲裁", "转人工"]
    slots = {"unclear_turns": 1.0, "complaint": "嗯那个啥", "triage_status": "unclear"}
    events, messages = run(act.ActionTriage(), tracker("哦哦哦", "nlu_fallback", slots=slots,
                                                       ranking=ranking))
    assert events[:3] == [SlotSet("triage_status", "unclear"),
                          SlotSet("complaint", "嗯那个啥。哦哦哦"), SlotSet("unclear_turns", 0.0)]
    assert any(m["text"].startswith("转人工") for m in messages)


def test_triage_failure_is_a_polite_message(monkeypatch, caplog):
    def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError("secret 110101199003078515")

    monkeypatch.setattr(dialogue, "triage_turn", broken)
    events, messages = run(act.ActionTriage(), tracker("单位欠薪", "labour_arbitration"))
    assert events == [SlotSet("triage_status", "unclear")]
    assert [m["text"] for m in messages] == [act.TRIAGE_ERROR]
    assert "单位欠薪" not in caplog.text  # nothing the citizen wrote is logged


def test_validate_form_activation_chooses_the_first_question():
    slots = {"complaint": "和供货商签了合同，对方一直不给货款"}
    events, messages = run(act.ValidateTriageForm(), tracker("", None, slots=slots,
                                                             active_loop="triage_form"))
    assert events == [SlotSet("requested_slot", "arbitration_clause")]
    assert messages == []


def test_validate_form_reads_an_answer():
    slots = {"complaint": "和供货商签了合同，对方一直不给货款",
             "requested_slot": "arbitration_clause", "arbitration_clause": "没有"}
    events, messages = run(act.ValidateTriageForm(), tracker("没有", "nlu_fallback",
                                                             slots=slots,
                                                             active_loop="triage_form"))
    assert events == [SlotSet("arbitration_clause", "false"), SlotSet("failed_answers", 0),
                      SlotSet("questions_asked", 1), SlotSet("requested_slot", "party")]
    assert messages == []


def test_validate_form_unusable_answer_is_asked_again():
    slots = {"complaint": "城管把我三轮车没收了还罚款", "requested_slot": "decision_date",
             "decision_date": "不知道啊啊啊？？"[3:]}
    events, messages = run(act.ValidateTriageForm(), tracker("啊？？", "nlu_fallback",
                                                             slots=slots,
                                                             active_loop="triage_form"))
    assert events == [SlotSet("failed_answers", 1), SlotSet("decision_date", None),
                      SlotSet("requested_slot", "decision_date")]
    assert [m["text"] for m in messages] == ["抱歉，没能从您的回答里看出来。"]


def test_validate_form_stop_ends_the_questions():
    slots = {"complaint": "城管把我三轮车没收了还罚款", "requested_slot": "decision_date",
             "decision_date": "算了"}
    events, _ = run(act.ValidateTriageForm(), tracker("算了", "out_of_scope", slots=slots,
                                                      active_loop="triage_form"))
    assert events == [SlotSet("decision_date", "unknown"), SlotSet("failed_answers", 0),
                      SlotSet("requested_slot", None)]


def test_ask_action_explains_after_two_unusable_answers():
    events, messages = run(act.ActionAskParty(), tracker(slots={"failed_answers": 0.0}))
    assert events == [] and messages[0]["text"] == "对方是政府部门、用人单位，还是个人或公司？"
    assert messages[0]["buttons"][-1] == {"title": "不清楚", "payload": "不清楚"}
    _, messages = run(act.ActionAskParty(), tracker(slots={"failed_answers": 2.0}))
    assert messages[0]["text"].startswith("我需要知道：对方是政府部门")
    assert {a.fact for a in (act.ActionAskDecisionDate(), act.ActionAskWhatHappened())} == {
        "decision_date", "what_happened"}
    assert act.ActionAskHasJudgment().name() == "action_ask_has_judgment"


def test_quote_article_from_a_button_entity():
    entities = [{"entity": "article_ref", "value": "条例 第20条 第1款"}]
    events, messages = run(act.ActionQuoteArticle(), tracker(
        '/ask_article{"article_ref": "条例 第20条 第1款"}', "ask_article", entities=entities))
    assert events == []
    assert messages[0]["text"].startswith("《信访工作条例》第二十条第一款")


def test_questions_use_the_channel_in_context_and_keep_the_complaint():
    slots = {"channel": "labour_arbitration", "complaint": "公司拖欠我工资",
             "party": "employer", "complaint_ranking": [["labour_arbitration", 0.8]]}
    events, messages = run(act.ActionTriage(), tracker("那要带什么材料", "ask_followup",
                                                       slots=slots))
    assert events == [SlotSet("triage_status", "replied"), SlotSet("complaint", "公司拖欠我工资"),
                      SlotSet("unclear_turns", 0.0),
                      SlotSet("complaint_ranking", [["labour_arbitration", 0.8]]),
                      SlotSet("questions_asked", 0.0), SlotSet("failed_answers", 0.0)]
    assert messages[0]["text"].startswith("劳动（人事）争议仲裁要准备的材料")
    _, messages = run(act.ActionTriage(), tracker(
        '/ask_procedure{"topic": "online"}', "ask_procedure",
        entities=[{"entity": "topic", "value": "online"}]))
    from bot.followups import answer_procedure

    assert [m["text"] for m in messages] == answer_procedure("online")


def test_handoff_gives_contacts_and_summary():
    events, messages = run(act.ActionHandoff(), tracker(
        "转人工", "human_handoff", slots={"complaint": "公司欠我工资", "channel": None}))
    assert events == [SlotSet("unclear_turns", 0.0)]
    texts = [m["text"] for m in messages]
    assert texts[0].startswith("转人工") and "12345" in texts[0]
    assert texts[-1].startswith("给工作人员的摘要") and "劳动（人事）争议仲裁" in texts[-1]


def test_feedback_is_stored_with_the_consultation():
    events, _ = run(act.ActionTriage(), tracker("区市场监管局2026年11月2日罚了我两万元",
                                                "admin_reconsideration"))
    record_id = next(e["value"] for e in events if e["name"] == "consultation_id")
    events, messages = run(act.ActionFeedback(), tracker(
        "/feedback_unhelpful", "feedback_unhelpful", slots={"consultation_id": record_id}))
    assert events == [SlotSet("consultation_id", None)]
    assert consultations.get_consultation(int(record_id)).feedback == "not_helpful"
    assert messages[0]["buttons"] == [{"title": "转人工", "payload": "/human_handoff"}]
    events, messages = run(act.ActionFeedback(), tracker("有帮助", "feedback_helpful"))
    assert events == [] and messages[0]["text"] == "谢谢您的反馈！"
