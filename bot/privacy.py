"""Retention: delete what the bot stores about citizens once it is older than the retention time.

Two stores hold citizens' words: Rasa's tracker store (the conversations, as typed, so a page
reload can restore them) and the consultation records (masked text, hashed sender). Both are
kept ``BOT_RETENTION_DAYS`` days (180 by default) after the conversation's last message, then
``python -m bot purge`` removes them; operators run it daily (cron or a systemd timer).
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url

from bot import consultations, storage

log = logging.getLogger(__name__)


def tracker_store_url(endpoints: Path | str = "endpoints.yml") -> str | None:
    """The SQLAlchemy URL of the SQL tracker store named in ``endpoints``, or None.

    Only ``type: SQL`` stores are understood (SQLite and PostgreSQL); ``${VAR}`` values are
    not expanded, so a production store is given with ``--tracker-url`` instead.
    """
    try:
        data = yaml.safe_load(Path(endpoints).read_text("utf-8")) or {}
    except OSError:
        return None
    store: Any = data.get("tracker_store") if isinstance(data, dict) else None
    if not isinstance(store, dict) or str(store.get("type", "")).upper() != "SQL":
        return None
    dialect = str(store.get("dialect") or "sqlite")
    if dialect == "sqlite":
        url = URL.create("sqlite", database=str(store.get("db") or "rasa.db"))
    else:
        url = URL.create("postgresql" if dialect.startswith("postgres") else dialect,
                         username=store.get("username"), password=store.get("password"),
                         host=store.get("url"), port=store.get("port"), database=store.get("db"))
    return url.render_as_string(hide_password=False)  # str(url) would hide it as ***


def purge_conversations(tracker_url: str, days: int, *, now: dt.datetime | None = None) -> int:
    """Delete whole conversations whose last event is older than ``days``; return how many.

    A conversation is removed as a whole (never a hole in the middle of one).
    """
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise ValueError(f"days must be a non-negative int, got {days!r}")
    moment = now or dt.datetime.now(dt.timezone.utc)
    cutoff = moment.timestamp() - days * 86400
    url = make_url(tracker_url)
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").exists():
        return 0
    engine = storage.get_engine(tracker_url)
    with engine.begin() as conn:
        if not engine.dialect.has_table(conn, "events"):
            return 0
        old = [row[0] for row in conn.execute(text(
            "SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < :cutoff"),
            {"cutoff": cutoff})]
        for sender in old:
            conn.execute(text("DELETE FROM events WHERE sender_id = :sender"), {"sender": sender})
    log.info("conversations purged: %d older than %d days", len(old), days)
    return len(old)


def purge(days: int | None = None, *, tracker_url: str | None = None,
          db_url: str | None = None, now: dt.datetime | None = None) -> dict[str, int]:
    """Purge consultation records and (when a tracker store is given) conversations."""
    days = consultations.retention_days() if days is None else days
    removed = {"consultations": consultations.purge_older_than(days, db_url, now=now)}
    if tracker_url:
        removed["conversations"] = purge_conversations(tracker_url, days, now=now)
    return removed
