"""Practice mode: grading answers (correct, partly correct, wrong channel, invented articles,
negation, promises, wording) — deterministic, itemised, with the model answer."""

from __future__ import annotations

import pytest

from bot.practice import PracticeError, grade
from bot.practice.data import load
from bot.practice.grader import MISSING, PARTIAL, RIGHT, WRONG
from bot.practice.rules import ITEMS

LABOUR = "dismissed-overtime-unpaid"  # labour_arbitration; 条例31(二), 劳仲法27(一); 一年
FINE = "street-vendor-fined"  # admin_reconsideration, acceptable: admin_litigation
FRAUD = "online-investment-fraud"  # criminal_report, no time limit


@pytest.fixture(scope="module")
def practice(kb):
    return load(kb)


def mark(practice, case_id: str, answer: str):
    grader, bank = practice
    return grader.grade(bank.get(case_id), answer)


GOOD = ("您好，您反映的情况我们已经登记。公司解除劳动合同、拖欠加班费属于劳动争议，"
        "根据《信访工作条例》第三十一条第二项，应当导入仲裁程序，请您向公司所在地的劳动人事争议仲裁委员会申请劳动仲裁。依照"
        "《劳动争议调解仲裁法》第二十七条第一款，仲裁时效为一年。申请时需要提交仲裁申请书、劳动合同、"
        "工资条等证据材料。感谢您的理解。")


def test_the_standard_answers_of_the_bank_get_full_marks(practice) -> None:
    grader, bank = practice
    for case in bank:
        result = grader.grade(case, case.standard_answer)
        assert result.score == 100, (case.id, result.render(with_model_answer=False))


def test_a_correct_answer_in_other_words_gets_full_marks(practice) -> None:
    result = mark(practice, LABOUR, GOOD)
    assert result.score == 100, result.render()
    assert [i.key for i in result.items] == list(ITEMS)
    assert all(i.verdict == RIGHT for i in result.items)
    assert result.missed == [] and result.lost == {}
    assert "渠道正确：劳动（人事）争议仲裁" in result.item("channel").text


def test_a_partly_correct_answer_is_itemised(practice) -> None:
    answer = "您好，这是劳动争议，您去申请劳动仲裁吧，依据条例第31条。"
    result = mark(practice, LABOUR, answer)
    assert result.item("channel").points == 25
    assert result.item("body").verdict == MISSING
    assert "劳动人事争议仲裁委员会" in result.item("body").text
    assert result.item("time_limit").verdict == MISSING and "一年" in result.item("time_limit").text
    articles = result.item("articles")
    assert articles.verdict == PARTIAL and articles.points == 10
    assert "还缺少《中华人民共和国劳动争议调解仲裁法》第二十七条第一款" in articles.text
    assert "可以写得更具体" in articles.text  # 第31条 earns the point for 第31条第2项
    notice = result.item("notice")
    assert notice.verdict == PARTIAL and "接收情况" in notice.text
    assert result.item("wording").points == 3  # greeting, no courtesy: half of 5, rounded
    assert set(result.missed) == {"body", "time_limit", "articles", "notice", "wording"}
    assert 40 < result.score < 80
    assert sum(i.points for i in result.items) == result.score
    assert result.lost["body"] == 10


def test_a_wrong_channel_scores_low_and_says_why(practice) -> None:
    answer = ("您好，您反映的情况我们已经登记。这属于行政复议，请您向人民政府申请行政复议，"
              "依据条例第三十一条第四项和行政复议法第二十条，期限六十日，请带上材料。")
    result = mark(practice, LABOUR, answer)
    assert result.score < 40
    channel = result.item("channel")
    assert channel.verdict == WRONG and "答复指向行政复议" in channel.text
    wrong = result.item("no_wrong_article")
    assert wrong.points == 0  # two articles of another channel: 2 × 5
    assert "是行政复议的依据，与本案渠道不符" in wrong.text
    assert "处理途径不对" in result.item("notice").text  # a wrong route is no 告知 of the route


def test_invented_articles_cost_points_with_a_clear_message(practice) -> None:
    answer = GOOD + "另外依据条例第九十九条、仲裁法第500条。"
    result = mark(practice, LABOUR, answer)
    item = result.item("no_wrong_article")
    assert item.points == 0 and item.verdict == WRONG
    assert "“条例第九十九条”并不存在" in item.text and "不能编造条文" in item.text
    assert "“仲裁法第500条”并不存在" in item.text
    assert result.score == 90
    one = mark(practice, LABOUR, GOOD + "依据条例第九十九条。")
    assert one.item("no_wrong_article").points == 0  # invented_article_penalty is 10


def test_an_existing_but_irrelevant_article_is_mentioned_without_deduction(practice) -> None:
    result = mark(practice, LABOUR, GOOD + "信访人应当如实反映情况（条例第十九条）。")
    assert result.score == 100
    assert "“条例第十九条”存在，但不是本案的评分要点（不扣分）" in \
        result.item("no_wrong_article").text


def test_a_different_item_of_the_required_article_does_not_count(practice) -> None:
    answer = GOOD.replace("第三十一条第二项", "第三十一条第四项")
    result = mark(practice, LABOUR, answer)
    assert result.item("articles").points == 10
    assert result.item("no_wrong_article").points == 5
    assert "第三十一条第四项" in result.item("no_wrong_article").text


def test_a_law_we_do_not_hold_is_noted_not_penalised(practice) -> None:
    result = mark(practice, LABOUR, GOOD + "也可参照《职工带薪年休假条例》第三条。")
    assert result.score == 100
    assert "本库未收录《职工带薪年休假条例》" in result.item("no_wrong_article").text


def test_a_channel_named_only_to_reject_it_is_not_an_answer(practice) -> None:
    rejected = mark(practice, LABOUR, "您好，这不是行政复议的事，您应当申请劳动仲裁。")
    assert rejected.item("channel").verdict == RIGHT
    assert "正确排除了行政复议" in rejected.item("channel").text
    denied = mark(practice, LABOUR, "您好，这不属于劳动仲裁，请您申请行政复议。")
    assert denied.item("channel").verdict == WRONG
    assert "把劳动（人事）争议仲裁排除了" in denied.item("channel").text
    only_no = mark(practice, LABOUR, "您好，这个不归劳动仲裁管。")
    assert only_no.item("channel").verdict == WRONG and only_no.item("channel").points == 0
    # a law title names no channel
    law_only = mark(practice, LABOUR, "您好，请看《行政复议法》第二十条。")
    assert law_only.item("channel").verdict == MISSING


def test_an_acceptable_channel_earns_part_of_the_channel_points(practice) -> None:
    answer = "您好，已登记。您可以直接向人民法院提起行政诉讼，请带上罚款决定书。"
    result = mark(practice, FINE, answer)
    channel = result.item("channel")
    assert channel.verdict == PARTIAL and channel.points == 15  # 60 % of 25
    assert "也是可行的途径，但本案首选行政复议" in channel.text


def test_no_time_limit_case(practice) -> None:
    good = mark(practice, FRAUD, "您好，已登记。这涉嫌诈骗，请到公安机关报案。")
    assert good.item("time_limit").verdict == RIGHT
    assert "没有需要告知的法定期限" in good.item("time_limit").text
    wrong = mark(practice, FRAUD, "您好，已登记。请向人民法院提起民事诉讼。")
    assert wrong.item("time_limit").points == 0  # no free points with a wrong channel


def test_time_limits_in_any_numeral_form(practice) -> None:
    for said in ("一年", "1年", "１年", "一 年"):
        result = mark(practice, LABOUR, f"您好，请申请劳动仲裁，时效{said}。")
        assert result.item("time_limit").verdict == RIGHT, said
    assert mark(practice, LABOUR, "您好，时效11年。").item("time_limit").verdict == MISSING


def test_improper_promises(practice) -> None:
    promised = mark(practice, LABOUR, GOOD + "我保证一定给您解决。")
    item = promised.item("no_promise")
    assert item.points == 0 and "保证" in item.text and "一定给您解决" in item.text
    assert promised.score == 95
    honest = mark(practice, LABOUR, GOOD + "处理结果要依法作出，我们不能保证结果。")
    assert honest.item("no_promise").points == 5
    deposit = mark(practice, LABOUR, GOOD + "押金和保证金的事也可以一并提出。")
    assert deposit.item("no_promise").points == 5


def test_rude_or_evasive_wording(practice) -> None:
    rude = mark(practice, LABOUR, GOOD + "这事不归我们管，你自己去。")
    assert rude.item("wording").points == 0 and rude.item("wording").verdict == WRONG
    assert "不归我们管" in rude.item("wording").text
    # 申请 is no courtesy word: no greeting and no 请 → 0
    plain = mark(practice, LABOUR, "申请劳动仲裁。")
    assert plain.item("wording").points == 0


def test_grading_is_deterministic_and_serialisable(practice) -> None:
    first = mark(practice, LABOUR, GOOD + "依据条例第九十九条。")
    second = mark(practice, LABOUR, GOOD + "依据条例第九十九条。")
    assert first == second
    data = first.to_dict()
    assert set(data) >= {"score", "items", "model_answer", "missed"}
    assert data["score"] == first.score and len(data["items"]) == len(ITEMS)
    assert data["model_answer"] == practice[1].get(LABOUR).standard_answer
    text = first.render()
    assert text.startswith(f"得分：{first.score}/100") and "标准答复：" in text
    assert "✓ 渠道判断 25/25" in text


def test_bad_input(practice) -> None:
    for empty in ("", "   ", "\n\t", "\x00\x01"):
        with pytest.raises(PracticeError, match="答复是空的"):
            mark(practice, LABOUR, empty)
    huge = mark(practice, LABOUR, GOOD + "啊" * 200_000)
    assert huge.score == 100
    markup = mark(practice, LABOUR, "<script>alert(1)</script>您好，请申请劳动仲裁")
    assert markup.item("channel").verdict == RIGHT
    binary = mark(practice, LABOUR, GOOD.encode("utf-8"))  # bytes are decoded
    assert binary.score == 100
    with pytest.raises(TypeError):
        mark(practice, LABOUR, 42)  # type: ignore[arg-type]


def test_grade_by_case_id_through_the_session_api(use_kb, practice) -> None:
    assert grade(LABOUR, GOOD).score == 100
    with pytest.raises(PracticeError, match="没有编号为“no-such-case”的练习案例"):
        grade("no-such-case", GOOD)


@pytest.mark.parametrize("answer", ["您好，请您放心。", "谢谢您的来信，我们会认真对待。", "好的"])
def test_an_answer_without_substance_scores_nothing(practice, answer: str) -> None:
    result = mark(practice, "shoe-factory-wages-sent-home", answer)
    assert result.score == 0
    for key in ("no_wrong_article", "wording", "no_promise"):
        assert result.item(key).points == 0 and result.item(key).verdict == MISSING
    assert "不计分" in result.item("no_wrong_article").text
    # one real element of an answer is enough for those items to count again
    result = mark(practice, "shoe-factory-wages-sent-home", "您好，建议您申请劳动仲裁。")
    assert result.item("no_wrong_article").points == result.item("no_wrong_article").max_points
    assert result.item("no_promise").points > 0


def test_naming_every_route_is_a_hedge_not_an_answer(practice) -> None:
    hedge = ("您好，您反映的情况我们已经登记。您可以申请劳动仲裁，"
             "也可以申请行政复议、提起行政诉讼、向公安机关报案，"
             "或者向纪检监察机关举报，向劳动人事争议仲裁委员会申请，期限一年。")
    result = mark(practice, "dismissed-overtime-unpaid", hedge)
    channel = result.item("channel")
    assert channel.verdict == PARTIAL and channel.points < channel.max_points
    assert "没有明确告诉群众该走哪条路" in channel.text
    # the same answer without the other routes gets the full channel points
    focused = mark(practice, "dismissed-overtime-unpaid", GOOD)
    assert focused.item("channel").verdict == RIGHT


def test_a_time_limit_counts_only_with_the_right_route_and_not_negated(practice) -> None:
    wrong_route = "您好，建议您申请行政复议，期限一年。"
    result = mark(practice, "dismissed-overtime-unpaid", wrong_route)
    assert result.item("time_limit").points == 0
    negated = "您好，建议您向劳动人事争议仲裁委员会申请劳动仲裁，时效不是一年。"
    assert mark(practice, "dismissed-overtime-unpaid", negated).item("time_limit").points == 0
    right = "您好，建议您向劳动人事争议仲裁委员会申请劳动仲裁，时效一年。"
    assert mark(practice, "dismissed-overtime-unpaid", right).item("time_limit").verdict == RIGHT
