"""Command line: ``python -m bot --help``.

Errors a user can cause (unknown law, bad date, malformed YAML) print one clear line on
stderr and exit with status 2; nothing prints a stack trace.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from bot import __version__, config

EXIT_USAGE = 2


class CliError(Exception):
    """A user-facing error: printed without a traceback, exit status 2."""


def _out(text: str) -> None:
    print(text)


def _json(data: object) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _parse_number(value: str) -> int:
    """Accept 31, 三十一, 第三十一条, 第31条."""
    from bot.knowledge.numerals import cn_to_int

    text = value.strip().removeprefix("第").removesuffix("条").removesuffix("款").removesuffix("项")
    text = text.strip("（）() ")
    try:
        number = cn_to_int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"不是条号：{value!r}（应如 31 或 第三十一条）") from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"条号应为正整数：{value!r}")
    return number


def positive_int(value: str) -> int:
    """An argparse type for counts and limits: a whole number of at least 1."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"应为正整数：{value!r}") from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"应为正整数：{value!r}")
    return number


def _parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期格式应为 YYYY-MM-DD：{value!r}") from None


# ---- knowledge -----------------------------------------------------------------------
def cmd_knowledge_build(args: argparse.Namespace) -> int:
    """Validate knowledge/ (with the practice case bank) and load it into the database."""
    from bot.knowledge import build_knowledge
    from bot.knowledge.loader import load_knowledge
    from bot.practice.validation import check_practice

    root = Path(args.knowledge) if args.knowledge else config.knowledge_dir()
    # the practice bank is graded against the validated YAML before the database is written
    practice = check_practice(root, load_knowledge(root))
    counts = build_knowledge(args.db, root)
    url = args.db or config.db_url()
    _out(f"知识库已构建：{counts['laws']}部法律法规、{counts['versions']}个版本、"
         f"{counts['articles']}条条文、{counts['channels']}个渠道 → {_safe_url(url)}")
    if practice is not None:
        _out(f"练习案例：{practice.cases}个，标准答复均得满分，自动生成的错误答复最高"
             f"{max((max(v.values()) for v in practice.wrong_scores.values()), default=0)}分")
    return 0


def cmd_knowledge_check(args: argparse.Namespace) -> int:
    """Validate knowledge/ and compare every stored article with the official texts."""
    from bot.knowledge.loader import load_knowledge
    from bot.knowledge.verify import compare_with_official

    root = Path(args.knowledge) if args.knowledge else config.knowledge_dir()
    data = load_knowledge(root)
    _out(f"数据有效：{len(data.laws)}部法律法规，{len(data.channels)}个渠道，"
         f"{len(data.references)}处条文引用均可解析")
    from bot.practice.validation import check_practice

    practice = check_practice(root, data)
    if practice is not None:
        _out(f"练习案例：{practice.cases}个，标准答复均得满分")
    shared = Path(args.shared) if args.shared else config.shared_laws_dir()
    if not shared.is_dir():
        _out(f"未找到官方文本目录 {shared}，跳过逐字核对")
        return 0
    report = compare_with_official(data, shared)
    for line in report.problems:
        _out(f"✗ {line}")
    _out(f"逐字核对：{report.checked}条一致，{len(report.problems)}处不一致")
    return 1 if report.problems else 0


def cmd_knowledge_import(args: argparse.Namespace) -> int:
    """Import an official text as a (new version of a) law."""
    from bot.knowledge.importer import VersionInfo, import_law
    from bot.knowledge.lawtext import LawTextError

    source = Path(args.file)
    if not source.is_file():
        raise CliError(f"找不到文件：{source}")
    info = VersionInfo(label=args.label, kind=args.kind, version_date=args.version_date,
                       effective=args.effective, in_force=args.in_force, note=args.note,
                       aliases=args.alias or [], name=args.name)
    laws_dir = (Path(args.knowledge) if args.knowledge else config.knowledge_dir()) / "laws"
    try:
        target = import_law(source, args.id, info, laws_dir)
    except LawTextError as exc:
        raise CliError(f"{source}：{exc}") from exc
    except UnicodeDecodeError:
        raise CliError(f"{source}：不是 UTF-8 编码的文本") from None
    _out(f"已写入 {target}")
    return 0


# ---- lookups -------------------------------------------------------------------------
def cmd_article(args: argparse.Namespace) -> int:
    """Quote an article (or one 款/项) with law, version and effective date."""
    from bot.knowledge import open_knowledge

    kb = open_knowledge(args.db)
    quote = kb.get_article(args.law, args.number, paragraph=args.paragraph, item=args.item,
                           version=args.version)
    if args.json:
        _json(quote.to_dict())
    else:
        _out(quote.render())
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    """Find articles by words."""
    from bot.knowledge import open_knowledge

    words = [w for w in " ".join(args.words).split() if w]
    if not words:
        raise CliError("请给出要查找的词，例如：python -m bot search 复查 期限")
    kb = open_knowledge(args.db)
    quotes = kb.search_articles(words, law=args.law, limit=args.limit)
    if args.json:
        _json([q.to_dict() for q in quotes])
        return 0
    if not quotes:
        _out(f"没有找到包含“{' '.join(words)}”的条文")
        return 0
    for quote in quotes:
        snippet = quote.text.replace("\n", " ")
        _out(f"{quote.citation}（{quote.version_label}）\n  {snippet[:120]}"
             f"{'…' if len(snippet) > 120 else ''}")
    return 0


def cmd_channels(args: argparse.Namespace) -> int:
    """List the channel catalogue, or show one channel."""
    from bot.knowledge import open_knowledge

    kb = open_knowledge(args.db)
    if args.code:
        channel = kb.get_channel(args.code)
        if args.json:
            _json(channel.data)
        else:
            _out(render_channel(channel))
        return 0
    channels = kb.channels()
    if args.json:
        _json([{"code": c.code, "name": c.name, "family": c.family} for c in channels])
    else:
        for c in channels:
            _out(f"{c.code:<28}{c.family:<6}{c.name}")
    return 0


def render_channel(channel: object) -> str:
    """A readable summary of a channel (CLI)."""
    data = channel.data  # type: ignore[attr-defined]
    lines = [f"{data['name']}（{data['code']}，{data['family']}）", data["summary"],
             f"受理机关：{data['body']['name']}"]
    for limit in data.get("time_limits") or []:
        period = "不受期限限制" if limit["unit"] == "none" else (
            f"{limit['length']}{_UNIT_CN[limit['unit']]}")
        lines.append(f"期限（{limit['label']}）：{period} {limit.get('from_event', '')}".rstrip())
    lines.append("依据：" + "；".join(data["cite"]))
    return "\n".join(lines)


_UNIT_CN = {"day": "日", "month": "个月", "year": "年"}


def cmd_deadline(args: argparse.Namespace) -> int:
    """Compute a channel's time limit and due date from a start date."""
    from bot.deadlines import deadline_for
    from bot.knowledge import open_knowledge

    kb = open_knowledge(args.db)
    channel = kb.get_channel(args.channel)
    limits = channel.time_limits
    if not limits:
        raise CliError(f"渠道 {channel.code}（{channel.name}）没有法定期限")
    if args.limit:
        chosen = [lim for lim in limits if lim["id"] == args.limit]
        if not chosen:
            ids = "、".join(lim["id"] for lim in limits)
            raise CliError(f"渠道 {channel.code} 没有期限 {args.limit}（有：{ids}）")
    else:
        chosen = limits[:1]
    calendar = kb.calendar()
    facts: dict[str, object] = {}
    if args.wages_owed:
        facts["wages_owed"] = True
        if args.employment_ended:
            facts["employment_end_date"] = args.employment_ended
        else:
            facts["employment_ongoing"] = True
    result = deadline_for(chosen[0], args.start, facts, calendar)
    if args.json:
        _json({"channel": channel.code, "limit": chosen[0]["id"], "due": result.due,
               "no_limit": result.no_limit, "text": result.text, "grounds": result.grounds,
               "explain": result.explain})
    else:
        _out(f"{channel.name}：{chosen[0]['label']}")
        _out(result.text)
        if result.explain:
            _out(result.explain)
        _out("依据：" + "；".join(result.grounds))
    return 0


def _read_text_arg(value: str) -> str:
    """The text argument, or standard input for ``-``; bad bytes are replaced, not fatal."""
    if value != "-":
        return value
    data = sys.stdin.buffer.read()
    if b"\x00" in data:
        raise CliError("输入看起来是二进制文件，请输入文字")
    return data.decode("utf-8", errors="replace")


def _parse_facts(pairs: list[str] | None) -> dict[str, object]:
    facts: dict[str, object] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise CliError(f"事实应写成 名称=值，例如 party=admin_organ：{pair!r}")
        text = value.strip()
        facts[key.strip()] = {"true": True, "false": False}.get(text.lower(), text)
    return facts


def cmd_triage(args: argparse.Namespace) -> int:
    """Decide the channel for a complaint (or say what to ask)."""
    from bot.answers import render_triage
    from bot.knowledge import open_knowledge
    from bot.triage import get_engine

    text = _read_text_arg(args.text)
    engine = get_engine()
    result = engine.triage(text, _parse_facts(args.fact), today=args.today)
    if args.json:
        _json(result.to_dict())
        return 0
    _out("\n\n".join(render_triage(result, open_knowledge(args.db))))
    if args.explain:
        _out("\n—— 判断依据 ——")
        for line in result.explanation:
            _out(f"· {line}")
        shown = {k: v for k, v in result.facts.items() if k not in ("parties", "acts")}
        _out("· 事实：" + json.dumps(shown, ensure_ascii=False))
        if result.missing:
            _out("· 缺少：" + "；".join(f"{q.fact}（{q.question}）" for q in result.missing))
    return 0


def _safe_url(url: str) -> str:
    """A database URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


# ---- parser --------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="信访法律渠道引导机器人：知识库、条文查询与期限计算。",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--db", help="数据库 URL（默认 BOT_DB_URL 或 var/bot.db）")
    parser.add_argument("-v", "--verbose", action="store_true", help="输出日志")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    kn = sub.add_parser("knowledge", help="构建、校验、导入知识库")
    kn_sub = kn.add_subparsers(dest="knowledge_command", metavar="ACTION")
    p = kn_sub.add_parser("build", help="校验 knowledge/ 并载入数据库")
    p.add_argument("--knowledge", help="knowledge 目录（默认项目内 knowledge/）")
    p.set_defaults(func=cmd_knowledge_build)
    p = kn_sub.add_parser("check", help="校验数据，并与官方文本逐字核对")
    p.add_argument("--knowledge", help="knowledge 目录")
    p.add_argument("--shared", help="官方文本目录（默认 ../shared/laws）")
    p.set_defaults(func=cmd_knowledge_check)
    p = kn_sub.add_parser("import", help="把官方文本导入为法律（或其新版本）")
    p.add_argument("file", help="官方文本（shared/laws 格式的 .md）")
    p.add_argument("--id", required=True, help="法律 id（文件名），如 zhongcai_fa")
    p.add_argument("--name", help="法律全称（默认取文本标题）")
    p.add_argument("--alias", action="append", help="简称，可重复")
    p.add_argument("--label", required=True, help="版本名称，如 2025年修订")
    p.add_argument("--kind", required=True, choices=["通过", "公布", "发布", "修订", "修正"])
    p.add_argument("--version-date", required=True, type=_parse_date, help="通过/修订日期")
    p.add_argument("--effective", type=_parse_date, help="施行日期")
    force = p.add_mutually_exclusive_group(required=True)
    force.add_argument("--in-force", dest="in_force", action="store_true", help="现行有效")
    force.add_argument("--not-in-force", dest="in_force", action="store_false", help="已失效")
    p.add_argument("--note", help="版本说明")
    p.add_argument("--knowledge", help="knowledge 目录")
    p.set_defaults(func=cmd_knowledge_import)

    p = sub.add_parser("article", help="引用条文：python -m bot article 信访工作条例 31 --item 4")
    p.add_argument("law", help="法律名称或简称，如 信访工作条例、条例、复议法")
    p.add_argument("number", type=_parse_number, help="条号，如 31 或 三十一")
    p.add_argument("--paragraph", "--kuan", type=_parse_number, help="第几款")
    p.add_argument("--item", "--xiang", type=_parse_number, help="第几项")
    p.add_argument("--version", help="版本名称（默认现行版本）")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.set_defaults(func=cmd_article)

    p = sub.add_parser("search", help="按词查找条文：python -m bot search 复查 期限")
    p.add_argument("words", nargs="*", help="要查找的词")
    p.add_argument("--law", help="只在这部法律中查找")
    p.add_argument("--limit", type=positive_int, default=10, help="最多显示几条（默认 10）")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("channels", help="列出渠道目录，或查看一个渠道")
    p.add_argument("code", nargs="?", help="渠道代码，如 admin_reconsideration")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.set_defaults(func=cmd_channels)

    p = sub.add_parser("deadline", help="计算期限与届满日")
    p.add_argument("channel", help="渠道代码")
    p.add_argument("--start", type=_parse_date, help="起算事件发生的日期 YYYY-MM-DD")
    p.add_argument("--limit", help="期限 id（默认该渠道的第一个）")
    p.add_argument("--wages-owed", action="store_true", help="拖欠劳动报酬（劳动仲裁）")
    p.add_argument("--employment-ended", type=_parse_date, help="劳动关系终止日期")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.set_defaults(func=cmd_deadline)

    p = sub.add_parser("triage", help="分流：python -m bot triage \"城管把我三轮车收了还罚了500\"")
    p.add_argument("text", help="投诉内容（- 表示从标准输入读取）")
    p.add_argument("--json", action="store_true", help="输出结果对象（JSON）")
    p.add_argument("--explain", action="store_true", help="显示起决定作用的事实和规则")
    p.add_argument("--fact", action="append", metavar="名称=值",
                   help="已知事实，可重复，如 party=admin_organ、arbitration_clause=false")
    p.add_argument("--today", type=_parse_date, help="以哪天为“今天”（默认今天）")
    p.set_defaults(func=cmd_triage)

    _register_extra_commands(sub)
    return parser


def _register_extra_commands(sub: argparse._SubParsersAction) -> None:
    """Commands contributed by other modules (triage, evaluation, practice) register here."""
    for register in EXTRA_COMMANDS:
        register(sub)


def cmd_purge(args: argparse.Namespace) -> int:
    """Delete consultation records and conversations older than the retention time."""
    from bot import privacy

    tracker_url = args.tracker_url or privacy.tracker_store_url(args.endpoints)
    removed = privacy.purge(args.days, tracker_url=tracker_url)
    _out(f"已删除：咨询记录 {removed['consultations']} 条"
         + (f"，对话 {removed['conversations']} 个" if "conversations" in removed
            else "（未找到 SQL 对话存储，对话未清理）"))
    return 0


def _add_purge(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("purge", help="删除超过保存期限的咨询记录和对话（建议每天定时运行）")
    p.add_argument("--days", type=positive_int,
                   help="保存天数（默认取环境变量 BOT_RETENTION_DAYS，未设置为 180）")
    p.add_argument("--endpoints", default="endpoints.yml",
                   help="从中读取对话存储（tracker_store）的 endpoints.yml")
    p.add_argument("--tracker-url",
                   help="对话存储的数据库地址（SQLAlchemy URL），优先于 --endpoints")
    p.set_defaults(func=cmd_purge)


def _add_evaluate(sub: argparse._SubParsersAction) -> None:
    from bot.evaluation import add_evaluate_command

    add_evaluate_command(sub)


def _add_practice(sub: argparse._SubParsersAction) -> None:
    from bot.practice.cli import add_practice_command

    add_practice_command(sub)


EXTRA_COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [_add_evaluate, _add_purge,
                                                                      _add_practice]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit status."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    func = getattr(args, "func", None)
    if func is None:
        if args.command == "knowledge":
            parser.parse_args(["knowledge", "--help"])
        parser.print_help()
        return 0
    from bot.knowledge import KnowledgeDataError, KnowledgeError

    try:
        return func(args)
    except (CliError, KnowledgeError, KnowledgeDataError, ValueError) as exc:
        message = exc.args[0] if isinstance(exc, KnowledgeError) and exc.args else str(exc)
        print(f"错误：{message}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return 0
    except Exception as exc:
        logging.getLogger(__name__).debug("unexpected error", exc_info=True)
        print(f"内部错误：{type(exc).__name__}。加 -v 可查看日志。", file=sys.stderr)
        return 1
