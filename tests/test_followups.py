"""Follow-up answers about a route, and the petition-procedure topics (bot/followups.py)."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
import yaml

from bot import config
from bot.followups import (
    ASK_12348,
    KINDS,
    MAX_MESSAGE_CHARS,
    MAX_TITLE_CHARS,
    NO_REMEDY,
    _match_form,
    answer_followup,
    answer_procedure,
    article_full_text,
    cite_line,
    load_procedure,
    match_procedure_topic,
    procedure_topics,
)
from bot.knowledge import KnowledgeBase, KnowledgeDataError
from bot.knowledge.loader import load_knowledge

PROCEDURE = config.knowledge_dir() / "procedure.yaml"
NATIONAL_HOTLINES = {"12345", "12348", "12388", "12315", "12333", "110", "120", "12356"}
XINFANG = "xinfang_gongzuo_tiaoli"
CHANNELS = ["admin_reconsideration", "admin_litigation", "labour_arbitration", "review_request",
            "ordinary_petition", "criminal_report", "closed_matter", "internal_appeal",
            "suggestion", "duty_performance"]
REQUIRED_TOPICS = {"write_letter", "online", "visit", "beijing", "acceptance_notice",
                   "handling_time", "review", "recheck", "not_accepted", "disruptive",
                   "hardship", "legal_aid", "separation", "after_opinion"}
# words that would turn the calm explanation of 条例第二十六条/第四十七条 into a threat
THREATENING = ["拘留", "抓", "判刑", "坐牢", "刑事责任", "犯罪", "严惩", "严厉", "后果自负",
               "警告", "打击处理", "依法打击", "吃牢饭", "关起来", "别怪"]


def _phone_like(text: str) -> list[str]:
    """Digit runs that could be phone numbers (years and small numbers are not)."""
    runs = []
    for run in re.findall(r"(?<![\d-])\d{3,}(?![\d-])", text):
        if len(run) == 4 and 1900 <= int(run) <= 2100:
            continue
        if len(run) == 3 and int(run) < 400 and run not in NATIONAL_HOTLINES:
            continue
        runs.append(run)
    return runs


def _joined(messages: list[str]) -> str:
    return "\n".join(messages)


def _cites(refs, kb: KnowledgeBase) -> list:
    return [kb.citations.parse(ref) for ref in refs]


# ---- follow-ups about a channel ------------------------------------------------------------
@pytest.mark.parametrize("code", CHANNELS)
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_answers_for_every_channel(kb: KnowledgeBase, kind: str, code: str) -> None:
    messages = answer_followup(kind, code, deadline_start=date(2026, 3, 2),
                               today=date(2026, 4, 1), kb=kb)
    assert messages and all(isinstance(m, str) and m.strip() for m in messages)
    text = _joined(messages)
    assert "None" not in text and "{" not in text and "Traceback" not in text
    assert all(len(m) <= 600 for m in messages), "a chat message is too long for a phone"
    assert set(_phone_like(text)) <= NATIONAL_HOTLINES


def test_materials_lists_the_catalogue_in_order(kb: KnowledgeBase) -> None:
    materials = kb.get_channel("admin_reconsideration")["materials"]
    text = _joined(answer_followup("materials", "admin_reconsideration", kb=kb))
    for number, item in enumerate(materials, start=1):
        assert f"{number}. {item}" in text
    assert "1. 行政复议申请书" in text


def test_where_gives_body_how_to_find_hotlines_and_grounds(kb: KnowledgeBase) -> None:
    messages = answer_followup("where", "labour_arbitration", kb=kb)
    text = _joined(messages)
    assert messages[0].startswith("找谁办：劳动争议仲裁委员会")
    assert "怎么找：查当地人力资源和社会保障部门网站" in text
    assert "12333（人力资源社会保障服务热线）" in text
    assert messages[-1] == "依据：《劳动争议调解仲裁法》第二十一条第二款"


def test_steps_keep_the_catalogue_order(kb: KnowledgeBase) -> None:
    steps = kb.get_channel("review_request")["steps"]
    text = answer_followup("steps", "review_request", kb=kb)[0]
    positions = [text.index(step) for step in steps]
    assert positions == sorted(positions)


def test_cost_with_and_without_grounds(kb: KnowledgeBase) -> None:
    assert answer_followup("cost", "labour_arbitration", kb=kb) == [
        "劳动（人事）争议仲裁的费用：劳动争议仲裁不收费",
        "依据：《劳动争议调解仲裁法》第五十三条",
    ]
    review = answer_followup("cost", "review_request", kb=kb)
    assert len(review) == 1 and "条例没有规定任何收费" in review[0]


def test_deadline_due_date_moves_past_the_may_day_holiday(kb: KnowledgeBase) -> None:
    messages = answer_followup("deadline", "admin_reconsideration",
                               deadline_start=date(2026, 3, 2), kb=kb)
    first = messages[0]
    assert first.startswith("行政复议：申请复议的期限")
    assert "最后一日为2026年5月6日" in first
    assert "期满日2026年5月1日为法定休假日，顺延至2026年5月6日" in first
    assert messages[-1] == "依据：《行政复议法》第二十条第一款"
    others = next(m for m in messages if m.startswith("其他期限"))
    assert "作出复议决定：60日" in others and "审查是否受理：5个工作日" in others


@pytest.mark.parametrize(("code", "start", "limit_id", "due"), [
    ("labour_arbitration", date(2025, 6, 10), None, "2026年6月10日"),
    ("review_request", date(2026, 9, 5), None, "2026年10月8日"),  # 国庆 moves it
    ("review_request", date(2026, 9, 20), "recheck_apply", "2026年10月20日"),
    ("admin_litigation", date(2026, 3, 2), None, "2026年9月2日"),
    ("ordinary_petition", date(2026, 1, 5), "decision", "2026年3月6日"),
])
def test_deadline_due_dates(kb: KnowledgeBase, code: str, start: date, limit_id: str | None,
                            due: str) -> None:
    messages = answer_followup("deadline", code, deadline_start=start, limit_id=limit_id, kb=kb)
    assert f"最后一日为{due}" in messages[0]


def test_deadline_without_a_date_asks_for_it(kb: KnowledgeBase) -> None:
    messages = answer_followup("deadline", "review_request", kb=kb)
    assert "30日（自收到信访处理意见书面答复之日起）" in messages[0]
    assert "告诉我起算的日期" in messages[0] and "最后一日为" not in messages[0]
    assert messages[-1] == "依据：《信访工作条例》第三十五条"


def test_deadline_for_unpaid_wages_while_employed(kb: KnowledgeBase) -> None:
    facts = {"wages_owed": True, "employment_ongoing": True}
    messages = answer_followup("deadline", "labour_arbitration", deadline_start=date(2020, 1, 1),
                               facts=facts, kb=kb)
    assert "不受仲裁时效期间的限制" in messages[0]
    assert messages[-1] == "依据：《劳动争议调解仲裁法》第二十七条第四款"
    overdue = answer_followup("overdue", "labour_arbitration", deadline_start=date(2020, 1, 1),
                              facts=facts, today=date(2026, 5, 20), kb=kb)
    assert "不存在超过期限的问题" in _joined(overdue)


@pytest.mark.parametrize("code", ["closed_matter", "internal_appeal", "suggestion"])
def test_channels_without_time_limits(kb: KnowledgeBase, code: str) -> None:
    for kind in ("deadline", "overdue"):
        messages = answer_followup(kind, code, deadline_start=date(2026, 3, 2), kb=kb)
        assert "没有可以计算的期限" in messages[0]
        assert "最后一日" not in _joined(messages)
    closed = answer_followup("deadline", "closed_matter", kb=kb)
    assert "不再受理" in closed[1]


def test_criminal_report_has_no_time_limit(kb: KnowledgeBase) -> None:
    deadline = answer_followup("deadline", "criminal_report", deadline_start=date(2020, 1, 1),
                               kb=kb)
    assert deadline[0] == "刑事报案、控告：报案期限\n不受期限限制"
    assert "追诉时效" in deadline[1]
    overdue = answer_followup("overdue", "criminal_report", deadline_start=date(2020, 1, 1),
                              today=date(2026, 5, 20), kb=kb)
    assert "不存在超过期限的问题" in overdue[1]


def test_overdue_reconsideration_cites_the_good_cause_rule(kb: KnowledgeBase) -> None:
    messages = answer_followup("overdue", "admin_reconsideration",
                               deadline_start=date(2026, 3, 2), today=date(2026, 5, 20), kb=kb)
    assert "最后一日是2026年5月6日，已过去14天" in messages[0]
    text = _joined(messages)
    assert "正当理由" in text and "障碍消除之日起继续计算" in text
    assert "依据：《行政复议法》第二十条第二款、第二十条第三款" in messages
    assert messages[-1] == ASK_12348
    assert NO_REMEDY not in text


def test_overdue_on_the_last_day_and_the_day_after(kb: KnowledgeBase) -> None:
    on_time = answer_followup("overdue", "admin_reconsideration",
                              deadline_start=date(2026, 3, 2), today=date(2026, 5, 6), kb=kb)
    assert on_time[0].startswith("还没有超过") and "今天就是最后一天" in on_time[0]
    early = answer_followup("overdue", "admin_reconsideration",
                            deadline_start=date(2026, 3, 2), today=date(2026, 5, 1), kb=kb)
    assert "距最后一日还有5天" in early[0]
    late = answer_followup("overdue", "admin_reconsideration",
                           deadline_start=date(2026, 3, 2), today=date(2026, 5, 7), kb=kb)
    assert "已过去1天" in late[0]


def test_overdue_without_a_rule_in_the_law_invents_nothing(kb: KnowledgeBase) -> None:
    messages = answer_followup("overdue", "review_request", deadline_start=date(2026, 3, 2),
                               today=date(2026, 6, 1), kb=kb)
    assert messages[1:] == [NO_REMEDY, ASK_12348]
    assert "法律的相关规定" not in _joined(messages)


def test_overdue_without_a_date_asks_for_it(kb: KnowledgeBase) -> None:
    messages = answer_followup("overdue", "labour_arbitration", today=date(2026, 6, 1), kb=kb)
    assert len(messages) == 1 and "告诉我起算的日期" in messages[0]


def test_overdue_body_side_limit_points_to_the_superior_organ(kb: KnowledgeBase) -> None:
    messages = answer_followup("overdue", "ordinary_petition", deadline_start=date(2026, 1, 5),
                               limit_id="decision", today=date(2026, 5, 20), kb=kb)
    text = _joined(messages)
    assert "最后一日是2026年3月6日" in text and "上级机关" in text
    assert "依据：《信访工作条例》第三十四条、第四十五条第一项" in messages


def test_every_missed_deadline_rule_is_reachable(kb: KnowledgeBase) -> None:
    data = load_procedure(kb=kb)
    assert len(data.missed) >= 10
    for rule in data.missed:
        for limit_id in rule.limits:
            messages = answer_followup("overdue", rule.channel, limit_id=limit_id,
                                       deadline_start=date(2020, 1, 2), today=date(2026, 6, 1),
                                       kb=kb)
            assert f"法律的相关规定：{rule.text}" in messages, (rule.channel, limit_id)
            assert cite_line(rule.articles, kb) in messages


def test_next_if_fails_names_the_next_channel_and_grounds(kb: KnowledgeBase) -> None:
    text = _joined(answer_followup("next_if_fails", "admin_reconsideration", kb=kb))
    assert "对应途径：行政诉讼" in text
    assert "《行政诉讼法》第四十五条" in text
    review = _joined(answer_followup("next_if_fails", "review_request", kb=kb))
    assert "对应途径：已终结（不再受理）" in review and "第三十六条第三款" in review


def test_articles_are_listed_with_full_names(kb: KnowledgeBase) -> None:
    messages = answer_followup("articles", "admin_reconsideration", kb=kb)
    for ref in kb.get_channel("admin_reconsideration")["cite"]:
        assert kb.quote(kb.citations.parse(ref)).citation in messages[0]
    assert "· 《中华人民共和国行政复议法》第二十条第一款" in messages[0]
    assert "· 《信访工作条例》第三十一条第四项" in messages[0]


def test_unknown_kind_channel_or_limit(kb: KnowledgeBase) -> None:
    with pytest.raises(ValueError, match="不支持的追问类型"):
        answer_followup("price", "admin_reconsideration", kb=kb)
    with pytest.raises(ValueError, match="没有这个渠道：mediation"):
        answer_followup("materials", "mediation", kb=kb)
    with pytest.raises(ValueError, match="没有期限 appeal"):
        answer_followup("deadline", "review_request", limit_id="appeal", kb=kb)
    with pytest.raises(ValueError, match="没有期限"):
        answer_followup("overdue", "closed_matter", limit_id="apply", kb=kb)


def test_default_knowledge_base_is_used(use_kb: str) -> None:
    messages = answer_followup("cost", "admin_reconsideration")
    assert messages[0] == "行政复议的费用：不收取任何费用"
    assert match_procedure_topic("我想去北京上访可以吗") == "beijing"


# ---- the procedure topics -------------------------------------------------------------------
def test_required_topics_exist_with_short_titles(kb: KnowledgeBase) -> None:
    topics = procedure_topics(kb=kb)
    assert {t.id for t in topics} >= REQUIRED_TOPICS
    for topic in topics:
        assert 0 < len(topic.title) <= MAX_TITLE_CHARS
        assert len(set(topic.triggers)) >= 3


@pytest.mark.parametrize("topic_id", sorted(REQUIRED_TOPICS | {"progress", "retaliation"}))
def test_every_topic_answers_and_its_articles_resolve(kb: KnowledgeBase, topic_id: str) -> None:
    topic = load_procedure(kb=kb).topic(topic_id)
    messages = answer_procedure(topic_id, kb=kb)
    assert messages[:-1] == list(topic.answer)
    assert messages[-1] == cite_line(topic.articles, kb)
    assert messages[-1].startswith("依据：《")
    assert all(len(m) <= MAX_MESSAGE_CHARS for m in messages[:-1])
    for ref in topic.articles:
        quote = kb.quote(kb.citations.parse(ref))
        assert quote.in_force and quote.text
    for code in topic.channels:
        kb.get_channel(code)


@pytest.mark.parametrize(("topic_id", "refs", "words"), [
    ("write_letter", ["条例 第19条 第1款"], ["姓名", "住址", "请求", "事实", "理由", "口头"]),
    ("online", ["条例 第17条 第1款", "条例 第21条 第2款"], ["信息网络", "查询"]),
    ("visit", ["条例 第20条 第1款", "条例 第20条 第3款"], ["上一级", "不超过5人"]),
    ("acceptance_notice", ["条例 第23条 第2款", "条例 第23条 第3款"], ["15日内书面告知"]),
    ("handling_time", ["条例 第34条"], ["60日内办结", "不超过30日"]),
    ("review", ["条例 第35条"], ["30日内", "上一级机关复查"]),
    ("recheck", ["条例 第36条 第1款", "条例 第36条 第2款"], ["30日内", "复核", "听证"]),
    ("not_accepted", ["条例 第36条 第3款", "条例 第19条 第3款"], ["同一事实和理由"]),
    ("hardship", ["条例 第37条 第2款"], ["社会救助", "司法救助"]),
    ("legal_aid", ["法律援助法 第31条"], ["经济困难", "12348"]),
    ("separation", ["条例 第28条 第2款"], ["政法部门"]),
    ("after_opinion", ["条例 第32条", "条例 第35条"], ["予以支持", "不予支持", "复查"]),
])
def test_topic_cites_the_grounding_articles(kb: KnowledgeBase, topic_id: str, refs: list[str],
                                            words: list[str]) -> None:
    topic = load_procedure(kb=kb).topic(topic_id)
    assert set(refs) <= set(topic.articles)
    text = "\n".join(topic.answer)
    for word in words:
        assert word in text, word


def test_beijing_topic_cites_article_20_and_explains_calmly(kb: KnowledgeBase) -> None:
    topic = load_procedure(kb=kb).topic("beijing")
    cited = _cites(topic.articles, kb)
    assert any(c.law == XINFANG and c.article == 20 and c.paragraph in (None, 1) for c in cited)
    messages = answer_procedure("beijing", kb=kb)
    assert "《信访工作条例》" in messages[-1] and "第二十条第一款" in messages[-1]
    text = "\n".join(topic.answer)
    assert "本身或者它的上一级机关" in text  # 本级或者上一级 (条例第二十条第一款)
    assert "网上信访" in text  # the lawful alternative
    for word in THREATENING:
        assert word not in text, word


def test_disruptive_topic_cites_26_and_47_without_threats(kb: KnowledgeBase) -> None:
    topic = load_procedure(kb=kb).topic("disruptive")
    articles = {(c.law, c.article) for c in _cites(topic.articles, kb)}
    assert {(XINFANG, 26), (XINFANG, 47)} <= articles
    last = answer_procedure("disruptive", kb=kb)[-1]
    assert "第二十六条" in last and "第四十七条" in last
    text = "\n".join([topic.title, *topic.answer])
    for word in THREATENING:
        assert word not in text, word
    assert "权利" in text and "不得打击报复信访人" in text  # starts from the citizen's rights
    assert "劝阻" in text  # what 第四十七条第一款 actually says comes first
    assert "12356" in text


def test_procedure_yaml_names_only_national_hotlines() -> None:
    text = PROCEDURE.read_text("utf-8")
    assert set(_phone_like(text)) <= NATIONAL_HOTLINES
    assert not re.search(r"\d{3,4}-\d{7,8}|1[3-9]\d{9}|400-?\d{3}-?\d{4}", text)


def test_the_knowledge_build_checks_procedure_references(knowledge_copy: Path) -> None:
    data = load_knowledge(config.knowledge_dir())
    assert any(path.endswith("procedure.yaml") for path, _, _ in data.references)
    target = knowledge_copy / "procedure.yaml"
    target.write_text(target.read_text("utf-8").replace("条例 第26条", "条例 第66条", 1), "utf-8")
    with pytest.raises(KnowledgeDataError, match=r"procedure\.yaml: 条例 第66条"):
        load_knowledge(knowledge_copy)


# ---- matching --------------------------------------------------------------------------------
PARAPHRASES = {
    "beijing": ["我想去北京上访可以吗", "越级去省里上访行吗", "县里不管我能直接去中央吗",
                "到北京去上访行不行"],
    "disruptive": ["我要去市政府门口闹", "去政府拉横幅会被怎么样", "在信访局门口坐着不走行不行"],
    "write_letter": ["信访材料要写什么内容", "上访信要怎么写才行", "投诉信写哪些东西"],
    "online": ["能在网上提交信访吗", "手机怎么网上信访", "网上投诉渠道"],
    "visit": ["当面上访去哪个地方", "几个人一起去上访有人数限制吗"],
    "acceptance_notice": ["信交上去多久告诉我受不受理"],
    "handling_time": ["信访多长时间能办结", "受理后多久能处理完"],
    "review": ["对处理意见不服怎么申请复查", "不满意信访答复怎么办"],
    "recheck": ["复查结果还是不服怎么复核"],
    "not_accepted": ["复核以后还能继续上访吗", "为什么不受理我的信访"],
    "hardship": ["生活困难能申请救助吗", "家里困难没钱生活了"],
    "legal_aid": ["没钱请律师怎么办", "怎么找免费律师"],
    "separation": ["对法院判决不服去信访有用吗", "案子法院判了能上访吗"],
    "after_opinion": ["收到处理意见书下一步怎么办", "意见书写不予支持什么意思"],
    "progress": ["信访办到哪一步了怎么查", "在哪查信访进度"],
    "retaliation": ["举报后会不会被报复", "担心被打击报复"],
}


def test_paraphrases_are_not_in_the_yaml(kb: KnowledgeBase) -> None:
    forms = {_match_form(t) for topic in procedure_topics(kb=kb) for t in topic.triggers}
    for phrases in PARAPHRASES.values():
        for phrase in phrases:
            assert _match_form(phrase) not in forms, phrase


def test_trigger_phrases_stay_out_of_the_evaluation_data(kb: KnowledgeBase) -> None:
    """Triggers become NLU examples later: no evaluation text may be or contain one."""
    forms = {_match_form(t) for topic in procedure_topics(kb=kb) for t in topic.triggers}
    files = sorted((config.ROOT / "data" / "eval").glob("*.jsonl"))
    for path in files:
        for line in path.read_text("utf-8").splitlines():
            if not line.strip():
                continue
            text = _match_form(json.loads(line)["text"])
            clash = [f for f in forms if f == text or (len(f) >= 6 and f in text)]
            assert not clash, f"{path.name}: {clash}"


@pytest.mark.parametrize(("topic_id", "phrase"),
                         [(t, p) for t, phrases in PARAPHRASES.items() for p in phrases])
def test_paraphrases_match_their_topic(kb: KnowledgeBase, topic_id: str, phrase: str) -> None:
    assert match_procedure_topic(phrase, kb=kb) == topic_id


UNRELATED = ["城管把我三轮车收了还罚了500", "今天天气怎么样", "你好", "老板欠我三个月工资不给",
             "复议法第二十条是什么", "我被人打了", "怎么办", "可以吗", "我要投诉物业", "", "   ",
             "🙂🙂", "a" * 5000]


@pytest.mark.parametrize("text", UNRELATED)
def test_unrelated_text_matches_nothing(kb: KnowledgeBase, text: str) -> None:
    assert match_procedure_topic(text, kb=kb) is None


def test_every_trigger_matches_its_own_topic(kb: KnowledgeBase) -> None:
    for topic in procedure_topics(kb=kb):
        for trigger in topic.triggers:
            assert match_procedure_topic(trigger, kb=kb) == topic.id, trigger
            # embedded in a longer message, full width and with emoji
            assert match_procedure_topic(f"请问😭{trigger}？谢谢", kb=kb) == topic.id, trigger


def test_matching_normalises_the_text_first(kb: KnowledgeBase) -> None:
    assert match_procedure_topic("能不能直接去北京上訪？", kb=kb) == "beijing"  # 繁體
    assert match_procedure_topic("怎么申请复查！！！🙏", kb=kb) == "review"
    assert match_procedure_topic("ｗｏ想問：怎麼申請法律援助", kb=kb) == "legal_aid"


def test_matching_is_deterministic_and_tolerates_bad_input(kb: KnowledgeBase) -> None:
    results = {match_procedure_topic("越级去省里上访行吗", kb=kb) for _ in range(5)}
    assert results == {"beijing"}
    assert match_procedure_topic(None, kb=kb) is None  # type: ignore[arg-type]


# ---- article text ----------------------------------------------------------------------------
def test_article_full_text(kb: KnowledgeBase) -> None:
    text = article_full_text("条例 第20条 第3款", kb=kb)
    assert text.startswith("《信访工作条例》第二十条第三款（2022年2月25日发布")
    assert "代表人数不得超过5人" in text and "现行有效" in text
    assert "第二十六条" in article_full_text("信访工作条例第二十六条", kb=kb)
    assert "法律援助" in article_full_text("法律援助法 第31条", kb=kb)
    for bad in ("条例 第99条", "", "随便看看", "条例 第20条 第9款"):
        with pytest.raises(ValueError):
            article_full_text(bad, kb=kb)


def test_every_procedure_article_has_full_text(kb: KnowledgeBase) -> None:
    data = load_procedure(kb=kb)
    refs = {ref for t in data.topics for ref in t.articles}
    refs |= {ref for m in data.missed for ref in m.articles}
    for ref in refs:
        assert "现行有效" in article_full_text(ref, kb=kb).splitlines()[0], ref


# ---- malformed procedure.yaml ----------------------------------------------------------------
def _edit(tmp_path: Path, change) -> Path:
    data = yaml.safe_load(PROCEDURE.read_text("utf-8"))
    change(data)
    path = tmp_path / "procedure.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def _topic(data: dict, topic_id: str) -> dict:
    return next(t for t in data["topics"] if t["id"] == topic_id)


@pytest.mark.parametrize(("change", "entry", "message"), [
    (lambda d: _topic(d, "beijing").update(colour="red"), "话题 beijing", "未知字段 colour"),
    (lambda d: _topic(d, "beijing").pop("answer"), "话题 beijing", "缺少字段 answer"),
    (lambda d: _topic(d, "beijing").update(answer=[]), "话题 beijing", "缺少字段 answer"),
    (lambda d: _topic(d, "beijing").update(articles=["条例 第99条"]), "话题 beijing",
     "条例 第99条"),
    (lambda d: _topic(d, "beijing").update(articles=["条例 第20条 第9款"]), "话题 beijing",
     "只有四款"),
    (lambda d: _topic(d, "beijing").update(articles=["仲裁法 第4条"]), "话题 beijing", "现行"),
    (lambda d: _topic(d, "beijing").update(articles=["第二十条"]), "话题 beijing", "无法解析"),
    (lambda d: _topic(d, "hardship")["answer"].append("请拨打88886666咨询"), "话题 hardship",
     "88886666"),
    (lambda d: _topic(d, "hardship").update(title="生活困难的时候应该去找哪一个部门"),
     "话题 hardship", "title"),
    (lambda d: _topic(d, "hardship").update(channels=["mediation"]), "话题 hardship",
     "未知渠道 mediation"),
    (lambda d: _topic(d, "hardship").update(id="beijing"), "话题 beijing", "id 重复"),
    (lambda d: _topic(d, "hardship")["triggers"].append("我要进京上访"), "话题 hardship",
     "与话题 beijing 重复"),
    (lambda d: d["topics"].append({"title": "无名"}), "topics[", "缺少字段 id"),
    (lambda d: d["missed_deadlines"][0].update(limits=["appeal"]),
     "missed_deadlines admin_reconsideration appeal", "没有期限 appeal"),
    (lambda d: d["missed_deadlines"][0].update(channel="mediation"),
     "missed_deadlines mediation", "未知渠道"),
    (lambda d: d.update(extra=[]), "文件", "未知字段 extra"),
])
def test_malformed_procedure_yaml_names_file_and_entry(kb: KnowledgeBase, tmp_path: Path,
                                                       change, entry: str, message: str) -> None:
    path = _edit(tmp_path, change)
    with pytest.raises(KnowledgeDataError) as caught:
        load_procedure(path, kb=kb)
    error = caught.value
    assert error.file.endswith("procedure.yaml")
    assert error.entry.startswith(entry), error
    assert message in str(error), error


def test_procedure_yaml_syntax_error_gives_the_line(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = tmp_path / "procedure.yaml"
    path.write_text(PROCEDURE.read_text("utf-8").replace("  - id: online", "  - id: [online", 1),
                    "utf-8")
    with pytest.raises(KnowledgeDataError, match=r"procedure\.yaml: 第\d+行: YAML 语法错误"):
        load_procedure(path, kb=kb)


def test_procedure_yaml_wrong_encoding(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = tmp_path / "procedure.yaml"
    path.write_bytes(PROCEDURE.read_text("utf-8").encode("gb18030"))
    with pytest.raises(KnowledgeDataError, match="UTF-8"):
        load_procedure(path, kb=kb)
