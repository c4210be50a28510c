"""Paths and settings. Everything can be overridden by environment variables."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def knowledge_dir() -> Path:
    """The knowledge/ folder (``BOT_KNOWLEDGE_DIR``)."""
    return Path(os.environ.get("BOT_KNOWLEDGE_DIR", ROOT / "knowledge"))


def db_url() -> str:
    """Database URL for the project's own data (``BOT_DB_URL``); SQLite in var/ by default.

    A PostgreSQL URL (``postgresql://user:pass@host/db``) works as well.
    """
    url = os.environ.get("BOT_DB_URL")
    if url:
        return url
    return f"sqlite:///{ROOT / 'var' / 'bot.db'}"


def shared_laws_dir() -> Path:
    """The official texts to check against (``BOT_SHARED_LAWS``, default ../shared/laws)."""
    return Path(os.environ.get("BOT_SHARED_LAWS", ROOT.parent / "shared" / "laws"))
