"""Consultation records: what was asked, which channel the bot gave, and the citizen's feedback.

Stored through SQLAlchemy Core in the project database (``config.db_url()``: SQLite by default,
PostgreSQL in production), in tables prefixed ``consult_`` that are created on first use.

Privacy: the sender id is never stored, only a keyed SHA-256 (HMAC) of it with the salt
``BOT_SENDER_SALT``; ID-card, phone and bank-card numbers in the text, in free-text facts and in
feedback comments are masked with :func:`bot.triage.normalize.mask_personal` before anything is
written; texts are capped. Records older than ``BOT_RETENTION_DAYS`` (default 180) are removed
by :func:`purge_older_than`. Logs carry record ids, channel codes and counts only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import os
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine

from bot.storage import engine_with_tables, utc_naive
from bot.triage.normalize import mask_personal
from bot.triage.result import TriageResult

log = logging.getLogger(__name__)

MAX_TEXT = 5000  # characters of the citizen's text kept
MAX_COMMENT = 1000  # characters of a feedback comment kept
MAX_FACT_TEXT = 500  # characters of any string inside the facts
DEFAULT_RETENTION_DAYS = 180
DEFAULT_SALT = "xinfang-bot:sender-salt:change-me"  # set BOT_SENDER_SALT in production
HELPFUL = "helpful"
NOT_HELPFUL = "not_helpful"
UNDECIDED = "undecided"  # stats key for records where the bot asked instead of deciding

_CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
_SOURCE_RE = re.compile(r"^[a-z][a-z0-9_-]{0,19}$")
# Control characters PostgreSQL or a log viewer would choke on (tab, LF, CR are kept), and
# lone surrogates, which cannot be encoded as UTF-8 at all.
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
# Characters a personal number can be written with: a cut is never made inside such a run.
_NUMBERISH = set("0123456789０１２３４５６７８９XxＸｘ -－+＋()（）\u3000")

metadata = MetaData()

records = Table(
    "consult_records", metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", DateTime, nullable=False, index=True),  # naive UTC
    Column("updated_at", DateTime, nullable=False),  # naive UTC
    Column("sender_key", String(64), nullable=False, index=True),  # HMAC-SHA256 hex
    Column("channel", String(60)),  # None: the bot asked for a fact first
    Column("alternatives", JSON, nullable=False),
    Column("facts", JSON, nullable=False),
    Column("text", Text, nullable=False),  # masked, capped
    Column("source", String(20), nullable=False),  # rest / web / wechat ...
    Column("feedback", String(20)),  # None / helpful / not_helpful
    Column("feedback_comment", Text),  # masked, capped
)

_salt_warned = False


class ConsultationNotFound(LookupError):
    """No consultation record with that id (never recorded, or already purged)."""


@dataclass(frozen=True)
class Consultation:
    """One stored consultation (texts already masked)."""

    id: int
    created_at: dt.datetime  # aware, UTC
    updated_at: dt.datetime  # aware, UTC
    channel: str | None
    alternatives: list[str]
    facts: dict[str, Any]
    text: str
    source: str
    feedback: str | None
    feedback_comment: str | None


# --- settings ------------------------------------------------------------------------------


def retention_days() -> int:
    """How many days records are kept (``BOT_RETENTION_DAYS``, default 180)."""
    raw = os.environ.get("BOT_RETENTION_DAYS", "").strip()
    if not raw:
        return DEFAULT_RETENTION_DAYS
    try:
        days = int(raw)
    except ValueError:
        raise ValueError(f"BOT_RETENTION_DAYS must be a whole number of days, got {raw!r}") \
            from None
    if days < 1:
        raise ValueError(f"BOT_RETENTION_DAYS must be at least 1, got {days}")
    return days


def sender_key(sender_id: str) -> str:
    """The stored form of a sender id: HMAC-SHA256 keyed with ``BOT_SENDER_SALT`` (hex)."""
    global _salt_warned
    if not isinstance(sender_id, str):
        raise TypeError(f"sender_id must be str, got {type(sender_id).__name__}")
    if not sender_id:
        raise ValueError("sender_id is empty")
    salt = os.environ.get("BOT_SENDER_SALT") or DEFAULT_SALT
    if salt == DEFAULT_SALT and not _salt_warned:
        _salt_warned = True
        log.warning("BOT_SENDER_SALT is not set: sender ids are hashed with the built-in salt")
    digest = hmac.new(salt.encode("utf-8"), _clean(sender_id).encode("utf-8"), hashlib.sha256)
    return digest.hexdigest()


# --- text hygiene --------------------------------------------------------------------------


def _clean(text: str) -> str:
    """Drop control characters and replace lone surrogates (storable in any database)."""
    return _SURROGATE_RE.sub("\ufffd", _CONTROL_RE.sub("", text))


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="replace")
    if not isinstance(value, str):
        raise TypeError(f"expected str, got {type(value).__name__}")
    return value


def safe_text(value: object, limit: int) -> str:
    """Masked (ID-card, phone, bank-card numbers), cleaned and capped to ``limit`` characters.

    A huge text is first cut well beyond ``limit`` (backing off a number it would cut in half),
    then masked, then capped: a number can never escape the mask by being cut.
    """
    text = _as_text(value)
    precut = limit * 4 + 256  # masking shrinks a text to no less than ~30 % of its length
    if len(text) > precut:
        end = precut
        while end > precut - 64 and text[end - 1] in _NUMBERISH:
            end -= 1
        text = text[:end]
    return mask_personal(_clean(text))[:limit]


def _mask_json(value: Any) -> Any:
    """Facts as JSON with every string masked; dates become ISO strings, odd types strings."""
    if isinstance(value, dict):
        return {safe_text(str(k), 100): _mask_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_mask_json(v) for v in value]
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else None
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return safe_text(value if isinstance(value, str | bytes) else str(value), MAX_FACT_TEXT)


def _check_code(code: object, what: str) -> str:
    if not isinstance(code, str) or not _CODE_RE.match(code):
        raise ValueError(f"{what} is not a channel code: {str(code)[:60]!r}")
    return code


# --- time ----------------------------------------------------------------------------------


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.timezone.utc) if moment.tzinfo is None else moment


# --- database ------------------------------------------------------------------------------


def _engine(url: str | None) -> Engine:
    """The engine for ``url`` with the consult_ tables created (once per engine)."""
    return engine_with_tables(metadata, url)


def record_consultation(sender_id: str, text: str, result: TriageResult, source: str = "rest",
                        url: str | None = None, *, at: dt.datetime | None = None) -> int:
    """Store one consultation and return its id.

    ``text`` is the citizen's message (masked and capped to MAX_TEXT before storage),
    ``result`` the triage decision, ``source`` the front door (rest, web, wechat…).
    ``at`` overrides the creation time (tests, imports); default now, UTC.
    """
    if not isinstance(result, TriageResult):
        raise TypeError(f"result must be a TriageResult, got {type(result).__name__}")
    if not isinstance(source, str) or not _SOURCE_RE.match(source):
        raise ValueError(f"source must be a short lower-case code, got {str(source)[:20]!r}")
    channel = None if result.channel is None else _check_code(result.channel, "channel")
    alternatives = [_check_code(code, "alternative") for code in result.alternatives]
    facts = _mask_json(result.facts)
    if not isinstance(facts, dict):
        raise TypeError("result.facts must be a dict")
    now = utc_naive(at)
    row = {
        "created_at": now, "updated_at": now, "sender_key": sender_key(sender_id),
        "channel": channel, "alternatives": alternatives, "facts": facts,
        "text": safe_text(text, MAX_TEXT), "source": source,
        "feedback": None, "feedback_comment": None,
    }
    with _engine(url).begin() as conn:
        record_id = int(conn.execute(insert(records).values(**row)).inserted_primary_key[0])
    log.info("consultation %d recorded: channel=%s source=%s", record_id, channel or UNDECIDED,
             source)
    return record_id


def set_feedback(consultation_id: int, helpful: bool, comment: str | None = None,
                 url: str | None = None) -> None:
    """Record (or replace) the citizen's feedback on a consultation; the comment is masked.

    Raises :class:`ConsultationNotFound` when there is no such record (e.g. purged).
    """
    if isinstance(consultation_id, bool) or not isinstance(consultation_id, int):
        raise TypeError("consultation_id must be an int")
    if not isinstance(helpful, bool):
        raise TypeError("helpful must be a bool")
    masked = safe_text(comment, MAX_COMMENT).strip() if comment is not None else ""
    feedback = HELPFUL if helpful else NOT_HELPFUL
    with _engine(url).begin() as conn:
        done = conn.execute(
            update(records).where(records.c.id == consultation_id).values(
                feedback=feedback, feedback_comment=masked or None,
                updated_at=utc_naive(None))
        ).rowcount
    if not done:
        raise ConsultationNotFound(f"no consultation {consultation_id}")
    log.info("consultation %d feedback: %s", consultation_id, feedback)


def _to_consultation(row: Any) -> Consultation:
    return Consultation(
        id=row.id, created_at=_aware(row.created_at), updated_at=_aware(row.updated_at),
        channel=row.channel, alternatives=list(row.alternatives or []),
        facts=dict(row.facts or {}), text=row.text, source=row.source, feedback=row.feedback,
        feedback_comment=row.feedback_comment,
    )


def get_consultation(consultation_id: int, url: str | None = None) -> Consultation | None:
    """The record with that id, or None."""
    with _engine(url).connect() as conn:
        row = conn.execute(select(records).where(records.c.id == consultation_id)).first()
    return _to_consultation(row) if row else None


def latest_for_sender(sender_id: str, url: str | None = None) -> Consultation | None:
    """The sender's most recent consultation, or None."""
    query = (select(records).where(records.c.sender_key == sender_key(sender_id))
             .order_by(records.c.created_at.desc(), records.c.id.desc()).limit(1))
    with _engine(url).connect() as conn:
        row = conn.execute(query).first()
    return _to_consultation(row) if row else None


def purge_older_than(days: int | None = None, url: str | None = None, *,
                     now: dt.datetime | None = None) -> int:
    """Delete records created more than ``days`` days before ``now``; return how many.

    ``days`` defaults to :func:`retention_days` (``BOT_RETENTION_DAYS``, 180).
    """
    if days is None:
        days = retention_days()
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise ValueError(f"days must be a non-negative int, got {days!r}")
    cutoff = utc_naive(now) - dt.timedelta(days=days)
    with _engine(url).begin() as conn:
        removed = conn.execute(delete(records).where(records.c.created_at < cutoff)).rowcount
    log.info("consultations purged: %d older than %d days", removed, days)
    return int(removed)


def stats(since: dt.date | None = None, url: str | None = None) -> dict[str, Any]:
    """Counts per channel and source, and feedback rates, for records created since ``since``.

    ``{"since", "total", "channels": {code: {"count", "helpful", "not_helpful",
    "helpful_rate"}}, "sources": {source: count}, "feedback": {"helpful", "not_helpful",
    "none", "helpful_rate", "response_rate"}}``; records where the bot asked instead of
    deciding are counted under ``channels["undecided"]``. Rates are None when undefined.
    """
    start: dt.datetime | None = None
    if isinstance(since, dt.datetime):
        start = utc_naive(since)
    elif isinstance(since, dt.date):
        start = dt.datetime.combine(since, dt.time())
    elif since is not None:
        raise TypeError("since must be a date")
    query = (select(records.c.channel, records.c.source, records.c.feedback,
                    func.count().label("n"))
             .group_by(records.c.channel, records.c.source, records.c.feedback))
    if start is not None:
        query = query.where(records.c.created_at >= start)
    with _engine(url).connect() as conn:
        rows = conn.execute(query).all()
    channels: dict[str, dict[str, Any]] = {}
    sources: dict[str, int] = {}
    feedback = {HELPFUL: 0, NOT_HELPFUL: 0, "none": 0}
    total = 0
    for channel, source, given, n in rows:
        total += n
        entry = channels.setdefault(channel or UNDECIDED,
                                    {"count": 0, HELPFUL: 0, NOT_HELPFUL: 0})
        entry["count"] += n
        sources[source] = sources.get(source, 0) + n
        key = given if given in (HELPFUL, NOT_HELPFUL) else "none"
        feedback[key] += n
        if key != "none":
            entry[key] += n
    for entry in channels.values():
        entry["helpful_rate"] = _rate(entry[HELPFUL], entry[HELPFUL] + entry[NOT_HELPFUL])
    answered = feedback[HELPFUL] + feedback[NOT_HELPFUL]
    return {
        "since": since.isoformat() if since is not None else None,
        "total": total,
        "channels": dict(sorted(channels.items(), key=lambda kv: (-kv[1]["count"], kv[0]))),
        "sources": dict(sorted(sources.items())),
        "feedback": {**feedback, "helpful_rate": _rate(feedback[HELPFUL], answered),
                     "response_rate": _rate(answered, total)},
    }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
