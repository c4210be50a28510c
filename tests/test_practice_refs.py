"""Practice mode: article references in free text, the matching form, negation."""

from __future__ import annotations

import pytest

from bot.knowledge.citations import Citation
from bot.practice.data import load
from bot.practice.phrases import PhraseSet, claim, match_form
from bot.practice.refs import INVENTED, OK, OUTDATED, covers, finer_than

XF, LAB, FY, MS, TU = ("xinfang_gongzuo_tiaoli", "laodong_zhengyi_tiaojie_zhongcai_fa",
                       "xingzheng_fuyi_fa", "minshi_susong_fa",
                       "nongcun_tudi_chengbao_jiufen_tiaojie_zhongcai_fa")


@pytest.fixture(scope="module")
def grader(kb):
    return load(kb)[0]


def cites(grader, text: str) -> list[tuple]:
    return [(r.citation.law, r.citation.article, r.citation.paragraph, r.citation.item)
            if r.citation else ("?", r.unknown_law) for r in grader.references(text)]


FORMS = [
    ("第三十一条", [(XF, 31, None, None)]),
    ("31条", [(XF, 31, None, None)]),
    ("第31条第四项", [(XF, 31, None, 4)]),
    ("31条4项", [(XF, 31, None, 4)]),
    ("条例31(四)", [(XF, 31, None, 4)]),
    ("条例３１（四）", [(XF, 31, None, 4)]),
    ("《信访工作条例》第三十一条第（四）项", [(XF, 31, None, 4)]),
    ("根据信访条例第31条第（2）项", [(XF, 31, None, 2)]),
    ("《劳动争议调解仲裁法》第二十七条", [(LAB, 27, None, None)]),
    ("《中华人民共和国劳动争议调解仲裁法》第二十七条第四款", [(LAB, 27, 4, None)]),
    ("行政复议法第20条", [(FY, 20, None, None)]),
    ("复议法 第23条 第1款 第3项", [(FY, 23, 1, 3)]),
    ("第三十一条第二项、第四项", [(XF, 31, None, 2), (XF, 31, None, 4)]),
    ("条例第九十九条", [(XF, 99, None, None)]),
    ("仲裁法第500条", [("zhongcai_fa", 500, None, None)]),
]


@pytest.mark.parametrize(("text", "expected"), FORMS, ids=[f[0] for f in FORMS])
def test_every_common_form_is_recognised(grader, text: str, expected: list) -> None:
    assert cites(grader, text) == expected


def test_a_bare_article_takes_the_law_named_just_before(grader) -> None:
    assert cites(grader, "依照劳动争议调解仲裁法的规定，第二十七条") == [(LAB, 27, None, None)]
    assert cites(grader, "劳仲法第27条、第28条") == [(LAB, 27, None, None), (LAB, 28, None, None)]
    # 该法 refers back to the law named last, however far
    text = ("依照《农村土地承包经营纠纷调解仲裁法》第四条，可以先调解，调解不成可以申请仲裁；"
            "依照该法第十八条，时效为二年。")
    assert cites(grader, text) == [(TU, 4, None, None), (TU, 18, None, None)]


def test_a_bare_article_far_from_a_law_means_the_regulation(grader) -> None:
    text = "根据劳仲法第27条，时效一年。另外按照第三十一条第二项，应当导入仲裁程序。"
    assert cites(grader, text) == [(LAB, 27, None, None), (XF, 31, None, 2)]
    assert cites(grader, "第二十三条") == [(XF, 23, None, None)]


def test_a_bare_article_the_regulation_lacks_goes_to_the_law_named_earlier(grader) -> None:
    text = ("依照《民事诉讼法》第二百一十条，您可以向上一级人民法院申请再审；"
            "依照第二百一十六条，应当在六个月内提出。")
    assert cites(grader, text) == [(MS, 210, None, None), (MS, 216, None, None)]


def test_a_known_name_inside_an_unknown_title_is_not_that_law(grader) -> None:
    assert cites(grader, "《职工带薪年休假条例》第三条") == [("?", "职工带薪年休假条例")]
    found = cites(grader, "依据职工带薪年休假条例第三条")
    assert found[0][0] == "?" and "职工带薪年休假条例" in found[0][1]
    # a regulation we hold is checked under its own name, not taken for 条例 (信访工作条例)
    assert cites(grader, "依据劳动保障监察条例第十一条") == [
        ("laodong_baozhang_jiancha_tiaoli", 11, None, None)]
    assert cites(grader, "《行政复议法实施条例》第十条")[0][0] == "?"
    # … while the usual lead-ins keep a short name valid
    assert cites(grader, "这符合条例第31条") == [(XF, 31, None, None)]
    assert cites(grader, "按照该条例第二十三条") == [(XF, 23, None, None)]


def test_lookup_tells_invented_from_outdated(grader) -> None:
    view = grader.view
    assert view.lookup(Citation(XF, 31, None, 4)).status == OK
    invented = view.lookup(Citation(XF, 99))
    assert invented.status == INVENTED and "没有第九十九条" in invented.message
    assert view.lookup(Citation(XF, 31, None, 9)).status == INVENTED
    assert view.lookup(Citation("zhongcai_fa", 500)).status == INVENTED
    assert view.lookup(Citation("zhongcai_fa", 16)).status == OUTDATED  # superseded text held


def test_article_level_matching() -> None:
    required = Citation(XF, 31, None, 2)
    assert covers(Citation(XF, 31), required)
    assert covers(Citation(XF, 31, None, 2), required)
    assert not covers(Citation(XF, 31, None, 4), required)
    assert not covers(Citation(LAB, 31), required)
    assert covers(Citation(LAB, 27), Citation(LAB, 27, 1))
    assert not covers(Citation(LAB, 27, 4), Citation(LAB, 27, 1))
    assert finer_than(required, Citation(XF, 31)) == "第二项"
    assert finer_than(Citation(LAB, 27, 1), Citation(LAB, 27)) == "第一款"
    assert finer_than(required, required) == ""


def test_matching_form() -> None:
    assert match_form("仲裁时效为一年，六十日内") == "仲裁时效为1年,60日内"
    assert match_form("60天 十五个工作日 三个月 两年") == "60日15个工作日3个月2年"
    assert match_form("《條例》第三十一條  ＡＢＣ１２３") == "《条例》第三十一条abc123"
    assert match_form("一定给您解决") == "一定给您解决"  # 一 without a unit stays


def test_phrases_with_gaps_and_exceptions() -> None:
    phrases = PhraseSet(["请", "先…再", "向…申请"], gap_chars=20)
    form = match_form("请您先去找调解委员会，再向仲裁委申请。")
    assert phrases.found(form) == ["请", "先…再", "向…申请"]
    courtesy = PhraseSet(["请"], excepts=["申请"])
    assert courtesy.found(match_form("向仲裁委申请仲裁")) == []
    assert courtesy.found(match_form("请您向仲裁委申请仲裁")) == ["请"]
    # a gap never crosses a sentence
    assert PhraseSet(["先…再"]).found(match_form("先登记。再说。")) == []


def test_longest_phrase_claims_the_span() -> None:
    phrases = PhraseSet(["劳动人事争议仲裁", "仲裁委员会", "仲裁委"])
    form = match_form("向劳动人事争议仲裁委员会申请")
    kept = claim([(h, h.phrase) for h in phrases.hits(form)])
    assert [payload for _, payload in kept] == ["劳动人事争议仲裁"]
    # the same phrase listed twice (for two channels) keeps both payloads
    hits = PhraseSet(["起诉"]).hits(match_form("向法院起诉"))
    assert [p for _, p in claim([(hits[0], "civil"), (hits[0], "admin")])] == ["civil", "admin"]


NEGATED = [
    ("这不是行政复议的事", "行政复议", True),
    ("您这个情况不属于劳动仲裁", "劳动仲裁", True),
    ("不能通过信访渠道解决", "信访渠道", True),
    ("行政复议在这里不适用", "行政复议", True),
    ("不是行政复议而是劳动仲裁", "劳动仲裁", False),
    ("不是行政复议而是劳动仲裁", "行政复议", True),
    ("协商不成的，可以申请劳动仲裁", "劳动仲裁", False),
    ("如果对裁决不服，可以向人民法院起诉", "起诉", False),
    ("不属于信访受理范围建议您申请劳动仲裁", "劳动仲裁", False),
    ("请不要耽误申请劳动仲裁的时效", "劳动仲裁", False),
    ("您看是不是申请劳动仲裁", "劳动仲裁", False),
    ("我们不能保证结果", "保证", True),
    ("我保证给您解决", "保证", False),
]


@pytest.mark.parametrize(("text", "phrase", "negated"), NEGATED,
                         ids=[f"{n[0]}:{n[1]}" for n in NEGATED])
def test_negation(grader, text: str, phrase: str, negated: bool) -> None:
    form = match_form(text)
    start = form.index(match_form(phrase))
    end = start + len(match_form(phrase))
    assert grader.rules.negation.is_negated(form, start, end) is negated
