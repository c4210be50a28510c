"""The triage engine, part by part: lexicon and spaCy pipeline, rules, negation, facts from the
conversation, questions, emergencies, several problems, deadlines, articles, bad input."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml

from bot import config
from bot.cli import main
from bot.knowledge import KnowledgeDataError
from bot.triage.engine import TriageEngine
from bot.triage.lexicon import load_lexicon
from bot.triage.rules import load_rules

TODAY = dt.date(2026, 11, 26)


@pytest.fixture(scope="module")
def engine(kb) -> TriageEngine:
    return TriageEngine(kb=kb)


def route(engine: TriageEngine, text: str, **facts) -> str | None:
    return engine.triage(text, facts or None, today=TODAY).channel


# ---- lexicon and pipeline ------------------------------------------------------------------
def test_pipeline_matches_by_character_whatever_the_segmentation(engine: TriageEngine,
                                                                 tmp_path: Path) -> None:
    nlp = engine.lexicon.build_pipeline()
    assert [t.text for t in nlp("区人社局")] == ["区", "人", "社", "局"]
    concepts = {h.concept for h in engine.lexicon.match("区人社局的人说不予认定工伤")}
    assert {"party_admin_organ", "injury_recognition"} <= concepts
    nlp.to_disk(tmp_path / "p")
    import spacy

    reloaded = spacy.load(tmp_path / "p")
    labels = [e.label_ for e in reloaded("城管罚款").ents]
    assert labels == [e.label_ for e in nlp("城管罚款").ents] and "penalty" in labels


def test_regex_patterns_and_negation(engine: TriageEngine) -> None:
    hits = engine.lexicon.match("老板拖欠我们三个月的工资")
    assert any(h.concept == "wage_arrears" for h in hits)
    negated = [h for h in engine.lexicon.match("还没有判决") if h.concept == "judgment"]
    assert negated and all(h.negated for h in negated)


def test_lexicon_errors_name_the_concept(tmp_path: Path) -> None:
    path = tmp_path / "concepts.yaml"
    path.write_text(yaml.safe_dump({"concepts": {"x": {"group": "act", "terms": ["甲"]}}},
                                   allow_unicode=True), "utf-8")
    with pytest.raises(KnowledgeDataError, match="概念 x"):
        load_lexicon(path)
    path.write_text(yaml.safe_dump({"concepts": {"y": {"group": "act", "patterns": ["(未闭合"]}}},
                                   allow_unicode=True), "utf-8")
    with pytest.raises(KnowledgeDataError, match="正则表达式有误"):
        load_lexicon(path)


def test_every_weight_names_a_channel(engine: TriageEngine) -> None:
    for concept in engine.lexicon.concepts.values():
        assert set(concept.weights) <= set(engine.channels), concept.id


# ---- rules ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "channel"), [
    ("复核意见早就出来了，我还是要为同一件事反映", "closed_matter"),
    ("对县里的复查意见不服，想再往上反映", "review_request"),
    ("收到信访处理意见书了，不满意", "review_request"),
    ("复议决定维持了罚款，我还是不服", "admin_litigation"),
    ("劳动仲裁裁决我输了，不服这个裁决", "civil_litigation"),
    ("被骗了去派出所报案，派出所不立案", "litigation_petition"),
    ("判决生效一年了，执行局一直执行不到钱", "litigation_petition"),
    ("征收补偿标准太低，镇政府不给说法", "admin_reconsideration"),
    ("我是学校的聘用老师，学校把我辞退了", "labour_arbitration"),
    ("申请政府信息公开，结果不予公开", "admin_reconsideration"),
    ("合同里约定了仲裁，对方不付货款", "commercial_arbitration"),
    ("合同里没有约定仲裁，对方一直不付货款", "civil_litigation"),
    ("老板拖欠我三个月工资了", "labour_arbitration"),
    ("城管把我三轮车收了还罚了500", "admin_reconsideration"),
    ("村支书贪污低保款", "discipline_report"),
])
def test_decisive_routes(engine: TriageEngine, text: str, channel: str) -> None:
    assert route(engine, text) == channel


def test_land_contract_versus_expropriation(engine: TriageEngine) -> None:
    assert route(engine, "村里要收回我家的承包地给别人种") == "land_contract_arbitration"
    assert route(engine, "政府征地给的补偿款太少") != "land_contract_arbitration"


def test_rule_explains_itself(engine: TriageEngine) -> None:
    result = engine.triage("复议决定维持了罚款，我还是不服", today=TODAY)
    assert any("sue_after_reconsideration" in line for line in result.explanation)
    assert "15日" in result.reason


def test_rules_are_validated(tmp_path: Path, engine: TriageEngine) -> None:
    rules_file = config.knowledge_dir() / "triage" / "rules.yaml"
    data = yaml.safe_load(rules_file.read_text("utf-8"))
    data["rules"][0]["when"] = {"all": ["no_such_concept"]}
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    channels = {k: v.data for k, v in engine.channels.items()}
    with pytest.raises(KnowledgeDataError, match="未知概念 no_such_concept"):
        load_rules(path, engine.lexicon.concepts, channels)
    data = yaml.safe_load(rules_file.read_text("utf-8"))
    data["rules"][0]["channel"] = "mediation"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    with pytest.raises(KnowledgeDataError, match="未知渠道 mediation"):
        load_rules(path, engine.lexicon.concepts, channels)


# ---- facts from the conversation, questions ----------------------------------------------------
def test_missing_fact_is_asked_then_used(engine: TriageEngine) -> None:
    first = engine.triage("合同纠纷", today=TODAY)
    assert first.channel is None
    assert first.missing and first.missing[0].fact == "arbitration_clause"
    assert first.missing[0].options
    assert route(engine, "合同纠纷", arbitration_clause=True) == "commercial_arbitration"
    assert route(engine, "合同纠纷", arbitration_clause=False) == "civil_litigation"


def test_known_party_decides(engine: TriageEngine) -> None:
    assert engine.triage("他们不给钱", today=TODAY).channel is None
    assert route(engine, "他们一直拖欠工资", party="employer") == "labour_arbitration"


def test_nothing_recognisable_asks_what_happened(engine: TriageEngine) -> None:
    for text in ["", "   ", "你好", "😀😀", "<b>hi</b>"]:
        result = engine.triage(text, today=TODAY)
        assert result.channel is None and result.missing[0].fact == "what_happened"


# ---- emergency, several problems --------------------------------------------------------------
def test_emergency_comes_first(engine: TriageEngine) -> None:
    result = engine.triage("工资要不回来，我真的不想活了", today=TODAY)
    assert result.emergency and result.emergency.kind == "self_harm"
    assert result.emergency.hotlines[0] == "12356"
    assert set(result.emergency.hotlines) <= set(engine.kb.hotlines())
    violence = engine.triage("再不给我拆迁款我就跟他们同归于尽", today=TODAY)
    assert violence.emergency and "110" in violence.emergency.hotlines
    assert engine.triage("城管罚款", today=TODAY).emergency is None


def test_several_problems_in_one_message(engine: TriageEngine) -> None:
    result = engine.triage("老板拖欠我三个月工资不给。另外，村支书贪污扶贫款，我要举报他",
                           today=TODAY)
    channels = [issue.channel for issue in result.issues]
    assert channels == ["labour_arbitration", "discipline_report"]
    assert result.channel == "labour_arbitration"
    assert "discipline_report" in result.alternatives
    assert all(issue.articles for issue in result.issues)
    assert engine.triage("城管罚了我500块", today=TODAY).issues == []


# ---- deadline, articles ----------------------------------------------------------------------
def test_deadline_from_a_relative_date(engine: TriageEngine) -> None:
    result = engine.triage("上个月15号城管罚了我500块", today=TODAY)
    assert result.facts["event_date"] == "2026-10-15"
    assert result.deadline.due == dt.date(2026, 12, 14)
    assert not result.deadline.overdue
    late = engine.triage("去年3月城管罚了我500块", today=TODAY)
    assert late.deadline.overdue


def test_unpaid_wages_while_employed_have_no_time_limit(engine: TriageEngine) -> None:
    ongoing = engine.triage("老板拖欠我三个月工资", {"employment_ongoing": True}, today=TODAY)
    assert ongoing.facts["wages_owed"] is True
    assert ongoing.deadline.no_limit and ongoing.deadline.due is None
    ended = engine.triage("老板拖欠我三个月工资", {"employment_end_date": "2026-06-30"},
                          today=TODAY)
    assert ended.deadline.due == dt.date(2027, 6, 30) and not ended.deadline.no_limit
    other = engine.triage("公司不给我交社保", {"employment_ongoing": True}, today=TODAY)
    assert not other.deadline.no_limit  # the exception is for wages only


def test_rule_chooses_its_deadline(engine: TriageEngine) -> None:
    result = engine.triage("劳动仲裁裁决书昨天收到，我不服裁决", today=TODAY)
    assert result.channel == "civil_litigation"
    assert result.deadline.limit_id == "sue_after_award" and "15日" in result.deadline.text
    assert result.deadline.due == dt.date(2026, 12, 10)


@pytest.mark.parametrize("code", ["admin_reconsideration", "labour_arbitration", "suggestion",
                                  "closed_matter", "criminal_report", "review_request"])
def test_every_answer_cites_existing_articles(engine: TriageEngine, code: str) -> None:
    citations = engine._articles(code, None)
    assert citations
    for ref in citations:
        engine.kb.quote(engine.kb.citations.parse(ref))


def test_facts_extracted(engine: TriageEngine) -> None:
    facts = engine.triage("XX县城管前天在我们镇罚了我3000元", today=TODAY).facts
    assert facts["party"] == "admin_organ" and facts["act"] == "罚款"
    assert facts["amounts"] == ["3000元"]
    assert facts["place"] == "xx县"  # facts come from the normalised (lower-cased) text
    assert facts["event_date"] == "2026-11-24"


# ---- bad input --------------------------------------------------------------------------------
def test_bad_input(engine: TriageEngine) -> None:
    with pytest.raises(TypeError):
        engine.triage(None)  # type: ignore[arg-type]
    huge = "老板拖欠工资。" * 150_000
    result = engine.triage(huge, today=TODAY)
    assert result.channel == "labour_arbitration" and "只读取了前" in result.explanation[0]
    weird = engine.triage("\x00\x01罚款\ufffd<script>alert(1)</script>城管", today=TODAY)
    assert weird.channel == "admin_reconsideration"
    traditional = engine.triage("老闆拖欠我們三個月工資", today=TODAY)
    assert traditional.channel == "labour_arbitration"


def test_result_is_json_serialisable(engine: TriageEngine) -> None:
    data = json.loads(json.dumps(engine.triage("上个月15号城管罚了我500块", today=TODAY)
                                 .to_dict(), ensure_ascii=False))
    for key in ("channel", "alternatives", "confidence", "facts", "missing", "deadline",
                "issues", "articles", "reason", "emergency"):
        assert key in data


# ---- CLI ----------------------------------------------------------------------------------------
def test_cli_triage(use_kb: str, capsys: pytest.CaptureFixture) -> None:
    assert main(["triage", "城管把我三轮车收了还罚了500", "--explain"]) == 0
    out = capsys.readouterr().out
    assert "行政复议" in out and "12348" in out and "判断依据" in out
    assert main(["triage", "老板拖欠工资", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["channel"] == "labour_arbitration" and data["articles"]
    assert main(["triage", "合同纠纷", "--fact", "arbitration_clause=true", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["channel"] == "commercial_arbitration"
    assert main(["triage", "合同纠纷", "--fact", "oops"]) == 2
    assert "名称=值" in capsys.readouterr().err


def test_common_words_jieba_calls_places_are_not_places() -> None:
    from bot.triage.facts import places_in

    assert places_in("你们这个东西怎么用") == []
    assert places_in("我在海淀区被罚款") == ["海淀区"]
