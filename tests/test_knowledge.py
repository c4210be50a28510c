"""The knowledge base: exact texts, versions, references, channels, the read API."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot import config
from bot.knowledge import (
    KnowledgeBase,
    UnknownArticle,
    UnknownChannel,
    UnknownLaw,
    build_knowledge,
)
from bot.knowledge.citations import CitationParser, iter_reference_strings
from bot.knowledge.lawtext import Paragraph, article_plain_text, normalise_space
from bot.knowledge.loader import load_knowledge, resolve_problem
from bot.knowledge.verify import compare_with_official, official_articles
from tests.conftest import ROOT, legal_route_codes

SHARED = config.shared_laws_dir()
NATIONAL_HOTLINES = {"12345", "12348", "12388", "12315", "12333", "110", "120", "12356"}

# The articles issue 2 names, by law alias: every one must be stored and quotable.
REQUIRED = {
    "复议法": [11, 12, 20, 21, 22, 23, 24, 27, 62, 87],
    "行诉法": [12, 13, 18, 44, 45, 46, 47],
    "民诉法": [22, 24, 29, 122, 127, 210, 216, 220],
    "刑诉法": [110, 112, 113, 210, 252],
    "劳仲法": [2, 5, 21, 27, 43, 47, 48, 50, 53],
    "土仲法": [2, 4, 18, 48, 52],
    "民法典": [188],
    "人民调解法": [4, 33],
    "法律援助法": [31],
    "政府信息公开条例": [51],
    "工伤保险条例": [55],
    "事业单位人事管理条例": [37],
}


@pytest.fixture(scope="module")
def data():
    return load_knowledge(config.knowledge_dir())


# ---- texts -----------------------------------------------------------------------------
def test_all_fifty_articles_of_the_regulation(kb: KnowledgeBase) -> None:
    law = kb.resolve_law("信访工作条例")
    assert law.current and law.current.effective.isoformat() == "2022-05-01"
    chapters = set()
    for number in range(1, 51):
        quote = kb.get_article("信访工作条例", number)
        assert quote.text and quote.in_force
        chapters.add(quote.chapter)
    assert len(chapters) == 6
    with pytest.raises(UnknownArticle):
        kb.get_article("信访工作条例", 51)


@pytest.mark.parametrize(("alias", "numbers"), REQUIRED.items())
def test_required_articles_are_stored(kb: KnowledgeBase, alias: str, numbers: list[int]) -> None:
    for number in numbers:
        quote = kb.get_article(alias, number)
        assert quote.in_force, f"{alias} {number}"
        assert len(quote.text) > 10


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/laws is not present")
def test_every_article_equals_the_official_text(data) -> None:
    report = compare_with_official(data, SHARED)
    assert report.problems == []
    stored = sum(len(v.articles or []) for law in data.laws for v in law.versions if v.source)
    assert report.checked == stored > 1500
    assert report.laws == 28


# the laws of ../shared/laws/README.md added with the whole 民法典: alias → number of articles
ADDED = {
    "劳动合同法": 98, "社保法": 98, "农民工工资支付条例": 64, "劳动监察条例": 36, "消保法": 63,
    "物业条例": 67, "征收补偿条例": 35, "土地管理法": 87, "农村土地承包法": 70, "行政处罚法": 86,
    "政务处分法": 68, "反家暴法": 38, "民法典": 1260,
}


@pytest.mark.parametrize(("alias", "count"), ADDED.items())
def test_added_laws_are_whole_and_in_force(kb: KnowledgeBase, alias: str, count: int) -> None:
    law = kb.resolve_law(alias)
    assert law.current and law.current.has_text and law.current.effective
    assert kb.get_article(alias, count).in_force
    with pytest.raises(UnknownArticle):
        kb.get_article(alias, count + 1)


def test_the_whole_civil_code_with_its_parts(data) -> None:
    (version,) = next(law for law in data.laws if law.id == "minfadian").versions
    articles = {a.number: a for a in version.articles}
    assert sorted(articles) == list(range(1, 1261))
    parts = {a.part for a in articles.values()}
    assert parts == {"第一编 总则", "第二编 物权", "第三编 合同", "第四编 人格权",
                     "第五编 婚姻家庭", "第六编 继承", "第七编 侵权责任", "附则"}
    assert (articles[188].part, articles[188].chapter) == ("第一编 总则", "第九章 诉讼时效")
    assert (articles[205].subpart, articles[205].chapter) == ("第一分编 通则", "第一章 一般规定")
    assert (articles[937].part, articles[937].subpart, articles[937].chapter) == (
        "第三编 合同", "第二分编 典型合同", "第二十四章 物业服务合同")
    assert articles[1165].part == "第七编 侵权责任" and articles[1165].subpart is None
    assert (articles[1260].part, articles[1260].chapter) == ("附则", None)


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/laws is not present")
def test_the_general_part_is_unchanged_in_the_whole_code(data) -> None:
    general = official_articles((SHARED / "minfadian_zongze_2020.md").read_text("utf-8"))
    (version,) = next(law for law in data.laws if law.id == "minfadian").versions
    stored = {a.number: article_plain_text([Paragraph(p["text"], p["items"])
                                            for p in a.paragraphs], version.item_brackets)
              for a in version.articles if a.number <= 204}
    assert stored == general


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/laws is not present")
def test_verification_catches_a_changed_character(data) -> None:
    law = next(law for law in data.laws if law.id == "xinfang_gongzuo_tiaoli")
    article = law.versions[0].articles[30]
    original = article.paragraphs[0]["items"][3]
    article.paragraphs[0]["items"][3] = original.replace("行政复议", "行政覆议")
    try:
        report = compare_with_official(data, SHARED)
    finally:
        article.paragraphs[0]["items"][3] = original
    assert len(report.problems) == 1 and "第31条" in report.problems[0]


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/laws is not present")
def test_quoted_item_is_the_official_wording(kb: KnowledgeBase) -> None:
    official = official_articles((SHARED / "xinfang_gongzuo_tiaoli_2022.md").read_text("utf-8"))
    quote = kb.get_article("信访工作条例", 31, item=4)
    assert quote.text.startswith("（四）可以通过行政复议")
    assert normalise_space(quote.text) in official[31]
    para = kb.get_article("信访工作条例", 36, paragraph=3)
    assert normalise_space(para.text) in official[36]
    assert "不再受理" in para.text and "复核机关" not in para.text


def test_half_width_item_labels_are_kept(kb: KnowledgeBase) -> None:
    # 工伤保险条例 writes its items as (一), as the official text does
    assert kb.get_article("工伤保险条例", 14, item=1).text.startswith("(一)")
    assert kb.get_article("信访工作条例", 31, item=1).text.startswith("（一）")


# ---- versions ----------------------------------------------------------------------------
def test_every_law_has_name_version_dates_and_status(data) -> None:
    for law in data.laws:
        assert law.name and law.versions
        for version in law.versions:
            assert version.label and version.kind and version.version_date
            assert version.effective is not None, f"{law.name} {version.label}"
            assert version.effective >= version.version_date
        assert sum(v.in_force for v in law.versions) == 1, law.name


def test_superseded_arbitration_law_is_never_presented_as_current(kb: KnowledgeBase) -> None:
    quote = kb.get_article("仲裁法", 4)
    assert not quote.in_force
    assert quote.version_label == "2017年修正"
    assert "2026年3月1日施行" in quote.superseded_note
    assert "非现行" in quote.render() and "⚠" in quote.render()
    current = kb.resolve_law("仲裁法").current
    assert current.label == "2025年修订" and not current.has_text
    # and no data file may cite a 仲裁法 article number
    laws = load_knowledge(config.knowledge_dir()).laws
    parser = CitationParser({"仲裁法": "zhongcai_fa"})
    assert "已失效" in resolve_problem(laws, parser.parse("仲裁法 第4条"))


def test_in_force_quote_has_no_warning(kb: KnowledgeBase) -> None:
    quote = kb.get_article("复议法", 20)
    assert quote.superseded_note is None
    assert quote.version_description == "2023年9月1日修订，2024年1月1日施行"
    assert quote.citation == "《中华人民共和国行政复议法》第二十条"


# ---- the read API ------------------------------------------------------------------------
def test_item_paragraph_and_citation_labels(kb: KnowledgeBase) -> None:
    assert kb.get_article("条例", 31, item=4).citation == "《信访工作条例》第三十一条第四项"
    assert kb.get_article("条例", 36, paragraph=3).citation == "《信访工作条例》第三十六条第三款"
    q = kb.get_article("复议法", 23, paragraph=1, item=3)
    assert q.citation == "《中华人民共和国行政复议法》第二十三条第一款第三项"
    assert q.text.startswith("（三）") and "未履行法定职责" in q.text
    whole = kb.get_article("条例", 31)
    assert whole.text.count("\n") == 6 and whole.paragraph is None


def test_lookup_errors_are_clear(kb: KnowledgeBase) -> None:
    with pytest.raises(UnknownLaw, match="未收录"):
        kb.get_article("物权法", 1)
    with pytest.raises(UnknownArticle, match="没有第九十九条"):
        kb.get_article("条例", 99)
    with pytest.raises(UnknownArticle, match="没有第七项"):
        kb.get_article("条例", 31, item=7)
    with pytest.raises(UnknownArticle, match="只有三款"):
        kb.get_article("条例", 36, paragraph=4)
    with pytest.raises(UnknownArticle, match="没有分项"):
        kb.get_article("条例", 1, item=1)
    with pytest.raises(UnknownChannel):
        kb.get_channel("no_such_channel")


def test_law_names_and_aliases_resolve(kb: KnowledgeBase) -> None:
    for name in ("信访工作条例", "条例", "《行政复议法》", "中华人民共和国行政复议法", "复议法"):
        assert kb.resolve_law(name).id in ("xinfang_gongzuo_tiaoli", "xingzheng_fuyi_fa")


def test_search_finds_review_time_limits(kb: KnowledgeBase) -> None:
    results = kb.search_articles("复查 期限")
    citations = [q.citation for q in results]
    assert "《信访工作条例》第三十六条" in citations[:3]
    assert all("复查" in q.text or "期限" in q.text for q in results)
    assert kb.search_articles("   ") == []
    assert kb.search_articles("量子纠缠") == []
    only = kb.search_articles("仲裁", law="劳仲法")
    assert only and all(q.law_id == "laodong_zhengyi_tiaojie_zhongcai_fa" for q in only)


def test_citations_in_free_text(kb: KnowledgeBase) -> None:
    found = kb.find_citations("条例31(四)和复议法第二十条，还有第二十一条")
    assert [(c.law, c.article, c.item) for c in found] == [
        ("xinfang_gongzuo_tiaoli", 31, 4), ("xingzheng_fuyi_fa", 20, None),
        ("xingzheng_fuyi_fa", 21, None)]
    assert [c.article for c in kb.find_citations("第31条第四项 31条 第三十一条第（四）项")] == [
        31, 31, 31]


# ---- channels ------------------------------------------------------------------------------
def test_channel_codes_are_those_of_legal_routes(kb: KnowledgeBase) -> None:
    codes = [c.code for c in kb.channels()]
    assert len(codes) == len(set(codes)) == 15
    expected = legal_route_codes()
    if expected:
        assert sorted(codes) == sorted(expected)


def test_every_channel_is_complete(kb: KnowledgeBase) -> None:
    families = set()
    for channel in kb.channels():
        families.add(channel.family)
        for key in ("summary", "applies_when", "steps", "cite"):
            assert channel.get(key), f"{channel.code}: {key}"
        assert channel["body"].get("how_to_find"), channel.code
        for ref in channel["cite"]:
            kb.quote(kb.citations.parse(ref))  # raises if it does not resolve
    assert families == {"行政复议", "诉讼", "仲裁", "信访"}


def test_time_limits_are_data(kb: KnowledgeBase) -> None:
    limit = kb.get_channel("admin_reconsideration").time_limits[0]
    assert (limit["length"], limit["unit"]) == (60, "day")
    labour = kb.get_channel("labour_arbitration").time_limits
    assert any(e["when"] == "wages_owed_while_employed"
               for lim in labour for e in lim.get("exceptions", []))


def test_hotlines_are_national_only(kb: KnowledgeBase) -> None:
    assert set(kb.hotlines()) == NATIONAL_HOTLINES


def test_no_phone_number_is_invented_in_the_data() -> None:
    """Every digit run that could be a phone number in knowledge/ and domain.yml is a hotline."""
    # classifier.yaml holds the model's numeric settings (600 characters, 5000 iterations) and
    # no text the bot shows; everything else is scanned
    texts = [p.read_text("utf-8") for p in (ROOT / "knowledge").rglob("*.yaml")
             if p.parent.name not in ("laws", "calendar") and p.name != "classifier.yaml"]
    texts += [p.read_text("utf-8") for p in (ROOT / "config").glob("*.yml")]
    if (ROOT / "domain.yml").exists():
        texts.append((ROOT / "domain.yml").read_text("utf-8"))
    for text in texts:
        for run in re.findall(r"(?<![\d-])\d{3,}(?![\d-])", text):
            if len(run) == 4 and 1900 <= int(run) <= 2100:
                continue  # a year
            assert run in NATIONAL_HOTLINES or len(run) <= 3 and int(run) < 400, run


# ---- references everywhere --------------------------------------------------------------
def _project_yaml_files() -> list[Path]:
    files = [p for p in (ROOT / "knowledge").rglob("*.yaml")
             if p.parent.name not in ("laws", "calendar")]
    for folder in ("data/rules", "data/stories"):
        files += sorted((ROOT / folder).rglob("*.yml"))
    if (ROOT / "domain.yml").exists():
        files.append(ROOT / "domain.yml")
    return files


def test_every_reference_in_the_project_resolves(kb: KnowledgeBase, data) -> None:
    """Structured references (grounds/cite/articles) and citations written in any text that
    names a law (responses, rules, catalogue) all point to stored, current articles."""
    checked = 0
    law_named = re.compile(r"《[^》]+》第|(?:条例|法)第[零一二三四五六七八九十百0-9]+条")
    for path in _project_yaml_files():
        content = yaml.safe_load(path.read_text("utf-8"))
        for ref in iter_reference_strings(content):
            citation = kb.citations.parse(ref)
            assert resolve_problem(data.laws, citation) is None, f"{path.name}: {ref}"
            checked += 1
        for text in _strings(content):
            if not law_named.search(text):
                continue
            for citation in kb.find_citations(text):
                if citation.law == "zhongcai_fa":
                    raise AssertionError(f"{path.name}: 仲裁法 cited by number: {text}")
                kb.quote(citation)
                checked += 1
    assert checked > 30


def _strings(data: object) -> list[str]:
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        return [s for v in data.values() for s in _strings(v)]
    if isinstance(data, list):
        return [s for v in data for s in _strings(v)]
    return []


# ---- building -------------------------------------------------------------------------------
def test_build_replaces_the_tables(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    first = build_knowledge(url)
    second = build_knowledge(url)
    assert first == second and first["articles"] > 1500 and first["channels"] == 15


@pytest.mark.parametrize("text, law", [
    ("劳动法第一条是什么", "劳动法"),
    ("《中华人民共和国劳动法》第五十条", "劳动法"),
    ("根据工会法第三十条", "工会法"),
    ("北京市物业管理条例第十条", "北京市物业管理条例"),  # a local regulation, not the national one
    ("我想问一下广东省劳动保障监察条例第十条", "广东省劳动保障监察条例"),
    ("公司法第20条", "公司法"),
])
def test_a_law_we_do_not_hold_is_never_quoted_as_another(kb: KnowledgeBase, text: str,
                                                         law: str) -> None:
    from bot.answers import answer_article_request

    (citation,) = kb.find_citations(text)
    assert citation.law == law  # not 信访工作条例, the default for a bare 第X条
    answer = answer_article_request(text, kb)
    assert not answer.found
    assert answer.messages == [f"本库没有收录《{law}》，无法引用它的条文。"
                               "可以查阅国家法律法规数据库，或拨打12348咨询。"]


@pytest.mark.parametrize("text, law_name", [
    ("第三十一条", "信访工作条例"), ("依据条例第三十一条", "信访工作条例"),
    ("复议法第二十条", "中华人民共和国行政复议法"),
    ("行政复议法第二十条，该法第二十三条", "中华人民共和国行政复议法"),
    ("根据劳动合同法第三十条", "中华人民共和国劳动合同法"),
    ("社保法第五十八条", "中华人民共和国社会保险法"),
    ("依照物业管理条例第十条", "物业管理条例"),
    ("我们小区按物业管理条例第十条", "物业管理条例"),
    ("《中华人民共和国民法典》第一千一百六十五条", "中华人民共和国民法典"),
])
def test_our_laws_and_back_references_still_resolve(kb: KnowledgeBase, text: str,
                                                    law_name: str) -> None:
    citations = kb.find_citations(text)
    assert citations
    for citation in citations:
        assert kb.quote(citation).render().startswith(f"《{law_name}》")


def test_a_local_regulation_after_one_of_ours_is_not_ours(kb: KnowledgeBase) -> None:
    national, local = kb.find_citations("工伤保险条例第十四条和广东省工伤保险条例第十条")
    assert national.law == "gongshang_baoxian_tiaoli" and national.article == 14
    assert local.law == "广东省工伤保险条例"
