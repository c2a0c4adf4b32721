"""SQL for /foryou digests: who gets one, when, from which list (part of the store)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core.store import Store
from bot.core.store.driver import from_iso, to_iso


@dataclass(frozen=True, slots=True)
class Digest:
    user_id: int
    hour: int
    weekly: bool
    list_name: str | None
    next_at: datetime
    dm_channel_id: int | None


_SELECT = (
    "SELECT d.user_id, d.hour, d.weekly, d.list_name, d.next_at, p.dm_channel_id "
    "FROM foryou_digests d LEFT JOIN people p ON p.user_id = d.user_id"
)


class ForYouStore:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def set_digest(
        self,
        user_id: int,
        hour: int,
        weekly: bool,
        list_name: str | None,
        next_at: datetime,
        now: datetime,
    ) -> None:
        async with self._store.transaction() as tx:
            await tx.execute(
                "INSERT INTO foryou_digests (user_id, hour, weekly, list_name, next_at, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET "
                "hour = excluded.hour, weekly = excluded.weekly, "
                "list_name = excluded.list_name, next_at = excluded.next_at",
                (user_id, hour, int(weekly), list_name, to_iso(next_at), to_iso(now)),
            )

    async def stop_digest(self, user_id: int) -> bool:
        async with self._store.transaction() as tx:
            return await tx.execute("DELETE FROM foryou_digests WHERE user_id = ?", (user_id,)) > 0

    async def digest(self, user_id: int) -> Digest | None:
        row = await self._store.fetch_one(f"{_SELECT} WHERE d.user_id = ?", (user_id,))
        return _digest(row) if row else None

    async def due(self, now: datetime, limit: int = 100) -> list[Digest]:
        rows = await self._store.fetch_all(
            f"{_SELECT} WHERE d.next_at <= ? ORDER BY d.next_at LIMIT ?", (to_iso(now), limit)
        )
        return [_digest(r) for r in rows]

    async def claim(self, digest: Digest, next_at: datetime) -> bool:
        """Move a due digest to its next time; False if another process did first."""
        async with self._store.transaction() as tx:
            moved = await tx.execute(
                "UPDATE foryou_digests SET next_at = ? WHERE user_id = ? AND next_at = ?",
                (to_iso(next_at), digest.user_id, to_iso(digest.next_at)),
            )
        return moved > 0

    async def delivered(self, channel_id: int, paper_ids: Sequence[str]) -> set[str]:
        """Which of these papers the channel was already sent or owes."""
        if not paper_ids:
            return set()
        marks = ",".join("?" * len(paper_ids))
        rows = await self._store.fetch_all(
            f"SELECT paper_id FROM deliveries WHERE channel_id = ? AND paper_id IN ({marks})",
            (channel_id, *paper_ids),
        )
        return {str(r[0]) for r in rows}


def _digest(row: object) -> Digest:
    values = list(row)  # type: ignore[call-overload]
    next_at = from_iso(values[4])
    assert next_at is not None
    return Digest(
        int(values[0]),
        int(values[1]),
        bool(values[2]),
        values[3],
        next_at,
        int(values[5]) if values[5] is not None else None,
    )
