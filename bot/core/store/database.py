"""The store: opening the database (a SQLite file or PostgreSQL), papers, the poll log, settings.

Every method returns frozen dataclasses, never rows, and binds every parameter. The SQL is
written once for both engines (see `driver.py`); the paper SQL is in `papers.py`, and the topic,
outbox, saved-list and search stores sit beside this one on the same driver.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from pathlib import Path
from typing import Any, Self

from bot.core.errors import UserError
from bot.core.models import IngestResult, Paper, PollRecord
from bot.core.store.driver import Database, Dialect, Row, Tx, from_iso, to_iso
from bot.core.store.papers import (
    PAPER_COLUMNS,
    RECENT_PAPERS,
    paper_from_row,
    upsert_papers_in,
)
from bot.core.store.sqlite import SqliteDatabase

log = logging.getLogger(__name__)

WRITE_CHUNK = 20_000  # rows a long write stores per transaction, letting other writes in


class Store:
    """The paperbot database, on either engine: papers, the poll log, settings.

    The topic, outbox, saved-list and search stores share its driver (`db`). Long writes go
    in chunks of `write_chunk` rows so that commands' own writes wait one chunk at most.
    """

    def __init__(self, db: Database, write_chunk: int = WRITE_CHUNK) -> None:
        self.db = db
        self.health = db.health
        self.dialect: Dialect = db.dialect
        self.write_chunk = write_chunk
        self.ranked_papers = RECENT_PAPERS  # the newest papers search ranks by bm25

    @classmethod
    async def open(
        cls,
        target: Path | str,
        *,
        migrate: bool = True,
        separate_reads: bool = True,
        write_chunk: int = WRITE_CHUNK,
    ) -> Self:
        """Open a SQLite file (created with its folder if needed) or a `postgresql://` URL,
        and bring the schema up to date.

        Raises `StoreOpenError` with one line for the user when the database cannot serve.
        """
        if is_database_url(target):
            from bot.core.store.postgres import PostgresDatabase  # asyncpg only when asked for

            db: Database = await PostgresDatabase.open(str(target), migrate=migrate)
        else:
            db = await SqliteDatabase.open(
                Path(target), migrate=migrate, separate_reads=separate_reads
            )
        return cls(db, write_chunk=write_chunk)

    @property
    def name(self) -> str:
        """The file, or the server and database (never a password), for messages."""
        return self.db.name

    async def close(self) -> None:
        await self.db.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- schema and plumbing -------------------------------------------------------------------

    async def schema_version(self) -> int:
        return await self.db.schema_version()

    async def migrate(self) -> int:
        """Apply every migration newer than the database; returns the resulting version."""
        return await self.db.migrate()

    def transaction(self) -> AbstractAsyncContextManager[Tx]:
        """A write transaction; commits on success, rolls back on any exception.

        A write the disk refuses (full, read-only, I/O error) becomes `StoreUnwritable` and is
        reported to `health`; the next write that works reports the store healthy again.
        """
        return self.db.transaction()

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """One row of a read (never behind a long write)."""
        return await self.db.fetch_one(sql, params)

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Every row of a read (never behind a long write)."""
        return await self.db.fetch_all(sql, params)

    # -- papers --------------------------------------------------------------------------------

    async def upsert_papers(self, papers: Iterable[Paper], now: datetime) -> IngestResult:
        """Store papers: new ones get `first_seen = now`; known ones keep it, with fresh counts."""
        batch = list(papers)
        async with self.transaction() as tx:
            new = await upsert_papers_in(tx, batch, now, self.ranked_papers)
        return IngestResult(seen=len(batch), new=len(new))

    async def get_paper(self, paper_id: str) -> Paper | None:
        row = await self.fetch_one(f"SELECT {PAPER_COLUMNS} FROM papers WHERE id = ?", (paper_id,))
        return paper_from_row(row) if row else None

    async def recent_papers(self, since: datetime, limit: int = 5000) -> list[Paper]:
        """Papers first seen or submitted to Daily Papers since `since`, newest first."""
        stamp = to_iso(since)
        rows = await self.fetch_all(
            f"SELECT {PAPER_COLUMNS} FROM papers WHERE first_seen >= ? OR submitted_at >= ? "
            "ORDER BY coalesce(submitted_at, first_seen) DESC, id LIMIT ?",
            (stamp, stamp, limit),
        )
        return [paper_from_row(r) for r in rows]

    async def paper_count(self) -> int:
        row = await self.fetch_one("SELECT count(*) FROM papers")
        return int(row[0]) if row else 0

    # -- poll log ------------------------------------------------------------------------------

    async def record_poll(self, record: PollRecord) -> None:
        async with self.transaction() as tx:
            await tx.execute(
                "INSERT INTO poll_log (feed, started_at, finished_at, papers_seen, papers_new, "
                "error, skipped) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    record.feed,
                    to_iso(record.started_at),
                    to_iso(record.finished_at),
                    record.papers_seen,
                    record.papers_new,
                    record.error,
                    json.dumps(list(record.skipped)) if record.skipped else None,
                ),
            )

    async def latest_polls(self) -> list[PollRecord]:
        """The most recent poll of every feed, ordered by feed name."""
        rows = await self.fetch_all(
            "SELECT feed, started_at, finished_at, papers_seen, papers_new, error, skipped "
            "FROM poll_log "
            "WHERE id IN (SELECT max(id) FROM poll_log GROUP BY feed) ORDER BY feed"
        )
        return [_poll_from_row(row) for row in rows]

    async def last_success(self, feed: str) -> datetime | None:
        row = await self.fetch_one(
            "SELECT max(finished_at) FROM poll_log WHERE feed = ? AND error IS NULL", (feed,)
        )
        return from_iso(row[0]) if row and row[0] else None

    # -- meta ----------------------------------------------------------------------------------

    async def get_meta(self, key: str) -> str | None:
        row = await self.fetch_one("SELECT value FROM meta WHERE key = ?", (key,))
        return str(row[0]) if row else None

    async def set_meta(self, key: str, value: str) -> None:
        async with self.transaction() as tx:
            await tx.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # -- backup --------------------------------------------------------------------------------

    async def backup(self, destination: Path | str) -> Path:
        """Copy a SQLite database with its online backup; safe while other writers run.

        The copy is written beside the destination and renamed into place, so a failed backup
        never leaves a half-written file under the destination's name. (PostgreSQL has its own
        tools for this: pg_dump.)
        """
        if not isinstance(self.db, SqliteDatabase):
            raise UserError("paperbot backs up SQLite files; back up PostgreSQL with pg_dump")
        target = Path(destination)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial")
        partial.unlink(missing_ok=True)
        try:
            await self.db.backup(partial)
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return target


def _poll_from_row(row: Row) -> PollRecord:
    started = from_iso(row["started_at"])
    finished = from_iso(row["finished_at"])
    assert started is not None
    assert finished is not None
    return PollRecord(
        feed=row["feed"],
        started_at=started,
        finished_at=finished,
        papers_seen=row["papers_seen"],
        papers_new=row["papers_new"],
        error=row["error"],
        skipped=tuple(json.loads(row["skipped"])) if row["skipped"] else (),
    )


def is_database_url(target: Path | str) -> bool:
    """A `postgresql://` (or `postgres://`) URL, rather than a SQLite file's path."""
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))
