"""Practice mode: the case bank and the grading rules are validated when knowledge/ is built.

The real bank passes (every standard answer 100, every automatic wrong answer ≤ 39); broken
banks and rules are refused with the file and the entry named, and the database is untouched.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.knowledge import KnowledgeDataError
from bot.knowledge.loader import content_hash, load_knowledge
from bot.knowledge.store import stored_hash
from bot.practice.cases import load_bank
from bot.practice.data import load
from bot.practice.refs import KnowledgeView
from bot.practice.rules import load_rules
from bot.practice.validation import check_practice, invented_article, wrong_answers
from bot.storage import get_engine

MINE = "dismissed-overtime-unpaid"


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text("utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")


def _case(data: dict, case_id: str = MINE) -> dict:
    return next(c for c in data["cases"] if c["id"] == case_id)


def test_the_real_bank_passes(kb) -> None:
    root = Path(__file__).resolve().parents[1] / "knowledge"
    check = check_practice(root, load_knowledge(root))
    assert check is not None and check.cases >= 12
    assert set(check.standard_scores.values()) == {100}
    assert len(check.wrong_scores) == check.cases
    for case_id, scores in check.wrong_scores.items():
        assert len(scores) == 2, case_id  # another channel's answer, and the generic one
        assert max(scores.values()) <= 39, (case_id, scores)
    grader, bank = load(kb)
    assert len(bank) == check.cases
    channels = {c.channel for c in bank}
    assert len(channels) >= 8


def test_the_automatic_wrong_answers(kb) -> None:
    grader, bank = load(kb)
    case = bank.get(MINE)
    answers = wrong_answers(case, bank, grader)
    assert len(answers) == 2
    other, generic = answers
    assert "的标准答复" in other[0] and other[1] != case.standard_answer
    assert "第九十九条" in generic[1] and invented_article(grader.view, grader.rules) == \
        "《信访工作条例》第九十九条"
    for _, text in answers:
        assert grader.grade(case, text).score < 40


BROKEN = [
    (lambda d: _case(d).update(channel="no_such_channel"), f"案例 {MINE}",
     "不是 channels.yaml 中的渠道代码"),
    (lambda d: _case(d).update(acceptable=["labour_arbitration"]), f"案例 {MINE}",
     "不应包含 channel 本身"),
    (lambda d: d["cases"].append(dict(_case(d), scenario="另一段话")), f"案例 {MINE}",
     "案例 id 重复"),
    (lambda d: _case(d).update(id="Bad_Id"), "Bad_Id", "id 应为小写字母"),
    (lambda d: _case(d).update(scenario="我的电话是13812345678，你们打给我"),
     f"案例 {MINE} scenario", "号码 13812345678"),
    (lambda d: _case(d)["key_points"].update(notice=["receipt", "hug"]), "key_points.notice",
     "未知告知要素 hug"),
    (lambda d: _case(d)["key_points"].pop("time_limit"), f"案例 {MINE}",
     "key_points 应恰有"),
    (lambda d: _case(d).update(title="多余"), f"案例 {MINE}", "未知字段 title"),
    (lambda d: _case(d).update(standard_answer="您好，请申请劳动仲裁。"), f"案例 {MINE}",
     "标准答复没有得满分"),
    (lambda d: _case(d).update(standard_answer=_case(d)["standard_answer"].replace(
        "第三十一条第二项", "第三十一条第四项")), f"案例 {MINE}", "标准答复没有得满分"),
    (lambda d: _case(d).update(scenario="字" * 700), f"案例 {MINE}", "scenario 太长"),
]


@pytest.mark.parametrize(("change", "entry", "message"), BROKEN, ids=[b[2] for b in BROKEN])
def test_a_broken_bank_is_refused(knowledge_copy: Path, change, entry: str,
                                  message: str) -> None:
    _edit(knowledge_copy / "practice" / "cases.yaml", change)
    with pytest.raises(KnowledgeDataError) as err:
        check_practice(knowledge_copy, load_knowledge(knowledge_copy))
    assert err.value.file.endswith("cases.yaml")
    assert entry in err.value.entry or entry in str(err.value)
    assert message in str(err.value)


def test_an_unresolvable_article_names_the_case(knowledge_copy: Path, kb) -> None:
    path = knowledge_copy / "practice" / "cases.yaml"
    _edit(path, lambda d: _case(d)["key_points"]["articles"].append("条例 第99条"))
    # the knowledge build's reference check stops it first, naming the file and the reference …
    with pytest.raises(KnowledgeDataError) as err:
        load_knowledge(knowledge_copy)
    assert err.value.file.endswith("cases.yaml") and "条例 第99条" in str(err.value)
    # … and the practice loader names the case
    grader, _ = load(kb)
    view = KnowledgeView.from_kb(kb)
    rules = load_rules(knowledge_copy / "practice" / "grading.yaml", view)
    with pytest.raises(KnowledgeDataError) as err:
        load_bank(path, view, rules)
    assert err.value.entry == f"案例 {MINE} key_points.articles"
    assert "没有第九十九条" in str(err.value)


def test_a_superseded_text_may_not_be_cited_by_number(knowledge_copy: Path, kb) -> None:
    path = knowledge_copy / "practice" / "cases.yaml"
    _edit(path, lambda d: _case(d)["key_points"]["articles"].append("仲裁法 第16条"))
    view = KnowledgeView.from_kb(kb)
    rules = load_rules(knowledge_copy / "practice" / "grading.yaml", view)
    with pytest.raises(KnowledgeDataError, match="仲裁法 第16条.*不应引用条号"):
        load_bank(path, view, rules)


def test_a_wrong_answer_scoring_too_high_is_refused(knowledge_copy: Path) -> None:
    _edit(knowledge_copy / "practice" / "grading.yaml",
          lambda d: d["scoring"].update(wrong_answer_max=5))
    with pytest.raises(KnowledgeDataError) as err:
        check_practice(knowledge_copy, load_knowledge(knowledge_copy))
    assert err.value.entry.startswith("案例 ") and "错误答复应不超过 5 分" in str(err.value)


BROKEN_RULES = [
    (lambda d: d["items"]["channel"].update(weight=30), "items", "合计应为 100"),
    (lambda d: d["channels"].update(no_such_channel=["某某"]), "channels.no_such_channel",
     "不是 channels.yaml 中的渠道代码"),
    (lambda d: d["channels"].pop("suggestion"), "channels.suggestion", "缺少这个渠道的说法"),
    (lambda d: d["feedback"]["body"].update(right="受理机关正确：{oops}。"),
     "feedback.body.right", "未知占位符 oops"),
    (lambda d: d["feedback"]["body"].pop("missing"), "feedback.body", "缺少字段 missing"),
    (lambda d: d["scoring"].update(acceptable_channel_share=1.5),
     "scoring.acceptable_channel_share", "应在 0 和 1 之间"),
    (lambda d: d["notice"]["route"].update(phrases=[]), "notice.route", "phrases 应为非空列表"),
    (lambda d: d.update(extra={}), "文件", "未知字段 extra"),
    (lambda d: d["references"].update(default_law="信访法"), "references.default_law",
     "未收录的法律"),
]


@pytest.mark.parametrize(("change", "entry", "message"), BROKEN_RULES,
                         ids=[b[2] for b in BROKEN_RULES])
def test_broken_grading_rules_are_refused(knowledge_copy: Path, change, entry: str,
                                          message: str) -> None:
    _edit(knowledge_copy / "practice" / "grading.yaml", change)
    with pytest.raises(KnowledgeDataError) as err:
        check_practice(knowledge_copy, load_knowledge(knowledge_copy))
    assert err.value.file.endswith("grading.yaml")
    assert err.value.entry == entry
    assert message in str(err.value)


def test_cli_build_refuses_a_bad_bank_and_leaves_the_database(knowledge_copy: Path,
                                                              tmp_path: Path, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    assert main(["--db", url, "knowledge", "build", "--knowledge", str(knowledge_copy)]) == 0
    out = capsys.readouterr().out
    assert "练习案例：" in out and "标准答复均得满分" in out
    before = stored_hash(get_engine(url))
    assert before == content_hash(knowledge_copy)
    _edit(knowledge_copy / "practice" / "cases.yaml",
          lambda d: _case(d).update(standard_answer="您好。"))
    code = main(["--db", url, "knowledge", "build", "--knowledge", str(knowledge_copy)])
    err = capsys.readouterr().err
    assert code == 2
    assert "cases.yaml" in err and f"案例 {MINE}" in err and "标准答复没有得满分" in err
    assert "Traceback" not in err
    assert stored_hash(get_engine(url)) == before  # not rebuilt
    assert main(["knowledge", "check", "--knowledge", str(knowledge_copy)]) == 2


@pytest.mark.parametrize("text, refused", [
    ("拨打12348", None), ("2024年", None), ("罚了300元", None),
    ("打119", "119"), ("拨122", "122"), ("114查号", "114"), ("电话010-12345678", "010"),
])
def test_numbers_in_case_texts(text: str, refused: str | None) -> None:
    from bot.practice.cases import number_problem

    problem = number_problem(text, {"12348", "12345", "110", "120"})
    assert (problem is None) if refused is None else (refused in problem)
