"""Database state shared by every worker of the WeChat / WeCom channels.

Three small tables in the project database (``config.db_url()``: SQLite by default, PostgreSQL
in production), created on first use:

- ``wechat_messages``: one row per incoming message (WeChat retries the same MsgId up to three
  times), so that a retry never starts a second Rasa turn nor gets a second answer. The row
  holds the passive reply, if the first answer was passive. Rows are purged after an hour.
- ``wechat_choices``: the numbered choices (button payloads) last shown to a user.
- ``wechat_tokens``: the access_token of the customer-service API with its expiry, read by
  every worker through :class:`DatabaseSessionStorage` (a wechatpy ``SessionStorage``).

No openid is stored: message and user keys are SHA-256 digests of the channel name and the
natural key. Every function here blocks: call them from an executor in async code.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass

from sqlalchemy import (
    Column,
    Float,
    MetaData,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from wechatpy.session import SessionStorage

from bot import config
from bot.storage import engine_with_tables

log = logging.getLogger(__name__)

PENDING = "pending"  # the Rasa turn is running, or its answer is being sent through the API
PASSIVE = "passive"  # answered in the HTTP response: a retry gets the same reply
SENT = "sent"  # answered through the customer-service API (or nothing to say): retry → success

MESSAGE_TTL = 3600.0  # seconds a message row is kept (WeChat retries within about 15 s)
CHOICES_TTL = 24 * 3600.0  # numbered choices older than this are ignored
PURGE_EVERY = 600.0  # seconds between two purges in one process

metadata = MetaData()

messages = Table(
    "wechat_messages", metadata,
    Column("key", String(64), primary_key=True),  # sha256(channel, MsgId or openid+CreateTime)
    Column("created_at", Float, nullable=False, index=True),  # unix time
    Column("status", String(10), nullable=False),
    Column("reply", Text),  # the passive reply's text (PASSIVE only)
)

choices = Table(
    "wechat_choices", metadata,
    Column("user_key", String(64), primary_key=True),  # sha256(channel, openid)
    Column("updated_at", Float, nullable=False, index=True),
    Column("payloads", Text, nullable=False),  # JSON: {"1": payload, ...}
)

tokens = Table(
    "wechat_tokens", metadata,
    Column("key", String(200), primary_key=True),
    Column("value", Text, nullable=False),
    Column("expires_at", Float),  # unix time to stop using it (before it expires); None: never
)



def digest(*parts: str) -> str:
    """A SHA-256 hex digest of the parts (used instead of openids in the database)."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Claim:
    """The outcome of :meth:`ChannelStore.claim_message`."""

    new: bool  # True: first delivery, the caller answers it
    status: str = PENDING
    reply: str | None = None


class ChannelStore:
    """Dedupe rows, numbered choices and tokens of one channel (``wechat`` / ``wecom``)."""

    def __init__(self, channel: str, db_url: str | None = None) -> None:
        self.channel = channel
        self.db_url = db_url or config.db_url()
        self._last_purge = 0.0

    @property
    def engine(self) -> Engine:
        """The (shared) engine, with the tables created."""
        return engine_with_tables(metadata, self.db_url)

    # ---- dedupe ------------------------------------------------------------------------
    def claim_message(self, natural_key: str, now: float | None = None) -> Claim:
        """Record a message as being answered; tell whether it had been seen before."""
        now = time.time() if now is None else now
        self._maybe_purge(now)
        key = digest(self.channel, natural_key)
        engine = self.engine
        try:
            with engine.begin() as conn:
                conn.execute(insert(messages).values(key=key, created_at=now, status=PENDING))
            return Claim(new=True)
        except IntegrityError:
            pass
        with engine.connect() as conn:
            row = conn.execute(select(messages.c.status, messages.c.reply)
                               .where(messages.c.key == key)).first()
        if row is None:  # purged between the two statements: treat as answered
            return Claim(new=False, status=SENT)
        return Claim(new=False, status=row.status, reply=row.reply)

    def finish_message(self, natural_key: str, status: str, reply: str | None = None) -> None:
        """Mark a claimed message as answered passively (with its reply) or sent."""
        key = digest(self.channel, natural_key)
        with self.engine.begin() as conn:
            conn.execute(update(messages).where(messages.c.key == key)
                         .values(status=status, reply=reply))

    def release_message(self, natural_key: str) -> None:
        """Forget a claimed message that is still pending (answering it failed): WeChat's
        retry of it then runs again instead of getting ``success`` and no answer."""
        key = digest(self.channel, natural_key)
        with self.engine.begin() as conn:
            conn.execute(delete(messages).where(messages.c.key == key,
                                                messages.c.status == PENDING))

    def _maybe_purge(self, now: float) -> None:
        if now - self._last_purge < PURGE_EVERY:
            return
        self._last_purge = now
        self.purge(now)

    def purge(self, now: float | None = None) -> int:
        """Delete message rows older than MESSAGE_TTL and stale choices; return rows deleted."""
        now = time.time() if now is None else now
        with self.engine.begin() as conn:
            gone = conn.execute(delete(messages).where(
                messages.c.created_at < now - MESSAGE_TTL)).rowcount or 0
            gone += conn.execute(delete(choices).where(
                choices.c.updated_at < now - CHOICES_TTL)).rowcount or 0
        if gone:
            log.debug("purged %d old wechat rows", gone)
        return gone

    # ---- numbered choices --------------------------------------------------------------
    def save_choices(self, user: str, payloads: dict[int, str], now: float | None = None
                     ) -> None:
        """Remember the payloads of the numbered choices just shown (none: forget them)."""
        now = time.time() if now is None else now
        key = digest(self.channel, user)
        if not payloads:
            with self.engine.begin() as conn:
                conn.execute(delete(choices).where(choices.c.user_key == key))
            return
        data = json.dumps({str(n): p for n, p in payloads.items()}, ensure_ascii=False)
        _upsert(self.engine, choices, choices.c.user_key, key,
                {"updated_at": now, "payloads": data})

    def choice_payload(self, user: str, number: int, now: float | None = None) -> str | None:
        """The payload of choice ``number`` last shown to ``user`` (None: no such choice)."""
        now = time.time() if now is None else now
        key = digest(self.channel, user)
        with self.engine.connect() as conn:
            row = conn.execute(select(choices.c.payloads, choices.c.updated_at)
                               .where(choices.c.user_key == key)).first()
        if row is None or row.updated_at < now - CHOICES_TTL:
            return None
        try:
            payload = json.loads(row.payloads).get(str(number))
        except (ValueError, AttributeError):
            return None
        return payload if isinstance(payload, str) else None


def _upsert(engine: Engine, table: Table, key_column: Column, key: str, values: dict) -> None:
    """UPDATE, else INSERT (portable: SQLite and PostgreSQL); a racing INSERT → UPDATE."""
    for _attempt in range(3):
        try:
            with engine.begin() as conn:
                done = conn.execute(update(table).where(key_column == key).values(**values))
                if done.rowcount:
                    return
                conn.execute(insert(table).values({key_column.name: key, **values}))
            return
        except IntegrityError:
            continue
    raise RuntimeError(f"could not write {table.name}")


class DatabaseSessionStorage(SessionStorage):
    """wechatpy session storage on the project database, shared by all workers.

    ``get`` returns nothing once a value is within ``refresh_margin`` seconds of its expiry, so
    wechatpy fetches a new access_token *before* the old one expires.
    """

    def __init__(self, db_url: str | None = None, refresh_margin: float = 300.0) -> None:
        self.db_url = db_url or config.db_url()
        self.refresh_margin = refresh_margin

    @property
    def engine(self) -> Engine:
        return engine_with_tables(metadata, self.db_url)

    def get(self, key, default=None):
        with self.engine.connect() as conn:
            row = conn.execute(select(tokens.c.value, tokens.c.expires_at)
                               .where(tokens.c.key == key)).first()
        if row is None:
            return default
        if row.expires_at is not None and row.expires_at <= time.time():
            return default
        return json.loads(row.value)

    def set(self, key, value, ttl=None) -> None:
        if value is None:
            return
        # Stored as "use until": the margin before the real expiry (at most half the lifetime).
        expires_at = None
        if ttl:
            ttl = float(ttl)
            expires_at = time.time() + ttl - min(self.refresh_margin, ttl / 2)
        _upsert(self.engine, tokens, tokens.c.key, key,
                {"value": json.dumps(value, ensure_ascii=False), "expires_at": expires_at})

    def delete(self, key) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(tokens).where(tokens.c.key == key))

    def __getitem__(self, key):  # wechatpy's base class forgets to return
        return self.get(key)
