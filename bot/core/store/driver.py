"""The database driver interface the stores write their SQL against, and what both engines share.

Two engines serve paperbot: SQLite (the default, one file, no server; `sqlite.py`) and
PostgreSQL (for a fleet of processes; `postgres.py`). The stores hold one copy of each rule in
SQL both understand: `?` parameters (numbered `?1` where one repeats), `INSERT ... RETURNING`,
`ON CONFLICT`, `CASE` rather than summing booleans, subqueries with aliases. Where the engines
must differ (migrations, full-text search, bulk inserts, backups) a store asks `dialect`.

A driver offers reads outside any transaction (`fetch_one`, `fetch_all`; never behind a long
write) and `transaction()`, a unit of work that commits on success, rolls back on any exception,
and turns a write the disk or server refuses into `StoreUnwritable`, reported to `health`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from importlib import resources
from typing import Any, Literal, Protocol

from bot.core.errors import StoreOpenError
from bot.core.store.health import StoreHealth

Dialect = Literal["sqlite", "postgresql"]
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class Row(Protocol):
    """A result row: by position or by column name (sqlite3.Row and asyncpg.Record both)."""

    def __getitem__(self, key: int | str, /) -> Any: ...


class Tx(Protocol):
    """One open transaction."""

    dialect: Dialect

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; returns how many rows it changed."""
        ...

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...


class Database(Protocol):
    dialect: Dialect
    health: StoreHealth
    name: str  # for messages: the file, or the server and database (never a password)

    def transaction(self) -> AbstractAsyncContextManager[Tx]: ...

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    async def schema_version(self) -> int: ...

    async def migrate(self) -> int: ...

    async def hold_lock(self, key: int) -> bool:
        """Take (or keep) the lock `key` for as long as this process lives; False while
        another process holds it. One SQLite file serves one process: always True there."""
        ...

    async def gate(self, key: int, seconds: float) -> None:
        """Wait for the lock `key`, then keep it `seconds` (at most one holder per interval,
        across every process of the fleet)."""
        ...

    async def notify(self, channel: str) -> None:
        """Tell every process listening on `channel` (PostgreSQL's NOTIFY; none on SQLite)."""
        ...

    async def listen(self, channel: str, callback: Callable[[], None]) -> None:
        """Call `callback` whenever any process notifies `channel`."""
        ...

    async def close(self) -> None: ...


async def scalar_in(tx: Tx, sql: str, params: Sequence[Any] = ()) -> int:
    """The single integer a query returns (a count), inside an open transaction."""
    row = await tx.fetch_one(sql, params)
    return int(row[0] or 0) if row else 0


def migrations(package: str) -> list[tuple[int, str, str]]:
    """(version, file name, SQL) for every migration bundled in `package`, in order."""
    found: list[tuple[int, str, str]] = []
    for entry in resources.files(package).iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort()
    for expected, (version, name, _sql) in enumerate(found, start=1):
        if version != expected:
            raise RuntimeError(f"migration {name} is out of sequence (expected {expected:04d})")
    return found


def too_new(name: str, current: int, available: int) -> StoreOpenError:
    return StoreOpenError(
        f"{name} is at schema version {current}, newer than this paperbot ({available}): "
        "upgrade paperbot, or restore a backup made by this one"
    )


class Reads(Protocol):
    """Anything that reads rows: a store, or an open transaction."""

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...


def to_iso(moment: datetime) -> str:
    """Timestamps are stored as fixed-width UTC ISO strings, so text order is time order."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_iso(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
