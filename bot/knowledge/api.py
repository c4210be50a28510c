"""The one small API through which everything reads the knowledge base.

    kb = open_knowledge()
    kb.get_article("信访工作条例", 31, item=4)     -> Quote
    kb.search_articles("复查 期限")                -> list[Quote]
    kb.get_channel("admin_reconsideration")       -> Channel
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.engine import Engine

from bot import config
from bot.deadlines import Calendar
from bot.knowledge import store
from bot.knowledge.citations import Citation, CitationParser
from bot.knowledge.lawtext import item_label, normalise_space
from bot.knowledge.loader import content_hash, load_knowledge
from bot.knowledge.numerals import int_to_cn
from bot.storage import get_engine

log = logging.getLogger(__name__)


class KnowledgeError(LookupError):
    """A lookup that cannot be answered; ``str()`` is a Chinese message fit for a user."""


class UnknownLaw(KnowledgeError):
    """No law with that name or alias."""


class UnknownArticle(KnowledgeError):
    """The law has no such article, 款 or 项 (in the version quoted)."""


class UnknownChannel(KnowledgeError):
    """No channel with that code."""


@dataclass(frozen=True)
class LawVersion:
    """One version of a law, as stored."""

    label: str
    kind: str
    version_date: dt.date
    effective: dt.date | None
    in_force: bool
    has_text: bool
    note: str | None
    item_brackets: str = "（）"

    def describe(self) -> str:
        """E.g. 2023年9月1日修订，2024年1月1日施行."""
        text = f"{_cn_date(self.version_date)}{self.kind}"
        if self.effective:
            text += f"，{_cn_date(self.effective)}施行"
        return text


@dataclass(frozen=True)
class Law:
    """A law and its versions (oldest first)."""

    id: str
    name: str
    aliases: tuple[str, ...]
    versions: tuple[LawVersion, ...]

    @property
    def current(self) -> LawVersion | None:
        """The version in force, if any is marked so."""
        return next((v for v in self.versions if v.in_force), None)


@dataclass(frozen=True)
class Quote:
    """A quoted article, 款 or 项, with everything needed to cite it honestly."""

    law_id: str
    law_name: str
    version_label: str
    version_description: str
    effective: dt.date | None
    in_force: bool
    article: int
    paragraph: int | None
    item: int | None
    citation: str  # 《信访工作条例》第三十一条第四项
    text: str  # the quoted words, items labelled （一）
    chapter: str | None = None
    superseded_note: str | None = None  # set when the quoted version is not the one in force

    def header(self) -> str:
        """Citation and version line."""
        status = "现行有效" if self.in_force else "非现行文本"
        return f"{self.citation}（{self.version_description}，{status}）"

    def render(self) -> str:
        """Plain text for the CLI and chat: citation, version, text, and any version warning."""
        parts = [self.header(), self.text]
        if self.superseded_note:
            parts.append(f"⚠ {self.superseded_note}")
        return "\n".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        data = asdict(self)
        data["effective"] = self.effective.isoformat() if self.effective else None
        return data


@dataclass(frozen=True)
class Channel:
    """One entry of the channel catalogue (see knowledge/README.md for the fields)."""

    code: str
    name: str
    family: str
    data: dict[str, Any] = field(repr=False)

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def get(self, key: str, default: Any = None) -> Any:
        """A field of the catalogue entry."""
        return self.data.get(key, default)

    @property
    def time_limits(self) -> list[dict[str, Any]]:
        """The channel's time limits as plain mappings (input to bot.deadlines)."""
        return list(self.data.get("time_limits") or [])


def _cn_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


class KnowledgeBase:
    """Read access to the knowledge database. Thread-safe; results are cached."""

    def __init__(self, engine: Engine) -> None:
        """Use an engine whose knowledge tables are built (see ``open_knowledge``)."""
        self.engine = engine
        self._laws = self._load_laws()
        self._aliases: dict[str, str] = {}
        for law in self._laws.values():
            for name in (law.name, law.name.removeprefix("中华人民共和国"), *law.aliases):
                self._aliases[name] = law.id
        self.citations = CitationParser(self._aliases, default_law="xinfang_gongzuo_tiaoli")
        self._cache_lock = threading.Lock()

    # ---- laws -------------------------------------------------------------------------
    def _load_laws(self) -> dict[str, Law]:
        t_law, t_ver = store.laws, store.law_versions
        with self.engine.connect() as conn:
            law_rows = conn.execute(select(t_law).order_by(t_law.c.position)).mappings().all()
            ver_rows = conn.execute(select(t_ver).order_by(t_ver.c.version_date)).mappings().all()
        result: dict[str, Law] = {}
        for row in law_rows:
            versions = tuple(
                LawVersion(v["label"], v["kind"], v["version_date"], v["effective"],
                           v["in_force"], v["has_text"], v["note"], v["item_brackets"])
                for v in ver_rows if v["law_id"] == row["id"]
            )
            result[row["id"]] = Law(row["id"], row["name"], tuple(row["aliases"]), versions)
        return result

    def laws(self) -> list[Law]:
        """All laws, in catalogue order."""
        return list(self._laws.values())

    def resolve_law(self, name: str) -> Law:
        """A law by id, full name, name without 中华人民共和国, or alias (《》 ignored)."""
        key = name.strip().strip("《》").strip()
        law_id = key if key in self._laws else self._aliases.get(key)
        if law_id is None:
            known = "、".join(law.name.removeprefix("中华人民共和国")
                             for law in self._laws.values())
            raise UnknownLaw(f"未收录“{name}”。已收录：{known}")
        return self._laws[law_id]

    def _version_to_quote(self, law: Law, label: str | None) -> tuple[LawVersion, str | None]:
        if label:
            version = next((v for v in law.versions if v.label == label), None)
            if version is None:
                labels = "、".join(v.label for v in law.versions)
                raise UnknownArticle(f"{law.name}没有“{label}”这个版本（有：{labels}）")
            if not version.has_text:
                raise UnknownArticle(f"{law.name}（{label}）的条文未收录")
        else:
            current = law.current
            if current and current.has_text:
                return current, None
            with_text = [v for v in law.versions if v.has_text]
            version = with_text[-1]
        note = None
        if not version.in_force:
            current = law.current
            note = f"这是《{law.name}》{version.label}文本，"
            if current:
                note += f"已被{current.describe()}的新文本（{current.label}）取代，不是现行规定。"
                if current.note:
                    note += current.note.rstrip("。") + "。"
                if not current.has_text:
                    note += "本库未收录新文本全文，请以现行官方文本为准。"
            else:
                note += "已经失效。"
        return version, note

    # ---- articles ---------------------------------------------------------------------
    def get_article(self, law: str, number: int, paragraph: int | None = None,
                    item: int | None = None, version: str | None = None) -> Quote:
        """Quote an article, one 款 or one 项 of the current text (or of ``version``).

        Raises UnknownLaw / UnknownArticle with a Chinese message.
        """
        return self._get_article(self.resolve_law(law).id, number, paragraph, item, version)

    def quote(self, citation: Citation) -> Quote:
        """Quote what a parsed citation points to."""
        if citation.law is None:
            raise UnknownLaw("引用没有指明法律")
        if citation.law not in self._laws:  # a law named in the text that we do not hold
            raise UnknownLaw(f"本库没有收录《{citation.law}》，无法引用它的条文。"
                             "可以查阅国家法律法规数据库，或拨打12348咨询。")
        return self._get_article(citation.law, citation.article, citation.paragraph,
                                 citation.item, None)

    @lru_cache(maxsize=4096)  # noqa: B019 (one KnowledgeBase lives as long as the process)
    def _get_article(self, law_id: str, number: int, paragraph: int | None, item: int | None,
                     version_label: str | None) -> Quote:
        law = self._laws[law_id]
        version, note = self._version_to_quote(law, version_label)
        if number <= 0:
            raise UnknownArticle("条号应为正整数")
        t_ver, t_art = store.law_versions, store.articles
        with self.engine.connect() as conn:
            art = conn.execute(
                select(t_art).join(t_ver, t_art.c.version_id == t_ver.c.id).where(
                    and_(t_ver.c.law_id == law_id, t_ver.c.label == version.label,
                         t_art.c.number == number))
            ).mappings().first()
            if art is None:
                last = conn.execute(
                    select(t_art.c.number).join(t_ver, t_art.c.version_id == t_ver.c.id)
                    .where(and_(t_ver.c.law_id == law_id, t_ver.c.label == version.label))
                    .order_by(t_art.c.number.desc())).scalar()
                raise UnknownArticle(
                    f"{law.name}（{version.label}）没有第{int_to_cn(number)}条"
                    f"（共{int_to_cn(last)}条）" if last else f"{law.name}没有第{number}条")
            paras = self._paragraphs(conn, art["id"])
        text, para_no = self._select_text(law, number, paras, paragraph, item,
                                          version.item_brackets)
        # official style: 第三十一条第四项 when the article has one 款, else 第X条第Y款第Z项
        shown_para = para_no if paragraph or (item and len(paras) > 1) else None
        citation = Citation(law_id, number, shown_para, item)
        return Quote(
            law_id=law.id, law_name=law.name, version_label=version.label,
            version_description=version.describe(), effective=version.effective,
            in_force=version.in_force, article=number,
            paragraph=para_no if (paragraph or item) else None, item=item,
            citation=f"《{law.name}》{citation.label()}",
            text=text, chapter=art["chapter"], superseded_note=note,
        )

    @staticmethod
    def _paragraphs(conn: Any, article_id: int) -> list[tuple[str, list[str]]]:
        t_para, t_item = store.paragraphs, store.items
        para_rows = conn.execute(select(t_para).where(t_para.c.article_id == article_id)
                                 .order_by(t_para.c.position)).mappings().all()
        ids = [p["id"] for p in para_rows]
        item_rows = conn.execute(select(t_item).where(t_item.c.paragraph_id.in_(ids))
                                 .order_by(t_item.c.position)).mappings().all()
        return [(p["text"], [i["text"] for i in item_rows if i["paragraph_id"] == p["id"]])
                for p in para_rows]

    @staticmethod
    def _select_text(law: Law, number: int, paras: list[tuple[str, list[str]]],
                     paragraph: int | None, item: int | None,
                     brackets: str) -> tuple[str, int | None]:
        def with_items(text: str, its: list[str]) -> str:
            lines = [text] if text else []
            lines += [item_label(i, brackets) + t for i, t in enumerate(its, start=1)]
            return "\n".join(lines)

        art_label = f"{law.name}第{int_to_cn(number)}条"
        if paragraph is not None:
            if not 1 <= paragraph <= len(paras):
                raise UnknownArticle(f"{art_label}只有{int_to_cn(len(paras))}款")
            candidates = [paragraph]
        elif item is not None:
            candidates = [i for i, (_, its) in enumerate(paras, start=1) if its]
            if not candidates:
                raise UnknownArticle(f"{art_label}没有分项")
        else:
            return "\n".join(with_items(t, its) for t, its in paras), None
        if item is None:
            text, its = paras[candidates[0] - 1]
            return with_items(text, its), candidates[0]
        for p_no in candidates:
            its = paras[p_no - 1][1]
            if 1 <= item <= len(its):
                return item_label(item, brackets) + its[item - 1], p_no
        where = f"第{int_to_cn(paragraph)}款" if paragraph else ""
        raise UnknownArticle(f"{art_label}{where}没有第{int_to_cn(item)}项")

    def find_citations(self, text: str, default_law: str | None = None) -> list[Citation]:
        """Citations written in free text (第三十一条、31条、条例31(四)…)."""
        return self.citations.find(text, default_law=default_law)

    def search_articles(self, words: str | list[str], law: str | None = None,
                        limit: int = 10) -> list[Quote]:
        """Articles of the quoted versions containing the words; best matches first.

        Articles with every word come first, then those with most of them; among equals the
        default law (信访工作条例) comes first, then the most occurrences.
        """
        if isinstance(words, str):
            words = words.split()
        terms = [normalise_space(w) for w in words if normalise_space(w)]
        if not terms:
            return []
        law_ids = [self.resolve_law(law).id] if law else list(self._laws)
        labels = {lid: self._version_to_quote(self._laws[lid], None)[0].label for lid in law_ids}
        t_ver, t_art = store.law_versions, store.articles
        version_filter = or_(*[and_(t_ver.c.law_id == lid, t_ver.c.label == lab)
                               for lid, lab in labels.items()])
        word_filter = or_(*[t_art.c.plain.contains(term, autoescape=True) for term in terms])
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t_ver.c.law_id, t_art.c.number, t_art.c.plain)
                .join(t_ver, t_art.c.version_id == t_ver.c.id)
                .where(and_(version_filter, word_filter))).all()
        primary = self.citations.default_law

        def rank(row: Any) -> tuple:
            hits = sum(1 for t in terms if t in row.plain)
            count = sum(row.plain.count(t) for t in terms)
            return (-hits, row.law_id != primary, -count, row.law_id, row.number)

        best = sorted(rows, key=rank)[:limit]
        return [self._get_article(r.law_id, r.number, None, None, None) for r in best]

    # ---- channels, hotlines, calendar -------------------------------------------------
    @lru_cache(maxsize=64)  # noqa: B019
    def get_channel(self, code: str) -> Channel:
        """A channel of the catalogue by its code (from legal-routes.md)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(store.channels).where(store.channels.c.code == code)
                               ).mappings().first()
        if row is None:
            raise UnknownChannel(f"没有渠道代码 {code}")
        return Channel(row["code"], row["name"], row["family"], row["data"])

    def channels(self) -> list[Channel]:
        """All channels, in catalogue order."""
        with self.engine.connect() as conn:
            codes = conn.execute(select(store.channels.c.code)
                                 .order_by(store.channels.c.position)).scalars().all()
        return [self.get_channel(code) for code in codes]

    def hotlines(self) -> dict[str, dict[str, str]]:
        """The national hotlines the bot may name: number → {name, use}."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(store.hotlines)).mappings().all()
        return {r["number"]: {"name": r["name"], "use": r["use"]} for r in rows}

    @lru_cache(maxsize=1)  # noqa: B019
    def calendar(self) -> Calendar:
        """Public holidays and 调休 workdays, for bot.deadlines."""
        with self.engine.connect() as conn:
            days = conn.execute(select(store.calendar_days)).mappings().all()
            years = conn.execute(select(store.calendar_years)).mappings().all()
        return Calendar(
            holidays=frozenset(d["day"] for d in days if d["kind"] == "holiday"),
            workdays=frozenset(d["day"] for d in days if d["kind"] == "workday"),
            years=frozenset(y["year"] for y in years),
            sources={y["year"]: y["source"] for y in years},
        )


_default: dict[str, KnowledgeBase] = {}
_default_lock = threading.Lock()


def build_knowledge(url: str | None = None, root: Path | None = None) -> dict[str, int]:
    """Validate knowledge/ and (re)build the database at ``url``; return row counts.

    Raises KnowledgeDataError (naming file and entry) on bad data; the database is untouched.
    """
    data = load_knowledge(root or config.knowledge_dir())
    counts = store.build(data, get_engine(url))
    with _default_lock:
        _default.pop(url or config.db_url(), None)
    return counts


def open_knowledge(url: str | None = None, root: Path | None = None,
                   auto_build: bool = True) -> KnowledgeBase:
    """The knowledge base at ``url`` (default: config), built or rebuilt first when the YAML
    in knowledge/ changed since the last build (unless ``auto_build`` is False)."""
    url = url or config.db_url()
    with _default_lock:
        kb = _default.get(url)
    if kb is not None:
        return kb
    engine = get_engine(url)
    root = root or config.knowledge_dir()
    current = store.stored_hash(engine)
    if current is None or (auto_build and current != content_hash(root)):
        if current is None and not auto_build:
            raise KnowledgeError("知识库尚未构建：请运行 python -m bot knowledge build")
        log.info("building the knowledge database at %s", engine.url.render_as_string())
        store.build(load_knowledge(root), engine)
    kb = KnowledgeBase(engine)
    with _default_lock:
        _default[url] = kb
    return kb
