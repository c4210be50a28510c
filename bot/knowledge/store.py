"""The knowledge tables (SQLAlchemy Core) and the build that fills them from the YAML."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    delete,
    insert,
    inspect,
    select,
)
from sqlalchemy.engine import Engine

from bot.knowledge.lawtext import Paragraph, article_plain_text
from bot.knowledge.loader import KnowledgeData

log = logging.getLogger(__name__)

metadata = MetaData()

laws = Table(
    "kb_laws", metadata,
    Column("id", String(80), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("aliases", JSON, nullable=False),
    Column("position", Integer, nullable=False),
)
law_versions = Table(
    "kb_law_versions", metadata,
    Column("id", Integer, primary_key=True),
    Column("law_id", String(80), ForeignKey("kb_laws.id", ondelete="CASCADE"), nullable=False),
    Column("label", String(80), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("version_date", Date, nullable=False),
    Column("effective", Date),
    Column("in_force", Boolean, nullable=False),
    Column("has_text", Boolean, nullable=False),
    Column("item_brackets", String(4), nullable=False),
    Column("source", String(200)),
    Column("note", Text),
    UniqueConstraint("law_id", "label"),
)
articles = Table(
    "kb_articles", metadata,
    Column("id", Integer, primary_key=True),
    Column("version_id", Integer, ForeignKey("kb_law_versions.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("number", Integer, nullable=False),
    Column("part", String(200)),
    Column("subpart", String(200)),
    Column("chapter", String(200)),
    Column("section", String(200)),
    Column("plain", Text, nullable=False),  # whole text, whitespace removed: for search
    UniqueConstraint("version_id", "number"),
)
paragraphs = Table(
    "kb_paragraphs", metadata,
    Column("id", Integer, primary_key=True),
    Column("article_id", Integer, ForeignKey("kb_articles.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("text", Text, nullable=False),
)
items = Table(
    "kb_items", metadata,
    Column("id", Integer, primary_key=True),
    Column("paragraph_id", Integer, ForeignKey("kb_paragraphs.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("text", Text, nullable=False),
)
channels = Table(
    "kb_channels", metadata,
    Column("code", String(60), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("family", String(20), nullable=False),
    Column("position", Integer, nullable=False),
    Column("data", JSON, nullable=False),
)
hotlines = Table(
    "kb_hotlines", metadata,
    Column("number", String(20), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("use", Text, nullable=False),
)
calendar_days = Table(
    "kb_calendar_days", metadata,
    Column("day", Date, primary_key=True),
    Column("kind", String(10), nullable=False),  # holiday / workday
)
calendar_years = Table(
    "kb_calendar_years", metadata,
    Column("year", Integer, primary_key=True),
    Column("source", Text, nullable=False),
)
meta = Table(
    "kb_meta", metadata,
    Column("key", String(60), primary_key=True),
    Column("value", Text, nullable=False),
)

_ORDERED = [items, paragraphs, articles, law_versions, laws, channels, hotlines, calendar_days,
            calendar_years, meta]


def stored_hash(engine: Engine) -> str | None:
    """The content hash of the YAML the database was built from, or None if not built."""
    if not inspect(engine).has_table(meta.name):
        return None
    with engine.connect() as conn:
        return conn.execute(select(meta.c.value).where(meta.c.key == "content_hash")).scalar()


def build(data: KnowledgeData, engine: Engine) -> dict[str, int]:
    """Replace the knowledge tables with ``data`` in one transaction; return row counts."""
    _drop_outdated_tables(engine)
    metadata.create_all(engine)
    counts = {"laws": 0, "versions": 0, "articles": 0, "channels": 0}
    with engine.begin() as conn:
        for table in _ORDERED:
            conn.execute(delete(table))
        for position, law in enumerate(data.laws):
            conn.execute(insert(laws).values(id=law.id, name=law.name, aliases=law.aliases,
                                             position=position))
            counts["laws"] += 1
            for version in law.versions:
                version_id = conn.execute(insert(law_versions).values(
                    law_id=law.id, label=version.label, kind=version.kind,
                    version_date=version.version_date, effective=version.effective,
                    in_force=version.in_force, has_text=version.articles is not None,
                    item_brackets=version.item_brackets,
                    source=version.source, note=version.note,
                )).inserted_primary_key[0]
                counts["versions"] += 1
                for article in version.articles or []:
                    plain = article_plain_text(
                        [Paragraph(p["text"], p["items"]) for p in article.paragraphs],
                        version.item_brackets)
                    article_id = conn.execute(insert(articles).values(
                        version_id=version_id, number=article.number, part=article.part,
                        subpart=article.subpart, chapter=article.chapter,
                        section=article.section, plain=plain,
                    )).inserted_primary_key[0]
                    counts["articles"] += 1
                    for p_pos, para in enumerate(article.paragraphs, start=1):
                        para_id = conn.execute(insert(paragraphs).values(
                            article_id=article_id, position=p_pos, text=para["text"],
                        )).inserted_primary_key[0]
                        if para["items"]:
                            conn.execute(insert(items), [
                                {"paragraph_id": para_id, "position": i, "text": text}
                                for i, text in enumerate(para["items"], start=1)
                            ])
        for position, channel in enumerate(data.channels):
            conn.execute(insert(channels).values(code=channel["code"], name=channel["name"],
                                                 family=channel["family"], position=position,
                                                 data=_jsonable(channel)))
            counts["channels"] += 1
        if data.hotlines:
            conn.execute(insert(hotlines), data.hotlines)
        for year, info in data.calendar.items():
            conn.execute(insert(calendar_years).values(year=year, source=info["source"]))
            rows = [{"day": d, "kind": "holiday"} for d in info["holidays"]]
            rows += [{"day": d, "kind": "workday"} for d in info["workdays"]]
            if rows:
                conn.execute(insert(calendar_days), rows)
        conn.execute(insert(meta), [
            {"key": "content_hash", "value": data.content_hash},
            {"key": "built_at", "value": dt.datetime.now(dt.timezone.utc).isoformat()},
        ])
    log.info("knowledge database built: %s", counts)
    return counts


def _drop_outdated_tables(engine: Engine) -> None:
    """Drop the knowledge tables when one of them lacks a column or has a stale one.

    They hold nothing but what ``build`` loads from the YAML, so a database built by an older
    version of this module is simply rebuilt (``create_all`` never alters an existing table).
    """
    found = inspect(engine)
    for table in metadata.sorted_tables:
        if not found.has_table(table.name):
            continue
        if {c["name"] for c in found.get_columns(table.name)} != set(table.columns.keys()):
            log.info("knowledge table %s has an old layout: recreating the tables", table.name)
            metadata.drop_all(engine)
            return


def _jsonable(value: object) -> object:
    """Dates in the channel data become ISO strings so the JSON column can hold them."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
