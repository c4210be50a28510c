"""``python -m bot practice …``: list the cases, grade an answer, report on the attempts.

Registered through :data:`bot.cli.EXTRA_COMMANDS`. User errors (unknown case id or channel,
empty answer, bad date) print one Chinese line on stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.cli import CliError, _json, _out, _parse_date, _read_text_arg
from bot.practice.cases import PracticeError


def cmd_cases(args: argparse.Namespace) -> int:
    """List the cases (id, channel, scenario, standard answer)."""
    from bot.knowledge import open_knowledge
    from bot.practice.data import get_bank

    kb = open_knowledge(args.db)
    bank = get_bank(kb)
    cases = list(bank)
    if args.channel:
        kb.get_channel(args.channel)  # unknown code: a clear error, exit 2
        cases = bank.by_channel(args.channel)
    if args.json:
        _json([{"id": c.id, "channel": c.channel, "scenario": c.scenario,
                "standard_answer": c.standard_answer} for c in cases])
        return 0
    if not cases:
        _out(f"没有渠道 {args.channel} 的练习案例")
        return 0
    for case in cases:
        _out(f"{case.id}（{case.channel}）\n  群众：{case.scenario}\n"
             f"  标准答复：{case.standard_answer}\n")
    _out(f"共 {len(cases)} 个案例")
    return 0


def cmd_grade(args: argparse.Namespace) -> int:
    """Grade an answer to a case; with --staff, store the attempt."""
    from bot.knowledge import open_knowledge
    from bot.practice.attempts import record_attempt
    from bot.practice.data import load

    answer = _read_text_arg(args.answer)
    grader, bank = load(open_knowledge(args.db))
    case = bank.get(args.case_id)
    try:
        grade = grader.grade(case, answer)
    except PracticeError as exc:
        raise CliError(str(exc)) from None
    if args.staff:
        record_attempt(args.staff, case, grade, answer, args.db)
    if args.json:
        _json(grade.to_dict())
    else:
        _out(f"案例 {case.id}（{case.channel}）")
        _out(grade.render())
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Scores per staff member and per channel, weak points, and a PNG chart."""
    from bot.knowledge import open_knowledge
    from bot.practice.attempts import list_attempts
    from bot.practice.data import get_grader
    from bot.practice.report import build_report, render_report, write_report

    grader = get_grader(open_knowledge(args.db))
    attempts = list_attempts(args.staff, since=args.since, url=args.db)
    report = build_report(attempts, grader.rules.labels, grader.view.channel_name)
    _out(render_report(report))
    chart, data = write_report(report, Path(args.out))
    _out(f"\n图表：{chart}\n数据：{data}")
    return 0


def add_practice_command(sub: argparse._SubParsersAction) -> None:
    """Register ``practice cases | grade | report``."""
    practice = sub.add_parser("practice", help="信访工作人员答复练习：案例、评分、报告")
    practice_sub = practice.add_subparsers(dest="practice_command", metavar="ACTION")
    practice.set_defaults(func=lambda _args: _help(practice))

    p = practice_sub.add_parser("cases", help="列出练习案例（编号、渠道、群众原话、标准答复）")
    p.add_argument("--channel", help="只列这个渠道的案例，如 labour_arbitration")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.set_defaults(func=cmd_cases)

    p = practice_sub.add_parser("grade", help="给一条答复评分：practice grade 案例编号 \"答复\"")
    p.add_argument("case_id", help="案例编号（practice cases 可查）")
    p.add_argument("answer", help="您的答复（- 表示从标准输入读取）")
    p.add_argument("--staff", help="工作人员编号：给出时保存这次练习记录")
    p.add_argument("--json", action="store_true", help="输出 JSON（score、items …）")
    p.set_defaults(func=cmd_grade)

    p = practice_sub.add_parser("report", help="练习报告：按人员、按渠道的得分和常失分项，并画图")
    p.add_argument("--staff", help="只看这位工作人员")
    p.add_argument("--since", type=_parse_date, help="只看这天（YYYY-MM-DD）以来的练习")
    p.add_argument("--out", default="results/practice", help="图表和数据写到这个目录"
                                                           "（默认 results/practice）")
    p.set_defaults(func=cmd_report)


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 0
