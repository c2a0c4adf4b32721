"""The PostgreSQL driver (asyncpg): the same interface as `SqliteDatabase`, for a fleet.

The stores write `?` parameters; they become `$1, $2, ...` here (once per statement text).
A pool serves reads and transactions alike: PostgreSQL's MVCC lets readers go on beside any
writer. Migrations are numbered like SQLite's (in `migrations_pg/`), applied under an advisory
lock so that processes starting together never apply one twice, and recorded in
`schema_version`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from bot.core.errors import StoreOpenError, StoreUnwritable
from bot.core.store.driver import Dialect, Row, migrations, too_new
from bot.core.store.health import StoreHealth

log = logging.getLogger(__name__)

MIGRATION_LOCK = 0x70617065  # "pape": the advisory lock key held while migrating
POOL_SIZE = 10


@lru_cache(maxsize=1024)
def positional(sql: str) -> str:
    """`?` and `?N` parameters as PostgreSQL's `$N` (quoted text and identifiers left alone)."""
    out: list[str] = []
    count = 0
    i = 0
    quote: str | None = None
    while i < len(sql):
        ch = sql[i]
        if quote:
            out.append(ch)
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
            out.append(ch)
        elif ch == "?":
            j = i + 1
            while j < len(sql) and sql[j].isdigit():
                j += 1
            if j > i + 1:
                out.append("$" + sql[i + 1 : j])
            else:
                count += 1
                out.append(f"${count}")
            i = j
            continue
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def safe_name(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    user = f"{parts.username}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    return f"postgresql://{user}{parts.hostname or 'localhost'}{port}{parts.path}"


def unwritable_reason(error: BaseException) -> str | None:
    """What kept a write from happening on the server, or None when it is something else."""
    if isinstance(error, asyncpg.DiskFullError):
        return "disk full"
    if isinstance(error, asyncpg.ReadOnlySQLTransactionError):
        return "the database is read-only"
    if isinstance(
        error,
        asyncpg.ConnectionDoesNotExistError
        | asyncpg.CannotConnectNowError
        | asyncpg.TooManyConnectionsError
        | asyncpg.AdminShutdownError
        | ConnectionError
        | OSError,
    ):
        return "the PostgreSQL server is unreachable"
    return None


def _affected(status: str) -> int:
    """Rows changed, from a command tag such as `UPDATE 3` or `INSERT 0 5`."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class PostgresTx:
    dialect: Dialect = "postgresql"

    def __init__(self, conn: asyncpg.Connection | PoolConnectionProxy) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return _affected(await self._conn.execute(positional(sql), *params))

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._conn.executemany(positional(sql), rows)

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        row: Row | None = await self._conn.fetchrow(positional(sql), *params)
        return row

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(await self._conn.fetch(positional(sql), *params))

    @property
    def connection(self) -> asyncpg.Connection | PoolConnectionProxy:
        """The raw connection (bulk COPY in `db copy`)."""
        return self._conn


class PostgresDatabase:
    dialect: Dialect = "postgresql"

    def __init__(self, pool: asyncpg.Pool, url: str) -> None:
        self._pool = pool
        self.url = url
        self.name = safe_name(url)
        self.health = StoreHealth()
        self._held: dict[int, asyncpg.Connection] = {}  # session locks kept while we live
        self._gated: set[asyncio.Task[None]] = set()
        self._closing = asyncio.Event()
        self._listener: asyncpg.Connection | None = None

    @classmethod
    async def open(cls, url: str, *, migrate: bool = True) -> PostgresDatabase:
        """Connect (a pool) and bring the schema up to date; one line when it cannot serve."""
        name = safe_name(url)
        try:
            pool = await asyncpg.create_pool(url, min_size=1, max_size=POOL_SIZE, timeout=10)
        except (TimeoutError, OSError) as exc:
            raise StoreOpenError(
                f"cannot reach PostgreSQL at {name}: {exc.strerror or exc.__class__.__name__}; "
                "is the server running, and is PAPERBOT_DB's host and port right?",
                1,
            ) from None
        except asyncpg.InvalidPasswordError:
            raise StoreOpenError(
                f"PostgreSQL at {name} refused the password: check PAPERBOT_DB"
            ) from None
        except (asyncpg.PostgresError, asyncpg.InterfaceError, ValueError) as exc:
            raise StoreOpenError(f"cannot open PostgreSQL at {name}: {exc}") from None
        db = cls(pool, url)
        try:
            version = await db.fetch_one("SHOW server_version_num")
            if version is not None and int(version[0]) < 150000:
                raise StoreOpenError(f"{name} runs PostgreSQL older than 15; paperbot needs 15+")
            if migrate:
                await db.migrate()
        except BaseException:
            await pool.close()
            raise
        return db

    async def close(self) -> None:
        # Held IDENTIFY slots end now (never cancelled mid-query: their connections go back
        # to the pool clean).
        self._closing.set()
        await asyncio.gather(*self._gated, return_exceptions=True)
        for conn in self._held.values():
            with contextlib.suppress(Exception):
                await conn.close()
        self._held.clear()
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
        await self._pool.close()

    async def notify(self, channel: str) -> None:
        try:
            await self._pool.execute("SELECT pg_notify($1, '')", channel)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
            log.debug("could not notify %s; the others look again soon anyway", channel)

    async def listen(self, channel: str, callback: Callable[[], None]) -> None:
        if self._listener is None:
            self._listener = await asyncpg.connect(self.url, timeout=10)
        await self._listener.add_listener(channel, lambda *_args: callback())

    async def hold_lock(self, key: int) -> bool:
        """A session-level advisory lock on a connection of its own: the server frees it the
        moment this process dies (its connection closes), and another process takes it."""
        held = self._held.get(key)
        if held is not None:
            try:
                await held.fetchval("SELECT 1")
                return True
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                self._held.pop(key, None)  # the connection is gone, and the lock with it
        try:
            conn = await asyncpg.connect(self.url, timeout=10)
        except (TimeoutError, asyncpg.PostgresError, OSError):
            return False
        if await conn.fetchval("SELECT pg_try_advisory_lock($1)", key):
            self._held[key] = conn
            return True
        await conn.close()
        return False

    async def gate(self, key: int, seconds: float) -> None:
        conn = await self._pool.acquire()
        try:
            await conn.execute("SELECT pg_advisory_lock($1)", key)
        except BaseException:
            await self._pool.release(conn)
            raise

        async def release_later() -> None:
            try:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(seconds):
                        await self._closing.wait()
                await conn.execute("SELECT pg_advisory_unlock($1)", key)
            finally:
                await self._pool.release(conn)

        task = asyncio.create_task(release_later())
        self._gated.add(task)
        task.add_done_callback(self._gated.discard)

    async def schema_version(self) -> int:
        row = await self.fetch_one(
            "SELECT CASE WHEN to_regclass('schema_version') IS NULL THEN 0 "
            "ELSE (SELECT coalesce(max(version), 0) FROM schema_version) END"
        )
        return int(row[0]) if row else 0

    async def migrate(self) -> int:
        """Apply every migration newer than the database, each in its own transaction."""
        available = migrations("bot.core.store.migrations_pg")
        async with self._pool.acquire() as conn:
            await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
            try:
                await conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
                    "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
                )
                current = int(
                    await conn.fetchval("SELECT coalesce(max(version), 0) FROM schema_version")
                )
                if current > len(available):
                    raise too_new(self.name, current, len(available))
                for version, name, sql in available[current:]:
                    log.info("applying migration %s", name)
                    async with conn.transaction():
                        await conn.execute(sql)
                        await conn.execute(
                            "INSERT INTO schema_version (version) VALUES ($1)", version
                        )
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
        return await self.schema_version()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PostgresTx]:
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                yield PostgresTx(conn)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            reason = unwritable_reason(exc)
            if reason is None:
                raise
            self.health.failed(reason)
            raise StoreUnwritable(reason) from exc
        self.health.ok()

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        row: Row | None = await self._pool.fetchrow(positional(sql), *params)
        return row

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(await self._pool.fetch(positional(sql), *params))
