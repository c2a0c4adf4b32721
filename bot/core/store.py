"""The store: opening the database (a SQLite file or PostgreSQL), papers and the poll log.

Every method returns frozen dataclasses, never rows, and binds every parameter. The SQL is
written once for both engines (see `database.py`); the topic, outbox, saved-list and search
stores sit beside this one on the same driver.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from bot.core.database import Database, Dialect, Row, SqliteDatabase, Tx, scalar_in
from bot.core.errors import UserError
from bot.core.models import IngestResult, Paper, PollRecord

log = logging.getLogger(__name__)

__all__ = ["Store", "scalar_in"]

PAPER_COLUMNS = (
    "id, title, abstract, authors, published_at, submitted_at, upvotes, num_comments, "
    "github_repo, github_stars, ai_summary, ai_keywords, project_page, thumbnail, "
    "first_seen, last_seen"
)


def paper_columns(alias: str) -> str:
    """`PAPER_COLUMNS` qualified by a table alias, for joins."""
    return ", ".join(f"{alias}.{c.strip()}" for c in PAPER_COLUMNS.split(","))


def to_iso(moment: datetime) -> str:
    """Timestamps are stored as fixed-width UTC ISO strings, so text order is time order."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_iso(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


# The newest papers search ranks by bm25 (migration 0005): counting a common phrase's papers
# over all of them is what bm25 costs, and older matches are listed newest first instead.
RECENT_PAPERS = 50_000
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
            from bot.core.database_pg import PostgresDatabase  # asyncpg only when asked for

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
                "error) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    record.feed,
                    to_iso(record.started_at),
                    to_iso(record.finished_at),
                    record.papers_seen,
                    record.papers_new,
                    record.error,
                ),
            )

    async def latest_polls(self) -> list[PollRecord]:
        """The most recent poll of every feed, ordered by feed name."""
        rows = await self.fetch_all(
            "SELECT feed, started_at, finished_at, papers_seen, papers_new, error FROM poll_log "
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


def is_database_url(target: Path | str) -> bool:
    """A `postgresql://` (or `postgres://`) URL, rather than a SQLite file's path."""
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


async def upsert_papers_in(
    tx: Tx, papers: Sequence[Paper], now: datetime, recent: int = RECENT_PAPERS
) -> set[str]:
    """Upsert inside an open transaction; returns the ids that were not stored before."""
    if not papers:
        return set()
    ids = [p.id for p in papers]
    known: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = await tx.fetch_all(f"SELECT id FROM papers WHERE id IN ({marks})", chunk)
        known.update(str(row[0]) for row in rows)
    stamp = to_iso(now)
    await tx.executemany(
        f"INSERT INTO papers ({PAPER_COLUMNS}) VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET "
        "title = excluded.title, abstract = excluded.abstract, authors = excluded.authors, "
        "published_at = coalesce(excluded.published_at, papers.published_at), "
        "submitted_at = coalesce(excluded.submitted_at, papers.submitted_at), "
        "upvotes = excluded.upvotes, "
        "num_comments = excluded.num_comments, "
        "github_repo = coalesce(excluded.github_repo, papers.github_repo), "
        "github_stars = coalesce(excluded.github_stars, papers.github_stars), "
        "ai_summary = coalesce(excluded.ai_summary, papers.ai_summary), "
        "ai_keywords = CASE WHEN excluded.ai_keywords = '[]' THEN papers.ai_keywords "
        "ELSE excluded.ai_keywords END, "
        "project_page = coalesce(excluded.project_page, papers.project_page), "
        "thumbnail = coalesce(excluded.thumbnail, papers.thumbnail), "
        "last_seen = excluded.last_seen",
        [_paper_params(p, stamp) for p in papers],
    )
    if len(known) < len(ids) and tx.dialect == "postgresql":
        # New papers: the oldest fall out of the ranking table (migrations_pg/0003).
        await tx.execute(
            "DELETE FROM papers_recent WHERE seq <= (SELECT max(seq) FROM papers) - ?",
            (recent,),
        )
    elif len(known) < len(ids):
        # New papers: the oldest fall out of the ranking index (migration 0005).
        await tx.execute(
            "DELETE FROM papers_recent_fts WHERE rowid <= (SELECT max(rowid) FROM papers) - ?",
            (recent,),
        )
    return {i for i in ids if i not in known}


async def papers_in(tx: Tx | Store, ids: Sequence[str]) -> list[Paper]:
    """The stored papers of `ids` in id order (arXiv's: oldest first), in an open transaction
    or not."""
    found: dict[str, Paper] = {}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        marks = ",".join("?" * len(chunk))
        rows = await tx.fetch_all(
            f"SELECT {PAPER_COLUMNS} FROM papers WHERE id IN ({marks})", chunk
        )
        found.update((paper.id, paper) for paper in map(paper_from_row, rows))
    return [found[i] for i in sorted(found)]


def _paper_params(paper: Paper, stamp: str) -> tuple[Any, ...]:
    return (
        paper.id,
        paper.title,
        paper.abstract,
        json.dumps(list(paper.authors), ensure_ascii=False),
        to_iso(paper.published_at) if paper.published_at else None,
        to_iso(paper.submitted_at) if paper.submitted_at else None,
        paper.upvotes,
        paper.num_comments,
        paper.github_repo,
        paper.github_stars,
        paper.ai_summary,
        json.dumps(list(paper.ai_keywords), ensure_ascii=False),
        paper.project_page,
        paper.thumbnail,
        stamp,
        stamp,
    )


def paper_from_row(row: Row) -> Paper:
    return Paper(
        id=row["id"],
        title=row["title"],
        abstract=row["abstract"],
        authors=tuple(json.loads(row["authors"])),
        published_at=from_iso(row["published_at"]),
        submitted_at=from_iso(row["submitted_at"]),
        upvotes=row["upvotes"],
        num_comments=row["num_comments"],
        github_repo=row["github_repo"],
        github_stars=row["github_stars"],
        ai_summary=row["ai_summary"],
        ai_keywords=tuple(json.loads(row["ai_keywords"])),
        project_page=row["project_page"],
        thumbnail=row["thumbnail"],
        first_seen=from_iso(row["first_seen"]),
        last_seen=from_iso(row["last_seen"]),
    )


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
    )
