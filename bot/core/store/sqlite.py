"""The SQLite driver: one file, no server, one process (`ProcessLock`).

One connection writes (every write inside `BEGIN IMMEDIATE ... COMMIT`), another reads: in WAL
mode readers go on beside the writer, so commands never wait behind a poll's long insert.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from bot.core.errors import StoreOpenError, StoreUnwritable
from bot.core.store.driver import Dialect, Row, migrations, too_new
from bot.core.store.health import StoreHealth, unwritable_reason

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000


class SqliteTx:
    dialect: Dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self._conn.execute(sql, params) as cursor:
            return max(cursor.rowcount, 0)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._conn.executemany(sql, rows)

    async def executemany_count(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        """`executemany`, returning the rows changed in all (SQLite sums them)."""
        cursor = await self._conn.executemany(sql, rows)
        return max(cursor.rowcount, 0)

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        async with self._conn.execute(sql, params) as cursor:
            row: Row | None = await cursor.fetchone()
        return row

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(await self._conn.execute_fetchall(sql, params))


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


class SqliteDatabase:
    """One connection writes (every write inside `BEGIN IMMEDIATE ... COMMIT`), another reads.

    SQLite in WAL mode lets readers go on beside a writer. With a connection of their own
    (`separate_reads`), reads (every command's) never wait behind a poll's long insert.
    """

    dialect: Dialect = "sqlite"

    def __init__(
        self, conn: aiosqlite.Connection, path: Path, reader: aiosqlite.Connection | None = None
    ) -> None:
        self._conn = conn
        self._reader = reader or conn
        self._lock = asyncio.Lock()
        self.path = path
        self.name = str(path)
        self.health = StoreHealth()
        self._gates: dict[int, asyncio.Lock] = {}

    @classmethod
    async def open(
        cls, path: Path, *, migrate: bool = True, separate_reads: bool = True
    ) -> SqliteDatabase:
        """Open (creating the file and its folder if needed) and bring the schema up to date.

        Raises `StoreOpenError` with one line for the user when the file cannot serve.
        """
        _prepare_path(path)
        try:
            conn = await aiosqlite.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            raise _open_error(path, exc) from None
        try:
            conn.row_factory = sqlite3.Row
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA foreign_keys=ON")
            await conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            await conn.execute("PRAGMA synchronous=NORMAL")
            db = cls(conn, path)
            if migrate:
                await db.migrate()
            if separate_reads:
                db._reader = await _reader(path)
        except sqlite3.Error as exc:
            await conn.close()
            raise _open_error(path, exc) from None
        except BaseException:
            await conn.close()
            raise
        return db

    async def close(self) -> None:
        if self._reader is not self._conn:
            await self._reader.close()
        await self._conn.close()

    async def schema_version(self) -> int:
        row = await self.fetch_one("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def migrate(self) -> int:
        """Apply every migration newer than the database; returns the resulting version."""
        async with self._lock:
            current = await self.schema_version()
            available = migrations("bot.core.store.migrations")
            if current > len(available):
                raise too_new(self.name, current, len(available))
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

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqliteTx]:
        async with self._lock:
            try:
                await self._conn.execute("BEGIN IMMEDIATE")
                try:
                    yield SqliteTx(self._conn)
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

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        async with self._reader.execute(sql, params) as cursor:
            row: Row | None = await cursor.fetchone()
        return row

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self._reader.execute(sql, params) as cursor:
            rows = await cursor.fetchall()
        return list(rows)

    async def hold_lock(self, key: int) -> bool:
        return True  # the process lock keeps every other process off this file

    async def notify(self, channel: str) -> None:
        return None  # one process: it woke its own outbox already

    async def listen(self, channel: str, callback: Callable[[], None]) -> None:
        return None

    async def gate(self, key: int, seconds: float) -> None:
        lock = self._gates.setdefault(key, asyncio.Lock())
        await lock.acquire()
        asyncio.get_running_loop().call_later(seconds, lock.release)

    async def backup(self, destination: Path) -> None:
        """SQLite's online backup into a new file (safe while other writers run)."""
        async with aiosqlite.connect(destination) as dest:
            await self._conn.backup(dest)


class ProcessLock:
    """One `paperbot run` per SQLite file: an advisory lock on `<file>.lock`, held while the
    process lives (the system drops it when the process dies, however it dies)."""

    def __init__(self, db_path: Path) -> None:
        self.path = db_path.with_name(db_path.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, or raise `StoreOpenError` naming the process that holds it."""
        _prepare_path(self.path)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            return  # a folder paperbot cannot write: opening the database says so, in one line
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip() or "another process"
            os.close(fd)
            raise StoreOpenError(
                f"another paperbot (pid {holder}) is using {self.path.with_suffix('')}: a "
                "SQLite file serves one process; stop that one, or move to PostgreSQL to run "
                "several (README: Running at scale)"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the lock
            self._fd = None
