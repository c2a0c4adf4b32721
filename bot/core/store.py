"""SQLite storage: the connection, migrations, papers and the poll log.

One aiosqlite connection in autocommit mode; every write runs inside an explicit
`BEGIN IMMEDIATE ... COMMIT` so that a batch is stored whole or not at all. Every method returns
frozen dataclasses, never rows, and binds every parameter.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, Self

import aiosqlite

from bot.core.errors import StoreOpenError, StoreUnwritable
from bot.core.health import StoreHealth, unwritable_reason
from bot.core.models import IngestResult, Paper, PollRecord

log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
BUSY_TIMEOUT_MS = 5000

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


async def _reader(db_path: Path) -> aiosqlite.Connection:
    reader = await aiosqlite.connect(db_path, isolation_level=None)
    try:
        reader.row_factory = sqlite3.Row
        await reader.execute("PRAGMA query_only=ON")
        await reader.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    except BaseException:
        await reader.close()
        raise
    return reader


def _prepare_path(db_path: Path) -> None:
    """Refuse a directory, and create the database's folder (a stat and a mkdir, once)."""
    if db_path.is_dir():
        raise StoreOpenError(
            f"PAPERBOT_DB ({db_path}) is a directory; give the path of a database file, "
            f"e.g. {db_path / 'paperbot.db'}"
        )
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreOpenError(
            f"cannot create the folder of PAPERBOT_DB ({db_path.parent}): {exc.strerror or exc}"
        ) from None


def _open_error(path: Path, error: sqlite3.Error) -> StoreOpenError:
    """One line for why `path` cannot serve as the database, and the exit code."""
    code = getattr(error, "sqlite_errorcode", 0) & 0xFF
    if code == 26:  # SQLITE_NOTADB
        return StoreOpenError(
            f"{path} is not a SQLite database (a damaged or unrelated file): restore a backup, "
            "or point PAPERBOT_DB at another path"
        )
    reason = unwritable_reason(error)
    if reason == "disk full":
        return StoreOpenError(f"cannot open {path}: disk full; free some space", 1)
    if reason is not None and not (
        os.access(path.parent, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))
    ):
        return StoreOpenError(
            f"cannot write {path}: the file or its folder is read-only (paperbot needs to write "
            "both: check their permissions, or how the disk is mounted)"
        )
    if reason is not None:
        return StoreOpenError(
            f"cannot open {path} for writing: {reason}; check the permissions of the file "
            "and of its folder (paperbot needs to write both)"
        )
    return StoreOpenError(f"cannot open {path}: {error}")


def migrations() -> list[tuple[int, str, str]]:
    """(version, file name, SQL) for every bundled migration, in order."""
    found: list[tuple[int, str, str]] = []
    for entry in resources.files("bot.core.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort()
    for expected, (version, name, _sql) in enumerate(found, start=1):
        if version != expected:
            raise RuntimeError(f"migration {name} is out of sequence (expected {expected:04d})")
    return found


# The newest papers search ranks by bm25 (migration 0005): counting a common phrase's papers
# over all of them is what bm25 costs, and older matches are listed newest first instead.
RECENT_PAPERS = 50_000
WRITE_CHUNK = 20_000  # rows a long write stores per transaction, letting other writes in


class Store:
    """The paperbot database: one connection writes, another reads.

    SQLite in WAL mode lets readers go on beside a writer. With a connection of their own
    (`separate_reads`), reads (every command's) never wait behind a poll's long insert, which
    runs on the writing connection's thread; long writes go in chunks of `write_chunk` rows so
    that commands' own writes wait one chunk at most.
    """

    def __init__(
        self,
        conn: aiosqlite.Connection,
        path: Path,
        reader: aiosqlite.Connection | None = None,
        write_chunk: int = WRITE_CHUNK,
    ) -> None:
        self._conn = conn
        self._reader = reader or conn
        self._lock = asyncio.Lock()
        self.path = path
        self.health = StoreHealth()
        self.write_chunk = write_chunk
        self.ranked_papers = RECENT_PAPERS  # the newest papers search ranks by bm25

    @classmethod
    async def open(
        cls,
        path: Path | str,
        *,
        migrate: bool = True,
        separate_reads: bool = True,
        write_chunk: int = WRITE_CHUNK,
    ) -> Self:
        """Open (creating the file and its folder if needed) and bring the schema up to date.

        Raises `StoreOpenError` with one line for the user when the file cannot serve.
        """
        db_path = Path(path)
        _prepare_path(db_path)
        try:
            conn = await aiosqlite.connect(db_path, isolation_level=None)
        except sqlite3.Error as exc:
            raise _open_error(db_path, exc) from None
        try:
            conn.row_factory = sqlite3.Row
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA foreign_keys=ON")
            await conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            await conn.execute("PRAGMA synchronous=NORMAL")
            store = cls(conn, db_path, write_chunk=write_chunk)
            if migrate:
                await store.migrate()
            if separate_reads:
                store._reader = await _reader(db_path)
        except sqlite3.Error as exc:
            await conn.close()
            raise _open_error(db_path, exc) from None
        except BaseException:
            await conn.close()
            raise
        return store

    async def close(self) -> None:
        if self._reader is not self._conn:
            await self._reader.close()
        await self._conn.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- schema ------------------------------------------------------------------------------

    async def schema_version(self) -> int:
        row = await self.fetch_one("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def migrate(self) -> int:
        """Apply every migration newer than the database; returns the resulting version."""
        async with self._lock:
            current = await self.schema_version()
            available = migrations()
            if current > len(available):
                raise StoreOpenError(
                    f"{self.path} is at schema version {current}, newer than this paperbot "
                    f"({len(available)}): upgrade paperbot, or restore a backup made by this one"
                )
            for version, name, sql in available[current:]:
                log.info("applying migration %s", name)
                try:
                    # Each script carries its own BEGIN ... COMMIT and sets user_version.
                    await self._conn.executescript(sql)
                except sqlite3.Error:
                    if self._conn.in_transaction:
                        await self._conn.rollback()
                    raise
                if await self.schema_version() != version:
                    raise RuntimeError(f"migration {name} did not set user_version = {version}")
            return await self.schema_version()

    # -- plumbing ------------------------------------------------------------------------------

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction; commits on success, rolls back on any exception.

        A write the disk refuses (full, read-only, I/O error) becomes `StoreUnwritable` and is
        reported to `health`; the next write that works reports the store healthy again.
        """
        async with self._lock:
            try:
                await self._conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self._conn
                except BaseException:
                    if self._conn.in_transaction:
                        await self._conn.rollback()
                    raise
                await self._conn.commit()
            except sqlite3.Error as exc:
                reason = unwritable_reason(exc)
                if reason is None:
                    raise
                if self._conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        await self._conn.rollback()
                self.health.failed(reason)
                raise StoreUnwritable(reason) from exc
        self.health.ok()

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        """One row of a read, on the reading connection (never behind a long write)."""
        async with self._reader.execute(sql, params) as cursor:
            row = await cursor.fetchone()
        return row

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Every row of a read, on the reading connection (never behind a long write)."""
        async with self._reader.execute(sql, params) as cursor:
            rows = await cursor.fetchall()
        return list(rows)

    # -- papers --------------------------------------------------------------------------------

    async def upsert_papers(self, papers: Iterable[Paper], now: datetime) -> IngestResult:
        """Store papers: new ones get `first_seen = now`; known ones keep it, with fresh counts."""
        batch = list(papers)
        async with self.transaction() as conn:
            new = await upsert_papers_in(conn, batch, now, self.ranked_papers)
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
        async with self.transaction() as conn:
            await conn.execute(
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
        async with self.transaction() as conn:
            await conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # -- backup --------------------------------------------------------------------------------

    async def backup(self, destination: Path | str) -> Path:
        """Copy the database with SQLite's online backup; safe while other writers run.

        The copy is written beside the destination and renamed into place, so a failed backup
        never leaves a half-written file under the destination's name.
        """
        target = Path(destination)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial")
        partial.unlink(missing_ok=True)
        try:
            async with aiosqlite.connect(partial) as dest:
                await self._conn.backup(dest)
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return target


async def upsert_papers_in(
    conn: aiosqlite.Connection, papers: Sequence[Paper], now: datetime, recent: int = RECENT_PAPERS
) -> set[str]:
    """Upsert inside an open transaction; returns the ids that were not stored before."""
    if not papers:
        return set()
    ids = [p.id for p in papers]
    known: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        async with conn.execute(f"SELECT id FROM papers WHERE id IN ({marks})", chunk) as cur:
            known.update([str(row[0]) for row in await cur.fetchall()])
    stamp = to_iso(now)
    await conn.executemany(
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
    if len(known) < len(ids):  # new papers: the oldest fall out of the ranking index
        await conn.execute(
            "DELETE FROM papers_recent_fts WHERE rowid <= (SELECT max(rowid) FROM papers) - ?",
            (recent,),
        )
    return {i for i in ids if i not in known}


async def scalar_in(conn: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()) -> int:
    """The single integer a query returns (a count), inside an open transaction."""
    async with conn.execute(sql, params) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


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


def paper_from_row(row: sqlite3.Row) -> Paper:
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


def _poll_from_row(row: sqlite3.Row) -> PollRecord:
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
