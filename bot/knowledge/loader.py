"""Read and validate the YAML in knowledge/.

Every problem is reported as a KnowledgeDataError naming the file and the entry, so that a
maintainer who mistypes a date or an article reference is told exactly where.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.knowledge.citations import Citation, CitationParser, iter_reference_strings

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: 10x faster
FAMILIES = ("行政复议", "诉讼", "仲裁", "信访")
UNITS = ("day", "month", "year", "none")
COUNTINGS = ("calendar", "working_day")
VERSION_KINDS = ("通过", "公布", "发布", "修订", "修正")


class KnowledgeDataError(ValueError):
    """Invalid data in knowledge/: names the file and the entry."""

    def __init__(self, file: Path | str, entry: str, message: str) -> None:
        self.file, self.entry, self.message = str(file), entry, message
        super().__init__(f"{file}: {entry}: {message}")


@dataclass
class ArticleData:
    """An article with its 款 (each a text and a list of 项)."""

    number: int
    chapter: str | None
    section: str | None
    part: str | None
    paragraphs: list[dict[str, Any]]  # [{"text": str, "items": [str, ...]}]
    subpart: str | None = None  # 第X分编, in the 编 that have them


@dataclass
class VersionData:
    """One version of a law."""

    label: str
    kind: str
    version_date: dt.date
    effective: dt.date | None
    in_force: bool
    source: str | None
    note: str | None
    articles: list[ArticleData] | None  # None: we do not hold this version's text
    item_brackets: str = "（）"  # （一） or (一), as the official text writes item labels


@dataclass
class LawData:
    """A law or regulation and its versions."""

    id: str
    name: str
    aliases: list[str]
    versions: list[VersionData]
    file: str = ""


@dataclass
class KnowledgeData:
    """Everything in knowledge/, validated, ready to be stored."""

    laws: list[LawData]
    channels: list[dict[str, Any]]
    hotlines: list[dict[str, Any]]
    calendar: dict[int, dict[str, Any]]
    content_hash: str
    references: list[tuple[str, str, Citation]] = field(default_factory=list)

    def alias_map(self) -> dict[str, str]:
        """Every name and alias → law id."""
        return alias_map(self.laws)


def alias_map(laws: list[LawData]) -> dict[str, str]:
    """Every law name, the name without 中华人民共和国, and every alias → law id."""
    names: dict[str, str] = {}
    for law in laws:
        for name in (law.name, law.name.removeprefix("中华人民共和国"), *law.aliases):
            names[name] = law.id
    return names


def _read_yaml(path: Path) -> Any:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise KnowledgeDataError(path, "文件", f"无法读取：{exc.strerror}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise KnowledgeDataError(path, "文件", "不是 UTF-8 编码") from exc
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第{mark.line + 1}行" if mark else "文件"
        problem = getattr(exc, "problem", None) or exc
        raise KnowledgeDataError(path, where, f"YAML 语法错误：{problem}") from None


def _req(data: Mapping, key: str, kind: type | tuple, file: Path, entry: str) -> Any:
    if key not in data or data[key] is None:
        raise KnowledgeDataError(file, entry, f"缺少字段 {key}")
    value = data[key]
    if not isinstance(value, kind):
        raise KnowledgeDataError(file, entry, f"字段 {key} 的类型不对：{type(value).__name__}")
    return value


def _date(value: Any, file: Path, entry: str, key: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise KnowledgeDataError(file, entry, f"{key} 不是日期（YYYY-MM-DD）：{value!r}") from exc


def _str_list(data: Mapping, key: str, file: Path, entry: str, required: bool = False) -> list:
    value = data.get(key)
    if value is None:
        if required:
            raise KnowledgeDataError(file, entry, f"缺少字段 {key}")
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise KnowledgeDataError(file, entry, f"{key} 应为非空字符串列表")
    return value


def load_law(path: Path) -> LawData:
    """Load and validate one laws/<id>.yaml."""
    data = _read_yaml(path)
    if not isinstance(data, Mapping):
        raise KnowledgeDataError(path, "文件", "顶层应为映射（id, name, aliases, versions）")
    law_id = _req(data, "id", str, path, "id")
    if law_id != path.stem:
        raise KnowledgeDataError(path, "id", f"id {law_id!r} 应与文件名 {path.stem!r} 一致")
    name = _req(data, "name", str, path, "name")
    aliases = _str_list(data, "aliases", path, "aliases")
    versions_raw = _req(data, "versions", list, path, "versions")
    versions = [_load_version(v, path, i) for i, v in enumerate(versions_raw, start=1)]
    if not versions:
        raise KnowledgeDataError(path, "versions", "至少需要一个版本")
    if sum(v.in_force for v in versions) > 1:
        raise KnowledgeDataError(path, "versions", "只能有一个版本 in_force: true")
    if not any(v.articles for v in versions):
        raise KnowledgeDataError(path, "versions", "没有任何版本收录条文")
    return LawData(law_id, name, aliases, versions, file=str(path))


def _load_version(raw: Any, path: Path, index: int) -> VersionData:
    entry = f"versions[{index}]"
    if not isinstance(raw, Mapping):
        raise KnowledgeDataError(path, entry, "应为映射")
    label = _req(raw, "label", str, path, entry)
    entry = f"版本 {label}"
    kind = _req(raw, "kind", str, path, entry)
    if kind not in VERSION_KINDS:
        raise KnowledgeDataError(path, entry, f"kind 应为 {'/'.join(VERSION_KINDS)} 之一")
    version_date = _date(_req(raw, "version_date", (str, dt.date), path, entry), path, entry,
                         "version_date")
    effective = raw.get("effective")
    effective = _date(effective, path, entry, "effective") if effective else None
    in_force = raw.get("in_force")
    if not isinstance(in_force, bool):
        raise KnowledgeDataError(path, entry, "in_force 应为 true 或 false")
    articles = None
    if raw.get("articles") is not None:
        articles_raw = _req(raw, "articles", list, path, entry)
        articles = [_load_article(a, path, label, i) for i, a in enumerate(articles_raw, 1)]
        numbers = [a.number for a in articles]
        if len(set(numbers)) != len(numbers):
            dup = sorted({n for n in numbers if numbers.count(n) > 1})
            raise KnowledgeDataError(path, entry, f"条号重复：{dup}")
    brackets = raw.get("item_brackets", "（）")
    if brackets not in ("（）", "()"):
        raise KnowledgeDataError(path, entry, "item_brackets 应为 （） 或 ()")
    return VersionData(label, kind, version_date, effective, in_force, raw.get("source"),
                       raw.get("note"), articles, brackets)


def _load_article(raw: Any, path: Path, label: str, index: int) -> ArticleData:
    entry = f"版本 {label} articles[{index}]"
    if not isinstance(raw, Mapping):
        raise KnowledgeDataError(path, entry, "应为映射")
    number = _req(raw, "number", int, path, entry)
    if number <= 0:
        raise KnowledgeDataError(path, entry, "number 应为正整数")
    entry = f"版本 {label} 第{number}条"
    paragraphs = _req(raw, "paragraphs", list, path, entry)
    if not paragraphs:
        raise KnowledgeDataError(path, entry, "paragraphs 不能为空")
    clean = []
    for p_index, para in enumerate(paragraphs, start=1):
        where = f"{entry} 第{p_index}款"
        if not isinstance(para, Mapping) or not isinstance(para.get("text", ""), str):
            raise KnowledgeDataError(path, where, "应为 {text: ..., items: [...]}")
        items = _str_list(para, "items", path, where)
        if not para.get("text") and not items:
            raise KnowledgeDataError(path, where, "既无文字也无项")
        clean.append({"text": para.get("text") or "", "items": items})
    return ArticleData(number, raw.get("chapter"), raw.get("section"), raw.get("part"), clean,
                       raw.get("subpart"))


def load_channels(path: Path, hotline_numbers: set[str]) -> list[dict[str, Any]]:
    """Load and validate channels.yaml (structure only; references are checked later)."""
    data = _read_yaml(path)
    if not isinstance(data, Mapping) or not isinstance(data.get("channels"), list):
        raise KnowledgeDataError(path, "文件", "顶层应为 {channels: [...]}")
    seen: set[str] = set()
    channels = []
    for index, raw in enumerate(data["channels"], start=1):
        entry = f"channels[{index}]"
        if not isinstance(raw, Mapping):
            raise KnowledgeDataError(path, entry, "应为映射")
        code = _req(raw, "code", str, path, entry)
        entry = f"渠道 {code}"
        if code in seen:
            raise KnowledgeDataError(path, entry, "渠道代码重复")
        seen.add(code)
        for key in ("name", "family", "summary"):
            _req(raw, key, str, path, entry)
        if raw["family"] not in FAMILIES:
            raise KnowledgeDataError(path, entry, f"family 应为 {'/'.join(FAMILIES)} 之一")
        for key in ("applies_when", "steps", "cite"):
            _str_list(raw, key, path, entry, required=True)
        for key in ("not_for", "materials", "notes", "hotlines", "cost_grounds"):
            _str_list(raw, key, path, entry)
        body = _req(raw, "body", Mapping, path, entry)
        _req(body, "name", str, path, f"{entry} body")
        for number in raw.get("hotlines") or []:
            if number not in hotline_numbers:
                raise KnowledgeDataError(path, entry, f"热线 {number} 不在 hotlines.yaml 中")
        for t_index, limit in enumerate(raw.get("time_limits") or [], start=1):
            _check_limit(limit, path, f"{entry} time_limits[{t_index}]")
        for n_index, step in enumerate(raw.get("next_if_fails") or [], start=1):
            where = f"{entry} next_if_fails[{n_index}]"
            if not isinstance(step, Mapping):
                raise KnowledgeDataError(path, where, "应为映射")
            _req(step, "text", str, path, where)
        channels.append(dict(raw))
    for channel in channels:
        for n_index, step in enumerate(channel.get("next_if_fails") or [], start=1):
            target = step.get("channel")
            if target is not None and target not in seen:
                raise KnowledgeDataError(path, f"渠道 {channel['code']} next_if_fails[{n_index}]",
                                         f"未知渠道 {target}")
    return channels


def _check_limit(limit: Any, path: Path, entry: str) -> None:
    if not isinstance(limit, Mapping):
        raise KnowledgeDataError(path, entry, "应为映射")
    for key in ("id", "label", "unit"):
        _req(limit, key, str, path, entry)
    if limit["unit"] not in UNITS:
        raise KnowledgeDataError(path, entry, f"unit 应为 {'/'.join(UNITS)} 之一")
    if limit["unit"] != "none":
        length = limit.get("length")
        if not isinstance(length, int) or isinstance(length, bool) or length <= 0:
            raise KnowledgeDataError(path, entry, "length 应为正整数")
    if limit.get("counting", "calendar") not in COUNTINGS:
        raise KnowledgeDataError(path, entry, f"counting 应为 {'/'.join(COUNTINGS)} 之一")
    _str_list(limit, "grounds", path, entry, required=True)


def load_hotlines(path: Path) -> list[dict[str, Any]]:
    """Load hotlines.yaml: the only phone numbers the bot may give."""
    data = _read_yaml(path)
    if not isinstance(data, Mapping) or not isinstance(data.get("hotlines"), list):
        raise KnowledgeDataError(path, "文件", "顶层应为 {hotlines: [...]}")
    hotlines = []
    for index, raw in enumerate(data["hotlines"], start=1):
        entry = f"hotlines[{index}]"
        if not isinstance(raw, Mapping):
            raise KnowledgeDataError(path, entry, "应为映射")
        number = str(_req(raw, "number", (str, int), path, entry))
        if not number.isdigit():
            raise KnowledgeDataError(path, entry, f"号码应为数字：{number}")
        _req(raw, "name", str, path, f"热线 {number}")
        hotlines.append({"number": number, "name": raw["name"], "use": raw.get("use") or ""})
    return hotlines


def load_calendar_data(path: Path) -> dict[int, dict[str, Any]]:
    """Load calendar/holidays.yaml as {year: {source, holidays: [date], workdays: [date]}}."""
    data = _read_yaml(path)
    if not isinstance(data, Mapping) or not isinstance(data.get("years"), Mapping):
        raise KnowledgeDataError(path, "文件", "顶层应为 {years: {2026: {...}}}")
    years: dict[int, dict[str, Any]] = {}
    for year, raw in data["years"].items():
        entry = f"years.{year}"
        if not isinstance(year, int) or not isinstance(raw, Mapping):
            raise KnowledgeDataError(path, entry, "年份应为整数，内容应为映射")
        days: dict[str, list[dt.date]] = {}
        for key in ("holidays", "workdays"):
            values = raw.get(key) or []
            if not isinstance(values, list):
                raise KnowledgeDataError(path, entry, f"{key} 应为日期列表")
            days[key] = [_date(v, path, entry, key) for v in values]
            wrong = [d for d in days[key] if d.year != year]
            if wrong:
                raise KnowledgeDataError(path, entry, f"{key} 中有不属于该年的日期：{wrong[0]}")
        both = set(days["holidays"]) & set(days["workdays"])
        if both:
            raise KnowledgeDataError(path, entry, f"同一日期既是假日又是工作日：{min(both)}")
        years[year] = {"source": raw.get("source") or "", **days}
    return years


def content_hash(root: Path) -> str:
    """A hash of every YAML file under ``root``; the database is rebuilt when it changes."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.yaml")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def load_knowledge(root: Path) -> KnowledgeData:
    """Load and validate everything under ``root`` (the knowledge/ folder).

    Checks across files too: every article reference in the data resolves to a stored article.
    """
    law_files = sorted((root / "laws").glob("*.yaml"))
    if not law_files:
        raise KnowledgeDataError(root / "laws", "文件夹", "没有任何法律文件")
    laws = [load_law(p) for p in law_files]
    names: dict[str, str] = {}
    for law in laws:
        for name in (law.name, *law.aliases):
            if name in names and names[name] != law.id:
                raise KnowledgeDataError(law.file, "aliases", f"名称 {name} 与 {names[name]} 重复")
            names[name] = law.id
    hotlines = load_hotlines(root / "hotlines.yaml")
    channels = load_channels(root / "channels.yaml", {h["number"] for h in hotlines})
    calendar = load_calendar_data(root / "calendar" / "holidays.yaml")
    data = KnowledgeData(laws, channels, hotlines, calendar, content_hash(root))
    data.references = check_references(data, root)
    return data


def check_references(data: KnowledgeData, root: Path) -> list[tuple[str, str, Citation]]:
    """Resolve every reference in channels.yaml (and any other non-law YAML) to an article."""
    parser = CitationParser(data.alias_map())
    resolved: list[tuple[str, str, Citation]] = []
    sources: list[tuple[Path, Any]] = [(root / "channels.yaml", {"channels": data.channels})]
    for path in sorted(root.rglob("*.yaml")):
        if path.parent.name in ("laws", "calendar") or path.name in ("channels.yaml",
                                                                     "hotlines.yaml"):
            continue
        sources.append((path, _read_yaml(path)))
    for path, content in sources:
        for ref in iter_reference_strings(content):
            try:
                citation = parser.parse(ref)
            except ValueError as exc:
                raise KnowledgeDataError(path, ref, str(exc)) from exc
            problem = resolve_problem(data.laws, citation)
            if problem:
                raise KnowledgeDataError(path, ref, problem)
            resolved.append((str(path), ref, citation))
    return resolved


def resolve_problem(laws: list[LawData], citation: Citation) -> str | None:
    """Why ``citation`` does not resolve against the current text of its law, or None if it does."""
    law = next((law for law in laws if law.id == citation.law), None)
    if law is None:
        return f"未知法律 {citation.law}"
    version = current_text_version(law)
    if version is None or version.articles is None:
        return f"{law.name} 没有收录条文"
    if not version.in_force:
        return f"{law.name} 的收录文本（{version.label}）已失效，不应引用条号"
    article = next((a for a in version.articles if a.number == citation.article), None)
    if article is None:
        return f"{law.name}（{version.label}）没有第{citation.article}条"
    paras = article.paragraphs
    if citation.paragraph and citation.paragraph > len(paras):
        return f"{law.name}第{citation.article}条只有{len(paras)}款"
    if citation.item:
        candidates = [paras[citation.paragraph - 1]] if citation.paragraph else paras
        if not any(len(p["items"]) >= citation.item for p in candidates):
            return f"{law.name}第{citation.article}条没有第{citation.item}项"
    return None


def current_text_version(law: LawData) -> VersionData | None:
    """The version to quote: the one in force if we hold its text, else the newest we hold."""
    in_force = next((v for v in law.versions if v.in_force and v.articles), None)
    if in_force:
        return in_force
    with_text = [v for v in law.versions if v.articles]
    return max(with_text, key=lambda v: v.version_date) if with_text else None


def article_to_dict(article: ArticleData) -> dict[str, Any]:
    """An article as the plain mapping written to YAML."""
    return {k: v for k, v in asdict(article).items() if v is not None}
