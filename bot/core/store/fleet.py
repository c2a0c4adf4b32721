"""SQL for the fleet: each running process, its shards, whether it polls, its heartbeat."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.store import Store
from bot.core.store.driver import from_iso, to_iso


@dataclass(frozen=True)
class Member:
    process: str  # host:pid:start, unique per run
    host: str
    pid: int
    shards: str
    polling: bool
    started_at: datetime
    heartbeat_at: datetime


class FleetStore:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def beat(self, member: Member) -> None:
        """Say this process is alive (and what it does), now."""
        async with self._store.transaction() as tx:
            await tx.execute(
                "INSERT INTO fleet (process, host, pid, shards, polling, started_at, "
                "heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (process) DO UPDATE "
                "SET shards = excluded.shards, polling = excluded.polling, "
                "heartbeat_at = excluded.heartbeat_at",
                (
                    member.process,
                    member.host,
                    member.pid,
                    member.shards,
                    int(member.polling),
                    to_iso(member.started_at),
                    to_iso(member.heartbeat_at),
                ),
            )

    async def members(self, alive_since: datetime) -> list[Member]:
        """Processes whose last heartbeat is newer than `alive_since`, oldest first."""
        rows = await self._store.fetch_all(
            "SELECT process, host, pid, shards, polling, started_at, heartbeat_at FROM fleet "
            "WHERE heartbeat_at >= ? ORDER BY started_at, process",
            (to_iso(alive_since),),
        )
        return [
            Member(
                str(r[0]),
                str(r[1]),
                int(r[2]),
                str(r[3]),
                bool(r[4]),
                from_iso(r[5]) or alive_since,
                from_iso(r[6]) or alive_since,
            )
            for r in rows
        ]

    async def leave(self, process: str, gone_before: datetime) -> None:
        """Remove this process (it stops), and any silent since `gone_before`."""
        async with self._store.transaction() as tx:
            await tx.execute(
                "DELETE FROM fleet WHERE process = ? OR heartbeat_at < ?",
                (process, to_iso(gone_before)),
            )
