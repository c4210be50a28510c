"""Practice attempts: who answered which case, the score and the items missed.

Stored through SQLAlchemy Core in the project database (``config.db_url()``: SQLite by default,
PostgreSQL in production), in the table ``practice_attempts``, created on first use.

The staff id is a staff member's own identifier (employee number or login), kept as given
(stripped, control characters removed, at most 64 characters). The answer is kept for review,
with ID-card, phone and bank-card numbers masked and capped to ``MAX_ANSWER`` characters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
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
    insert,
    select,
)
from sqlalchemy.engine import Engine

from bot.consultations import safe_text
from bot.practice.cases import Case, PracticeError
from bot.practice.grader import Grade
from bot.storage import engine_with_tables, utc_naive

MAX_ANSWER = 2000  # characters of an answer kept
MAX_STAFF_ID = 64

metadata = MetaData()

attempts_table = Table(
    "practice_attempts", metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", DateTime, nullable=False, index=True),  # naive UTC
    Column("staff_id", String(MAX_STAFF_ID), nullable=False, index=True),
    Column("case_id", String(80), nullable=False),
    Column("channel", String(60), nullable=False),
    Column("score", Integer, nullable=False),
    Column("missed", JSON, nullable=False),  # item keys below full marks
    Column("lost", JSON, nullable=False),  # item key → points lost
    Column("answer", Text, nullable=False),  # masked, capped
)



@dataclass(frozen=True)
class Attempt:
    """One stored attempt."""

    id: int
    created_at: dt.datetime  # aware, UTC
    staff_id: str
    case_id: str
    channel: str
    score: int
    missed: tuple[str, ...]
    lost: dict[str, int]
    answer: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return {"id": self.id, "created_at": self.created_at.isoformat(),
                "staff_id": self.staff_id, "case_id": self.case_id, "channel": self.channel,
                "score": self.score, "missed": list(self.missed), "lost": dict(self.lost),
                "answer": self.answer}


def clean_staff_id(staff_id: object) -> str:
    """A staff id fit for storage; :class:`PracticeError` when empty or not text."""
    if not isinstance(staff_id, str):
        raise PracticeError("工作人员编号应为文字")
    text = "".join(ch for ch in staff_id if ch.isprintable()).strip()
    if not text:
        raise PracticeError("工作人员编号不能为空")
    return text[:MAX_STAFF_ID]


def _engine(url: str | None) -> Engine:
    return engine_with_tables(metadata, url)


def _start_of(since: dt.date | dt.datetime | None) -> dt.datetime | None:
    if since is None:
        return None
    if isinstance(since, dt.datetime):
        return utc_naive(since)
    if isinstance(since, dt.date):
        return dt.datetime.combine(since, dt.time())
    raise TypeError("since must be a date")


def record_attempt(staff_id: str, case: Case, grade: Grade, answer: str,
                   url: str | None = None, *, at: dt.datetime | None = None) -> int:
    """Store one graded attempt and return its id (``at`` overrides the time, UTC)."""
    if grade.case_id != case.id:
        raise ValueError(f"grade is for case {grade.case_id!r}, not {case.id!r}")
    row = {
        "created_at": utc_naive(at), "staff_id": clean_staff_id(staff_id),
        "case_id": case.id, "channel": case.channel, "score": int(grade.score),
        "missed": list(grade.missed), "lost": dict(grade.lost),
        "answer": safe_text(answer, MAX_ANSWER),
    }
    with _engine(url).begin() as conn:
        return int(conn.execute(insert(attempts_table).values(**row)).inserted_primary_key[0])


def list_attempts(staff_id: str | None = None, since: dt.date | dt.datetime | None = None,
                  url: str | None = None, channels: Sequence[str] | None = None
                  ) -> list[Attempt]:
    """Attempts, oldest first; only one staff member's, since a date, of some channels."""
    query = select(attempts_table).order_by(attempts_table.c.created_at, attempts_table.c.id)
    if staff_id is not None:
        query = query.where(attempts_table.c.staff_id == clean_staff_id(staff_id))
    start = _start_of(since)
    if start is not None:
        query = query.where(attempts_table.c.created_at >= start)
    if channels:
        query = query.where(attempts_table.c.channel.in_(list(channels)))
    with _engine(url).connect() as conn:
        rows = conn.execute(query).all()
    return [Attempt(id=r.id, created_at=r.created_at.replace(tzinfo=dt.timezone.utc),
                    staff_id=r.staff_id, case_id=r.case_id, channel=r.channel, score=r.score,
                    missed=tuple(r.missed or ()), lost={str(k): int(v) for k, v in
                                                        (r.lost or {}).items()},
                    answer=r.answer) for r in rows]
