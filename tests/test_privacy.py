"""Retention: `python -m bot purge` removes old conversations (whole) and consultation records."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy.engine import URL, make_url

from bot import consultations, privacy
from bot.cli import main
from bot.triage import TriageResult

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.timezone.utc)


def _store(path: Path):
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain

    return SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(path))


def _save(store, sender: str, days_ago: list[float]) -> None:
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    events = [UserUttered(f"消息{i}", timestamp=(NOW - dt.timedelta(days=d)).timestamp())
              for i, d in enumerate(days_ago)]
    asyncio.run(store.save(DialogueStateTracker.from_events(sender, events)))


def _senders(store) -> set[str]:
    async def keys() -> set[str]:
        return set(await store.keys())
    return asyncio.run(keys())


def test_old_conversations_go_whole_recent_ones_stay(tmp_path: Path) -> None:
    db = tmp_path / "tracker.db"
    store = _store(db)
    _save(store, "old", [200, 190])
    _save(store, "ongoing", [200, 3])  # began long ago, still going: kept entire
    _save(store, "new", [1])
    url = f"sqlite:///{db}"
    assert privacy.purge_conversations(url, 180, now=NOW) == 1
    assert _senders(store) == {"ongoing", "new"}
    tracker = asyncio.run(store.retrieve("ongoing"))
    assert [e.text for e in tracker.events if hasattr(e, "text")] == ["消息0", "消息1"]
    assert privacy.purge_conversations(url, 2, now=NOW) == 1
    assert _senders(store) == {"new"}


def test_missing_store_and_bad_days(tmp_path: Path) -> None:
    assert privacy.purge_conversations(f"sqlite:///{tmp_path / 'none.db'}", 30, now=NOW) == 0
    assert not (tmp_path / "none.db").exists()
    with pytest.raises(ValueError):
        privacy.purge_conversations(f"sqlite:///{tmp_path / 'none.db'}", -1)


def test_tracker_url_from_endpoints(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text('tracker_store:\n  type: SQL\n  dialect: "sqlite"\n  db: "var/t.db"\n',
                         "utf-8")
    assert privacy.tracker_store_url(endpoints) == "sqlite:///var/t.db"
    endpoints.write_text("tracker_store:\n  type: SQL\n  dialect: postgresql\n  url: db.local\n"
                         "  port: 5432\n  db: rasa\n  username: bot\n", "utf-8")
    assert privacy.tracker_store_url(endpoints) == "postgresql://bot@db.local:5432/rasa"
    endpoints.write_text("tracker_store:\n  type: SQL\n  dialect: postgresql\n  url: db.local\n"
                         "  db: rasa\n  username: bot\n  password: \"p@ss:w/rd\"\n", "utf-8")
    # SQLAlchemy 2.0's str(URL) hides the password as ***: act like it whatever is installed
    monkeypatch.setattr(URL, "__str__", lambda self: self.render_as_string(hide_password=True))
    url = privacy.tracker_store_url(endpoints)
    assert url == "postgresql://bot:p%40ss%3Aw%2Frd@db.local/rasa"
    assert make_url(url).password == "p@ss:w/rd"  # kept, not *** (the purge must log in)
    endpoints.write_text("tracker_store:\n  type: redis\n", "utf-8")
    assert privacy.tracker_store_url(endpoints) is None
    assert privacy.tracker_store_url(tmp_path / "missing.yml") is None


def test_purge_command_covers_both_stores(tmp_path: Path, monkeypatch, capsys) -> None:
    kb = f"sqlite:///{tmp_path / 'bot.db'}"
    monkeypatch.setenv("BOT_DB_URL", kb)
    monkeypatch.setenv("BOT_RETENTION_DAYS", "30")
    result = TriageResult(channel="labour_arbitration", confidence=0.9)
    consultations.record_consultation("someone", "公司拖欠工资", result, url=kb,
                                      at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=40))
    consultations.record_consultation("someone", "公司拖欠工资", result, url=kb)
    tracker_db = tmp_path / "tracker.db"
    store = _store(tracker_db)
    _save(store, "stale", [45])
    _save(store, "fresh", [0])
    assert main(["purge", "--tracker-url", f"sqlite:///{tracker_db}"]) == 0
    assert capsys.readouterr().out.strip() == "已删除：咨询记录 1 条，对话 1 个"
    assert _senders(store) == {"fresh"}
