"""The conversation logic (bot.dialogue): answers to the form's questions, asides, the triage
turn (answer / ask / clarify / handoff), follow-ups, and the chat wording from knowledge/."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest

from bot import dialogue as d
from bot.knowledge.loader import KnowledgeDataError

TODAY = dt.date(2026, 11, 26)
CONTRACT = "和供货商签了合同，对方一直不给货款"
PENALTY = "城管把我三轮车没收了还罚款"


@pytest.fixture(autouse=True)
def _kb(use_kb):
    """Every test reads the test knowledge base."""


def texts(messages):
    return [m.text for m in messages]


# ---- answers to the questions --------------------------------------------------------------
@pytest.mark.parametrize("fact, text, status, value", [
    ("party", "政府部门", "value", "admin_organ"),          # a button title
    ("party", "是区城管局", "value", "admin_organ"),        # free text, via the lexicon
    ("party", "一个包工头老板", "value", "employer"),
    ("party", "不清楚", "unknown", "unknown"),
    ("party", "记不得了", "unknown", "unknown"),
    ("party", "算了不想说", "stop", None),
    ("party", "啊", "unusable", None),
    ("party", "   ", "unusable", None),
    ("arbitration_clause", "没有", "value", "false"),
    ("arbitration_clause", "有的", "value", "true"),
    ("arbitration_clause", "合同里写了由仲裁委仲裁", "value", "true"),
    ("arbitration_clause", "没有仲裁条款", "value", "false"),  # not 仲裁条款 → true
    ("arbitration_clause", "有仲裁条款", "value", "true"),
    ("decision_date", "上个月5号", "value", "2026-10-05"),
    ("decision_date", "2026年3月2日收到的", "value", "2026-03-02"),
    ("decision_date", "下个月", "unusable", None),             # no past date in it
    ("employment_ongoing", "早就辞职了", "value", "false"),
    ("employment_ongoing", "还在上班", "value", "true"),
    ("employment_ongoing", "还在", "value", "true"),
    ("has_judgment", "判了", "value", "true"),
    ("has_judgment", "还没起诉", "value", "false"),
    ("what_happened", "我想投诉", "unusable", None),
    ("what_happened", "公司欠我三个月工资不给", "value", "公司欠我三个月工资不给"),
])
def test_parse_answer(fact, text, status, value):
    parsed = d.parse_answer(fact, text, TODAY)
    assert (parsed.status, parsed.value) == (status, value)


def test_parse_answer_reads_traditional_characters():
    assert d.parse_answer("has_judgment", "已經判決了", TODAY).value == "true"


def test_parse_answer_refuses_unknown_fact():
    with pytest.raises(ValueError):
        d.parse_answer("favourite_colour", "蓝", TODAY)


def test_facts_stated_and_corrections():
    assert d.facts_stated("不对，对方是区人社局，10月8号收到的", TODAY) == {
        "party": "admin_organ", "decision_date": "2026-10-08"}
    assert d.is_correction("不对，对方是个人")
    assert d.is_correction("补充一下：合同里有仲裁条款")
    assert not d.is_correction("对方是个人")


def test_question_message_has_option_buttons_and_unknown():
    message = d.question_message(d.question_for("party"))
    assert message.text == "对方是政府部门、用人单位，还是个人或公司？"
    titles = [b.title for b in message.buttons]
    assert titles[:2] == ["政府部门", "用人单位"] and titles[-1] == "不清楚"
    # a button sends its own title: typed or pressed, the same reply
    assert all(b.payload == b.title for b in message.buttons)
    explained = d.question_message(d.question_for("party"), explain=True)
    assert "原因：" in explained.text and "不清楚" in explained.text
    # arbitration_clause already has a 不清楚 option: not twice
    clause = d.question_message(d.question_for("arbitration_clause"))
    assert [b.title for b in clause.buttons].count("不清楚") == 1


# ---- the form ----------------------------------------------------------------------------
def test_next_fact_follows_the_triage():
    assert d.next_fact(CONTRACT, {}, 0, TODAY) == "arbitration_clause"
    assert d.next_fact(PENALTY, {}, 0, TODAY) == "decision_date"
    assert d.next_fact(PENALTY, {"decision_date": "2026-10-20"}, 1, TODAY) is None
    assert d.next_fact(CONTRACT, {}, d.MAX_QUESTIONS, TODAY) is None  # enough asked


def test_form_usable_answer_fills_and_moves_on():
    step = d.form_step("arbitration_clause", "没有", complaint=CONTRACT, today=TODAY)
    assert step.slots == {"arbitration_clause": "false", "failed_answers": 0,
                          "questions_asked": 1}
    assert step.messages == [] and step.next_fact == "party"


def test_form_unknown_and_stop():
    step = d.form_step("arbitration_clause", "不清楚", complaint=CONTRACT, today=TODAY)
    assert step.slots["arbitration_clause"] == "unknown" and step.next_fact == "party"
    assert texts(step.messages) == [d.load_conversation().text("unknown_noted")]
    step = d.form_step("arbitration_clause", "算了", complaint=CONTRACT, today=TODAY)
    assert step.next_fact is None and step.slots["arbitration_clause"] == "unknown"


def test_form_unusable_answers_then_explain_then_go_on():
    data = d.load_conversation()
    step = d.form_step("arbitration_clause", "啊？", complaint=CONTRACT, today=TODAY)
    assert step.slots == {"failed_answers": 1} and step.next_fact == "arbitration_clause"
    assert texts(step.messages) == [data.text("unusable_answer")]
    step = d.form_step("arbitration_clause", "哦哦", complaint=CONTRACT, failed=1, today=TODAY)
    assert step.slots == {"failed_answers": 2} and step.next_fact == "arbitration_clause"
    # the third: the bot goes on without the fact
    step = d.form_step("arbitration_clause", "呃", complaint=CONTRACT, failed=2, today=TODAY)
    assert step.slots["arbitration_clause"] == "unknown" and step.next_fact == "party"


def test_form_asides_are_answered_and_the_question_repeated():
    back = d.load_conversation().text("back_to_question")
    step = d.form_step("arbitration_clause", "第三十一条原文", complaint=CONTRACT, today=TODAY)
    assert step.next_fact == "arbitration_clause" and step.slots == {}
    assert step.messages[0].text.startswith("《信访工作条例》第三十一条")
    assert step.messages[-1].text == back
    step = d.form_step("arbitration_clause", "我不想活了", complaint=CONTRACT, today=TODAY)
    assert "12356" in step.messages[0].text and step.next_fact == "arbitration_clause"
    step = d.form_step("decision_date", "能不能直接去北京上访？", complaint=PENALTY,
                       today=TODAY)
    assert "北京" in step.messages[0].text and step.messages[-1].text == back
    step = d.form_step("arbitration_clause", "那要带什么材料？", complaint=CONTRACT,
                       today=TODAY)
    assert texts(step.messages) == [d.load_conversation().text("after_route_known"), back]


def test_form_handoff_ends_the_questions():
    step = d.form_step("party", "转人工", complaint=CONTRACT, today=TODAY)
    assert step.next_fact is None and step.slots == {"party": "unknown"}
    assert step.messages[0].text.startswith("转人工")


def test_form_correction_of_another_fact():
    step = d.form_step("arbitration_clause", "不对，对方是区住建局", complaint=CONTRACT,
                       facts={"party": "private_person"}, today=TODAY)
    assert step.slots == {"party": "admin_organ"}


def test_form_what_happened_extends_the_complaint():
    step = d.form_step("what_happened", "邻居装修把我家墙弄裂了，找他他不管",
                       complaint="我要投诉", today=TODAY)
    assert step.slots["complaint"] == "我要投诉。邻居装修把我家墙弄裂了，找他他不管"
    assert step.slots["party"] == "private_person"  # said more than was asked
    assert step.next_fact is None


# ---- the triage turn ---------------------------------------------------------------------
def test_turn_answers_a_decided_complaint():
    turn = d.triage_turn("城管把我三轮车没收了，2026年10月20日收到的处罚决定书",
                         intent="admin_reconsideration", ranking=[("admin_reconsideration", .8)],
                         today=TODAY)
    assert turn.status == d.STATUS_ANSWERED and turn.result.channel == "admin_reconsideration"
    assert turn.messages[0].text.startswith("建议途径：行政复议")
    route = turn.messages[1].text
    assert "找谁办：" in route and "2026年12月" in route  # the due date is given
    cites = next(m for m in turn.messages if m.text.startswith("依据："))
    assert cites.buttons and all(b.title.endswith("原文") for b in cites.buttons)
    payload = cites.buttons[0].payload
    assert payload.startswith("/ask_article{")
    assert json.loads(payload[len("/ask_article"):])["article_ref"] in turn.result.articles
    assert "12348" in turn.messages[-2].text  # disclaimer and legal aid
    assert [b.payload for b in turn.messages[-1].buttons] == ["/feedback_helpful",
                                                              "/feedback_unhelpful"]


def test_turn_asks_when_a_fact_is_missing():
    turn = d.triage_turn(CONTRACT, intent="civil_litigation", ranking=[], today=TODAY)
    assert turn.status == d.STATUS_ASKING and turn.messages == []


def test_turn_after_the_form_decides_with_alternatives():
    turn = d.triage_turn("不清楚", intent="nlu_fallback", ranking=[], complaint=CONTRACT,
                         facts={"arbitration_clause": "unknown"}, after_form=True, today=TODAY)
    assert turn.status == d.STATUS_ANSWERED
    assert turn.result.channel == "civil_litigation"
    assert "commercial_arbitration" in turn.result.alternatives
    assert "也可以考虑：" in turn.messages[0].text


def test_turn_new_complaint_clears_old_facts_and_correction_keeps_them():
    old = {"party": "admin_organ", "arbitration_clause": "false"}
    turn = d.triage_turn("我要举报村支书贪污", intent="discipline_report", ranking=[],
                         complaint="对方借钱不还", facts=old, last_status="answered",
                         today=TODAY)
    assert turn.facts == {"party": None, "arbitration_clause": None}
    assert turn.complaint == "我要举报村支书贪污"
    turn = d.triage_turn("不对，对方是个人", intent="civil_litigation", ranking=[],
                         complaint="对方借了我五万块钱不还", facts=old, last_status="answered",
                         today=TODAY)
    assert turn.facts == {"party": "private_person"}
    assert turn.complaint == "对方借了我五万块钱不还。不对，对方是个人"


def test_turn_date_given_after_the_answer_completes_the_complaint():
    first = d.triage_turn("不清楚", intent="nlu_fallback", ranking=[], today=TODAY,
                          complaint="城管没收了我的三轮车，我不服", after_form=True,
                          facts={"decision_date": "unknown"},
                          complaint_ranking=[("admin_reconsideration", 0.8)])
    assert "告诉我括号里说的那一天是哪天" in first.messages[1].text
    turn = d.triage_turn("11月2日收到的", intent="nlu_fallback", ranking=[],
                         complaint=first.complaint, last_status="answered", today=TODAY,
                         facts={"decision_date": "unknown"}, complaint_ranking=first.ranking)
    assert turn.status == d.STATUS_ANSWERED and turn.facts == {"decision_date": "2026-11-02"}
    assert "最后一日为" in turn.messages[1].text


def test_turn_two_stage_fallback_then_handoff():
    ranking = [("ask_procedure", 0.3), ("labour_arbitration", 0.2), ("greet", 0.1)]
    first = d.triage_turn("你们这个怎么弄", intent="nlu_fallback", ranking=ranking, today=TODAY)
    assert first.status == d.STATUS_UNCLEAR and first.unclear_turns == 1 and not first.handoff
    buttons = first.messages[-1].buttons
    assert [b.payload for b in buttons] == ["/ask_procedure", "/labour_arbitration",
                                            "/human_handoff"]
    assert buttons[1].title == "我的问题是：劳动（人事）争议仲裁"
    second = d.triage_turn("嗯嗯嗯", intent="nlu_fallback", ranking=ranking, today=TODAY,
                           unclear_turns=1, last_status="unclear", complaint="你们这个怎么弄")
    assert second.handoff and second.unclear_turns == 0
    assert any(m.text.startswith("给工作人员的摘要") for m in second.messages)


def test_turn_button_after_fallback_uses_the_stored_text():
    turn = d.triage_turn("/labour_arbitration", intent="labour_arbitration", ranking=[],
                         complaint="老板不给钱", last_status="unclear", today=TODAY)
    assert turn.status == d.STATUS_ANSWERED and turn.result.channel == "labour_arbitration"
    assert turn.complaint == "老板不给钱"


def test_turn_out_of_scope_and_emergency():
    turn = d.triage_turn("帮我订个外卖", intent="out_of_scope", ranking=[], today=TODAY)
    assert turn.status == d.STATUS_OUT_OF_SCOPE and turn.messages == []
    turn = d.triage_turn("我不想活了", intent="out_of_scope", ranking=[], today=TODAY)
    assert turn.status == d.STATUS_ASKING  # then: 请再具体说说
    assert "12356" in turn.messages[0].text


def test_turn_threat_gets_a_calm_answer_first():
    turn = d.triage_turn("征地补偿一直不给，2026年9月1日的事，不解决我就去北京上访",
                         intent="admin_reconsideration", ranking=[], today=TODAY)
    first = turn.messages[0]
    assert "第二十六条" in first.text and "第四十七条" in first.text
    assert first.buttons[0].payload == '/ask_procedure{"topic": "disruptive"}'
    assert not any(w in "".join(texts(turn.messages)) for w in ("拘留你", "抓你"))


def test_multi_issue_message_is_answered_per_issue():
    from bot.triage.result import Issue, TriageResult

    result = TriageResult(channel="labour_arbitration", reason="单位欠薪。", issues=[
        Issue("公司拖欠我三个月工资", "labour_arbitration", reason="欠薪"),
        Issue("村支书把低保给了亲戚", "discipline_report", reason="优亲厚友",
              articles=["条例 第30条 第1款"])])
    messages = d.reply_for_result(result)
    assert messages[0].text.startswith("您的消息里说了2件事")
    assert "1. 公司拖欠我三个月工资" in messages[0].text
    second = messages[1].text
    assert second.startswith("第2件事：检举控告") and "《信访工作条例》第三十条第一款" in second


# ---- follow-ups and the procedure ----------------------------------------------------------
def test_followup_kinds():
    assert d.followup_kind("那要带什么材料") == "materials"
    assert d.followup_kind("去哪里办啊") == "where"
    assert d.followup_kind("过期了怎么办") == "overdue"
    assert d.followup_kind("要交钱吗") == "cost"
    assert d.followup_kind("依据是哪条法律") == "articles"
    assert d.followup_kind("今天天气好") is None


def test_answer_question_routes():
    materials = d.answer_question("那要带什么材料", "labour_arbitration")
    assert materials[0].text.startswith("劳动（人事）争议仲裁要准备的材料")
    beijing = d.answer_question("能不能直接去北京上访", "labour_arbitration")
    assert "第二十条" in beijing[-1].text  # 条例第二十条 grounds the answer
    assert texts(d.answer_question("过期了怎么办", None)) == [
        d.load_conversation().text("need_problem_first")]
    overdue = d.answer_question("过期了怎么办", "admin_reconsideration",
                                deadline_start=dt.date(2026, 1, 5), today=TODAY)
    assert any("12348" in m.text for m in overdue)
    menu = d.answer_question("/ask_procedure", None)[0]
    assert len(menu.buttons) >= 10
    topic = json.loads(menu.buttons[0].payload[len("/ask_procedure"):])["topic"]
    assert d.answer_question("", None, topic=topic)  # the button's topic is answered
    recheck = texts(d.answer_question("复查期限多久", "labour_arbitration"))
    assert any("30日" in t for t in recheck)


def test_turn_question_path():
    kwargs = {"ranking": [("ask_followup", 0.98)], "today": TODAY, "complaint": "公司欠我工资",
              "facts": {"party": "employer"}, "channel": "labour_arbitration"}
    turn = d.triage_turn("那去哪里办", intent="ask_followup", **kwargs)
    assert turn.status == d.STATUS_REPLIED and turn.messages[0].text.startswith("找谁办")
    assert turn.complaint == "公司欠我工资" and turn.facts == {}  # the complaint stays
    # junk the NLU calls a follow-up: not understood, not a menu
    turn = d.triage_turn("？？？", intent="ask_followup", **kwargs)
    assert turn.status == d.STATUS_UNCLEAR and turn.messages[-1].text.startswith("抱歉")
    # a question that is really a complaint is triaged
    turn = d.triage_turn("物业乱收停车费去哪里告", intent="ask_followup",
                         ranking=[("ask_followup", 0.9)], today=TODAY)
    assert turn.status in (d.STATUS_ANSWERED, d.STATUS_ASKING) and turn.result is not None
    # an emergency comes first, whatever the intent
    turn = d.triage_turn("我不想活了怎么办", intent="ask_followup", **kwargs)
    assert "12356" in turn.messages[0].text
    # the menu button
    turn = d.triage_turn("/ask_procedure", intent="ask_procedure", ranking=[], today=TODAY)
    assert turn.status == d.STATUS_REPLIED and turn.messages[0].buttons[-1].title == "转人工"


def test_handoff_uses_local_config_and_summary():
    events = [{"event": "user", "text": "我的身份证110101199003078515，单位欠薪"},
              {"event": "bot", "text": "您现在还在这家单位上班吗？"},
              {"event": "user", "text": "已经离职"}]
    messages = d.handoff_for(events, "单位欠薪", {"employment_ongoing": "false"},
                             None, TODAY)
    joined = "\n".join(texts(messages))
    assert "12345" in joined  # config/local.yml holds placeholders only
    assert "110101199003078515" not in joined  # masked in the summary
    assert "劳动（人事）争议仲裁" in joined


def test_full_text_button():
    assert d.full_text("条例 第20条 第1款").startswith("《信访工作条例》第二十条第一款")
    assert "没有找到" in d.full_text("条例 第999条")


# ---- the wording data ----------------------------------------------------------------------
def test_conversation_data_is_checked(tmp_path):
    source = d.load_conversation.__globals__["config"].knowledge_dir() / "conversation.yaml"
    bad = tmp_path / "conversation.yaml"
    text = source.read_text("utf-8")
    bad.write_text(text.replace("  feedback_question:", "  feedback_q:"), "utf-8")
    with pytest.raises(KnowledgeDataError, match="feedback_question"):
        d.load_conversation(bad)
    bad.write_text(text.replace("不再问了", "不再问了，请打87654321"), "utf-8")
    with pytest.raises(KnowledgeDataError, match="87654321"):
        d.load_conversation(bad)
    bad.write_text(text.replace("  overdue: [", "  nonsense: ["), "utf-8")
    with pytest.raises(KnowledgeDataError, match="nonsense"):
        d.load_conversation(bad)
    good = tmp_path / "ok.yaml"
    shutil.copy(source, good)
    assert d.load_conversation(good).text("helpful_button") == "有帮助"
