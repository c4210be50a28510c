"""Database engines for the project's own data (SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine, make_url

from bot import config

_engines: dict[str, Engine] = {}
_lock = threading.Lock()
_tables_ready: set[tuple[int, int]] = set()  # (engine, metadata) whose tables exist


def get_engine(url: str | None = None) -> Engine:
    """A shared engine for ``url`` (default: ``config.db_url()``); creates SQLite's folder."""
    url = url or config.db_url()
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            parsed = make_url(url)
            if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "",
                                                                                ":memory:"):
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, future=True)
            if parsed.get_backend_name() == "sqlite":
                event.listen(engine, "connect", _sqlite_pragmas)
            _engines[url] = engine
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def dispose_engines() -> None:
    """Close every pooled connection (tests, and before a fork)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _tables_ready.clear()


def engine_with_tables(metadata: MetaData, url: str | None = None) -> Engine:
    """The shared engine for ``url`` with the tables of ``metadata`` created (once per engine)."""
    engine = get_engine(url)
    key = (id(engine), id(metadata))
    if key not in _tables_ready:
        with _lock:
            if key not in _tables_ready:
                metadata.create_all(engine)
                _tables_ready.add(key)
    return engine


def utc_naive(moment: dt.datetime | None = None) -> dt.datetime:
    """UTC without tzinfo, as stored (now when None; naive input is taken to be UTC already)."""
    if moment is None:
        return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment

