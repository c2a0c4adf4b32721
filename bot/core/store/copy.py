"""Moving a SQLite installation to PostgreSQL: every table, ids and sent markers kept.

The copy is one PostgreSQL transaction: it lands whole or not at all. Ids are copied as they
are (identity columns are `BY DEFAULT`) and each identity sequence is moved past the largest,
so nothing already posted is posted again and new rows never collide. Papers keep their
arrival order (SQLite's rowid becomes `seq`), which search uses to tell newest from oldest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.core.errors import UserError
from bot.core.store import Store
from bot.core.store.postgres import PostgresTx

# In the order foreign keys need; each with its identity column, if any.
TABLES: tuple[tuple[str, str | None], ...] = (
    ("papers", "seq"),
    ("poll_log", "id"),
    ("meta", None),
    ("topics", "id"),
    ("channel_state", None),
    ("deliveries", "id"),
    ("saved_lists", "id"),
    ("saved_items", None),
    ("people", None),
    ("foryou_digests", None),
    ("guild_settings", None),
    ("feedback", None),
    ("vocabulary", None),
)
# Not copied: derived from the tables above (search's newest papers), or about processes.
DERIVED = ("papers_recent", "outbox_leases", "fleet")
CHUNK = 5000


class CopyRefused(UserError):
    """The copy cannot start; nothing was written."""


@dataclass(frozen=True)
class Copied:
    rows: dict[str, int]
    sent: int  # deliveries already posted (kept as sent: never posted again)

    def summary(self) -> str:
        r = self.rows
        return (
            f"{r['papers']:,} papers, {r['topics']:,} topics, {r['deliveries']:,} deliveries "
            f"({self.sent:,} sent), {r['saved_lists']:,} saved lists ({r['saved_items']:,} "
            f"papers), {r['poll_log']:,} polls"
        )


async def _sqlite_columns(source: Store, table: str) -> list[str]:
    return [str(r[1]) for r in await source.fetch_all(f"PRAGMA table_info({table})")]


async def _pg_columns(tx: PostgresTx, table: str) -> list[str]:
    rows = await tx.fetch_all(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "AND table_schema = current_schema() AND is_generated = 'NEVER' "
        "ORDER BY ordinal_position",
        (table,),
    )
    return [str(r[0]) for r in rows]


async def copy_database(
    source: Store,
    target: Store,
    *,
    force: bool = False,
    progress: Callable[[str, int], None] = lambda table, rows: None,
) -> Copied:
    """Copy every table of the SQLite `source` into the PostgreSQL `target`.

    Refuses (`CopyRefused`) a target that holds anything, unless `force`: then the target's
    tables are emptied first, in the same transaction.
    """
    if source.dialect != "sqlite" or target.dialect != "postgresql":
        raise CopyRefused("db copy moves a SQLite file to PostgreSQL: --to takes a URL")
    rows: dict[str, int] = {}
    async with target.transaction() as tx:
        assert isinstance(tx, PostgresTx)
        held = [t for t, _ in TABLES if await tx.fetch_one(f"SELECT 1 FROM {t} LIMIT 1")]
        if held and not force:
            raise CopyRefused(
                f"{target.name} already holds data ({', '.join(held)}): copy into an empty "
                "database, or add --force to replace what it holds"
            )
        if held:
            names = ", ".join([*(t for t, _ in TABLES), *DERIVED])
            await tx.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        for table, identity in TABLES:
            columns = await _sqlite_columns(source, table)
            wanted = set(await _pg_columns(tx, table))
            have = set(columns) | ({"seq"} if table == "papers" else set())
            if have != wanted:
                raise CopyRefused(
                    f"the two schemas differ on {table} ({sorted(have ^ wanted)}): run "
                    "`paperbot db migrate` on both with this paperbot first"
                )
            rows[table] = await _copy_table(source, tx, table, columns)
            progress(table, rows[table])
            if identity is not None:
                await tx.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', '{identity}'), "
                    f"coalesce((SELECT max({identity}) FROM {table}), 0) + 1, false)"
                )
        for table, _ in TABLES:
            count = await tx.fetch_one(f"SELECT count(*) FROM {table}")
            if count is None or int(count[0]) != rows[table]:
                raise RuntimeError(f"{table}: {rows[table]} rows read but {count} written")
        # Search ranks the newest papers apart (filled by a trigger as the rows arrived).
        await tx.execute(
            "DELETE FROM papers_recent WHERE seq <= (SELECT max(seq) FROM papers) - ?",
            (target.ranked_papers,),
        )
        sent = await tx.fetch_one("SELECT count(*) FROM deliveries WHERE sent_at IS NOT NULL")
    return Copied(rows, int(sent[0]) if sent else 0)


async def _copy_table(source: Store, tx: PostgresTx, table: str, columns: list[str]) -> int:
    """Rows in chunks of CHUNK, in rowid order, by PostgreSQL's COPY (binary, fast)."""
    selected = ", ".join(columns)
    target_columns = [*columns, "seq"] if table == "papers" else columns
    copied = 0
    last = 0
    while True:
        chunk = await source.fetch_all(
            f"SELECT {selected}, rowid FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT ?",
            (last, CHUNK),
        )
        if not chunk:
            return copied
        keep = len(target_columns)  # papers keep the rowid, as seq
        records: list[tuple[Any, ...]] = [tuple(r[i] for i in range(keep)) for r in chunk]
        await tx.connection.copy_records_to_table(table, records=records, columns=target_columns)
        copied += len(chunk)
        last = int(chunk[-1][-1])
