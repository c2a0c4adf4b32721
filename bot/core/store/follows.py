"""SQL for people who follow topics by DM: their DM channel, and whether they were told that
Discord refused it (part of the store). Their follows are topics (topics.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.models import DM_GUILD
from bot.core.store import Store
from bot.core.store.driver import to_iso
from bot.core.store.feedback import BUMP_VERSION as FEEDBACK_BUMP
from bot.core.store.topics import BUMP_VERSION as _BUMP


@dataclass(frozen=True, slots=True)
class Person:
    user_id: int
    dm_channel_id: int
    paused_reason: str | None  # their DM channel's pause (a refusal, or their own /follow pause)
    told: bool  # told privately about the pause since it began


class FollowStore:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def remember(self, user_id: int, dm_channel_id: int, now: datetime) -> None:
        """The person's DM channel with paperbot (Discord keeps one per person)."""
        async with self._store.transaction() as tx:
            await tx.execute(
                "INSERT INTO people (user_id, dm_channel_id, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET dm_channel_id = excluded.dm_channel_id",
                (user_id, dm_channel_id, to_iso(now)),
            )
            # The channel's state, which a pause (theirs, or Discord's refusal) is written to.
            await tx.execute(
                "INSERT INTO channel_state (channel_id, guild_id) VALUES (?, ?) "
                "ON CONFLICT (channel_id) DO NOTHING",
                (dm_channel_id, DM_GUILD),
            )

    async def person(self, user_id: int) -> Person | None:
        row = await self._store.fetch_one(
            "SELECT p.user_id, p.dm_channel_id, c.paused_reason, p.told_at FROM people p "
            "LEFT JOIN channel_state c ON c.channel_id = p.dm_channel_id WHERE p.user_id = ?",
            (user_id,),
        )
        if row is None:
            return None
        return Person(int(row[0]), int(row[1]), row[2], row[3] is not None)

    async def held(self, user_id: int) -> Held:
        return await held_about(self._store, user_id)

    async def forget(self, user_id: int) -> Held:
        return await forget_person(self._store, user_id)

    async def mark_told(self, user_id: int, now: datetime) -> bool:
        """Note that the person was told of their paused DMs; False if someone already did."""
        async with self._store.transaction() as tx:
            told = await tx.execute(
                "UPDATE people SET told_at = ? WHERE user_id = ? AND told_at IS NULL",
                (to_iso(now), user_id),
            )
        return told > 0


@dataclass(frozen=True, slots=True)
class Held:
    """What paperbot keeps about one person."""

    follows: int
    lists: int
    saved: int  # papers in those lists
    sent: int  # papers sent to them by DM (kept so that none is sent twice)
    digest: int = 0  # 1 if they get a /foryou digest
    known: int = 0  # 1 if paperbot knows their DM channel
    votes: int = 0  # their 👍 / 👎 (and taught papers) on topics

    @property
    def nothing(self) -> bool:
        return not (
            self.follows
            or self.lists
            or self.saved
            or self.sent
            or self.digest
            or self.known
            or self.votes
        )


_HELD = (
    "SELECT (SELECT count(*) FROM topics t JOIN people p ON t.channel_id = p.dm_channel_id "
    f"WHERE p.user_id = ?1 AND t.guild_id = {DM_GUILD}), "
    "(SELECT count(*) FROM saved_lists WHERE user_id = ?1), "
    "(SELECT count(*) FROM saved_items i JOIN saved_lists l ON l.id = i.list_id "
    "WHERE l.user_id = ?1), "
    "(SELECT count(*) FROM deliveries d JOIN people p ON d.channel_id = p.dm_channel_id "
    "WHERE p.user_id = ?1), "
    "(SELECT count(*) FROM foryou_digests WHERE user_id = ?1), "
    "(SELECT count(*) FROM people WHERE user_id = ?1), "
    "(SELECT count(*) FROM feedback WHERE user_id = ?1)"
)


async def held_about(store: Store, user_id: int) -> Held:
    """What paperbot keeps about one person (counts)."""
    row = await store.fetch_one(_HELD, (user_id,))
    assert row is not None
    return Held(*(int(row[i]) for i in range(7)))


async def forget_person(store: Store, user_id: int) -> Held:
    """Erase everything paperbot keeps about one person, in one transaction: their follows,
    what was sent or owed to them by DM, their DM channel's state, their saved lists and their
    /foryou digest (recommendations are computed from the lists, never stored).
    Topics they created for a server's channels belong to that channel and stay."""
    async with store.transaction() as tx:
        row = await tx.fetch_one(_HELD, (user_id,))
        assert row is not None
        held = Held(*(int(row[i]) for i in range(7)))
        dm = await tx.fetch_one("SELECT dm_channel_id FROM people WHERE user_id = ?", (user_id,))
        if dm is not None:
            channel = int(dm[0])
            for table in ("deliveries", "outbox_leases", "channel_state"):
                await tx.execute(f"DELETE FROM {table} WHERE channel_id = ?", (channel,))
            await tx.execute(
                f"DELETE FROM topics WHERE guild_id = {DM_GUILD} AND channel_id = ?", (channel,)
            )
            await tx.execute(_BUMP)
            await tx.execute("DELETE FROM people WHERE user_id = ?", (user_id,))
        await tx.execute(
            "DELETE FROM saved_items WHERE list_id IN "
            "(SELECT id FROM saved_lists WHERE user_id = ?)",
            (user_id,),
        )
        await tx.execute("DELETE FROM saved_lists WHERE user_id = ?", (user_id,))
        await tx.execute("DELETE FROM foryou_digests WHERE user_id = ?", (user_id,))
        # Their votes on any topic, and so their effect on what any channel learned.
        await tx.execute("DELETE FROM feedback WHERE user_id = ?", (user_id,))
        await tx.execute(FEEDBACK_BUMP)
    return held
