"""Build-time checks of the case bank that need the grader.

For every case: its standard answer must earn full marks (100), and two automatically built
wrong answers must score at most ``scoring.wrong_answer_max`` (39): the standard answer of a
case of another channel (one that names neither the right nor an acceptable channel), and
grading.yaml's ``validation.generic_wrong_answer`` naming a wrong channel and citing an article
that does not exist. A failure raises KnowledgeDataError naming the file and the case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.knowledge.citations import Citation
from bot.knowledge.loader import KnowledgeData, KnowledgeDataError
from bot.practice.cases import CASES_FILE, Case, CaseBank, load_bank
from bot.practice.grader import Grade, Grader
from bot.practice.phrases import match_form
from bot.practice.refs import INVENTED, KnowledgeView
from bot.practice.rules import GRADING_FILE, TOTAL, GradingRules, load_rules

PRACTICE_DIR = "practice"


@dataclass(frozen=True)
class BankCheck:
    """What the check found: the number of cases and every score it computed."""

    cases: int
    standard_scores: dict[str, int] = field(default_factory=dict)
    wrong_scores: dict[str, dict[str, int]] = field(default_factory=dict)  # case → kind → score


def wrong_answers(case: Case, bank: CaseBank, grader: Grader) -> list[tuple[str, str]]:
    """The automatically built wrong answers for ``case``: ``[(description, text), …]``."""
    own = {case.channel, *case.acceptable}
    answers: list[tuple[str, str]] = []
    cases = list(bank)
    start = next(i for i, c in enumerate(cases) if c.id == case.id)
    for other in cases[start + 1:] + cases[:start]:
        if other.channel in own:
            continue
        mentions = grader.channel_mentions(match_form(other.standard_answer))
        if own & set(mentions.positive):
            continue
        answers.append((f"案例 {other.id}（{other.channel}）的标准答复", other.standard_answer))
        break
    wrong_channel = next(code for code in grader.rules.channel_phrases if code not in own)
    phrase = grader.rules.channel_phrases[wrong_channel][0]
    answers.append((f"点错渠道（{wrong_channel}）并编造条文的答复",
                    grader.rules.generic_wrong_answer.format(
                        phrase=phrase, article=invented_article(grader.view, grader.rules))))
    return answers


def invented_article(view: KnowledgeView, rules: GradingRules) -> str:
    """A citation of an article the default law does not have (第九十九条, else 第九百九十九条…)."""
    law = view.aliases[rules.default_law]
    number = 99
    while view.lookup(Citation(law, number)).status != INVENTED:
        number = number * 10 + 9
    return view.label(Citation(law, number))


def check_bank(bank: CaseBank, grader: Grader) -> BankCheck:
    """Grade every standard answer and the wrong answers; raise on the first failure."""
    path = Path(bank.path)
    check = BankCheck(len(bank))
    limit = grader.rules.wrong_answer_max
    for case in bank:
        grade = grader.grade(case, case.standard_answer)
        check.standard_scores[case.id] = grade.score
        if grade.score != TOTAL:
            raise KnowledgeDataError(path, f"案例 {case.id}",
                                     f"标准答复没有得满分（{grade.score} 分）：{_lost(grade)}")
        scores = check.wrong_scores[case.id] = {}
        for description, text in wrong_answers(case, bank, grader):
            wrong = grader.grade(case, text)
            scores[description] = wrong.score
            if wrong.score > limit:
                raise KnowledgeDataError(
                    path, f"案例 {case.id}",
                    f"{description}得了 {wrong.score} 分，错误答复应不超过 {limit} 分"
                    f"（评分要点太宽？）：{_kept(wrong)}")
    return check


def _lost(grade: Grade) -> str:
    return "；".join(f"{i.label} {i.points}/{i.max_points}：{i.text}" for i in grade.items
                    if i.points < i.max_points)


def _kept(grade: Grade) -> str:
    return "；".join(f"{i.label} {i.points}/{i.max_points}" for i in grade.items if i.points)


def check_practice(root: Path, data: KnowledgeData) -> BankCheck | None:
    """Validate ``root/practice`` (grading.yaml, cases.yaml) against validated knowledge data.

    Returns None when the folder does not exist. Used by ``python -m bot knowledge build``
    before the database is written, so a bad case leaves the database untouched.
    """
    folder = root / PRACTICE_DIR
    if not folder.is_dir():
        return None
    view = KnowledgeView.from_data(data)
    grading = folder / GRADING_FILE
    if not grading.is_file():
        raise KnowledgeDataError(grading, "文件", "缺少评分规则文件")
    rules = load_rules(grading, view)
    bank = load_bank(folder / CASES_FILE, view, rules)
    return check_bank(bank, Grader(rules, view))
