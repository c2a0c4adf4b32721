"""SQL for topics and channel state (part of the store); the outbox's is in deliveries.py."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from bot.core.models import DM_GUILD, Topic, TopicOptions
from bot.core.store import Store
from bot.core.store.deliveries import resume_channel_in
from bot.core.store.driver import Tx, from_iso, scalar_in, to_iso
from bot.core.store.feedback import BUMP_VERSION as FEEDBACK_BUMP

MAX_TOPICS_PER_CHANNEL = 25
MAX_TOPICS_PER_GUILD = 200

_TOPIC_SELECT = (
    "SELECT t.id, t.guild_id, t.channel_id, t.query, t.canonical, t.min_upvotes, t.digest_hour, "
    "t.created_by, t.created_at, t.posted_count, c.paused_reason, t.since, t.paused_from, "
    "t.new_from, t.mention_role_id, t.thread, t.thread_problem, t.learn_from "
    "FROM topics t "
    "LEFT JOIN channel_state c ON c.channel_id = t.channel_id"
)


# Bumped in the transaction of every change to topics: each process's matching index is
# rebuilt when it differs (a topic added on one process is matched by whichever one polls).
VERSION_KEY = "topics_version"
BUMP_VERSION = (
    f"INSERT INTO meta (key, value) VALUES ('{VERSION_KEY}', '1') ON CONFLICT (key) "
    "DO UPDATE SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS TEXT)"
)


class TopicLimit(Exception):
    """A limit on topics would be broken; nothing was written. `kind` says which: the channel's
    (or a person's) number of topics, the server's, or the same query twice in one channel."""

    def __init__(self, kind: Literal["channel", "guild", "duplicate"], limit: int = 0) -> None:
        super().__init__(kind)
        self.kind = kind
        self.limit = limit


class TopicStore:
    """Topics, on the same database as `Store` (the outbox is `DeliveryStore`)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    # -- topics --------------------------------------------------------------------------------

    async def add_topic(
        self,
        *,
        guild_id: int,
        channel_id: int,
        query: str,
        canonical: str,
        options: TopicOptions,
        created_by: int,
        now: datetime,
        liked: Sequence[str] = (),
    ) -> Topic:
        """Insert a topic, checking the limits and duplicates in the same transaction
        (`TopicLimit`); `liked`, the papers it starts with as liked examples (`like:`)."""
        async with self._store.transaction() as tx:
            await _check_limits(tx, guild_id, channel_id, canonical)
            topic_id = await scalar_in(
                tx,
                "INSERT INTO topics (guild_id, channel_id, query, canonical, min_upvotes, "
                "digest_hour, created_by, created_at, mention_role_id, thread, learn_from) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    guild_id,
                    channel_id,
                    query,
                    canonical,
                    options.min_upvotes,
                    options.digest_hour,
                    created_by,
                    to_iso(now),
                    options.mention_role_id,
                    int(options.thread),
                    options.learn_from,
                ),
            )
            await tx.execute(
                "INSERT INTO channel_state (channel_id, guild_id, forum) VALUES (?, ?, ?) "
                "ON CONFLICT (channel_id) DO UPDATE SET forum = excluded.forum",
                (channel_id, guild_id, int(options.forum)),
            )
            await tx.execute(BUMP_VERSION)
            if liked:
                await tx.executemany(
                    "INSERT INTO feedback (topic_id, paper_id, user_id, vote, kind, at) "
                    "VALUES (?, ?, ?, 1, 'like', ?)",
                    [(topic_id, paper_id, created_by, to_iso(now)) for paper_id in liked],
                )
                await tx.execute(FEEDBACK_BUMP)
        topic = await self.get_topic(guild_id, topic_id)
        assert topic is not None
        return topic

    async def get_topic(self, guild_id: int, topic_id: int) -> Topic | None:
        row = await self._store.fetch_one(
            f"{_TOPIC_SELECT} WHERE t.guild_id = ? AND t.id = ?", (guild_id, topic_id)
        )
        return _topic(row) if row else None

    async def topics(self, guild_id: int, channel_id: int | None = None) -> list[Topic]:
        if channel_id is None:
            rows = await self._store.fetch_all(
                f"{_TOPIC_SELECT} WHERE t.guild_id = ? ORDER BY t.channel_id, t.id", (guild_id,)
            )
        else:
            rows = await self._store.fetch_all(
                f"{_TOPIC_SELECT} WHERE t.guild_id = ? AND t.channel_id = ? ORDER BY t.id",
                (guild_id, channel_id),
            )
        return [_topic(r) for r in rows]

    async def edit_topic(
        self, topic: Topic, *, query: str, canonical: str, options: TopicOptions, now: datetime
    ) -> Topic:
        """Change a topic in place: its id, history and counts stay. A new query owes no
        paper first seen before the change (as a new topic would not)."""
        async with self._store.transaction() as tx:
            if canonical != topic.canonical:
                duplicate = await scalar_in(
                    tx,
                    "SELECT count(*) FROM topics WHERE channel_id = ? AND canonical = ? "
                    "AND id <> ?",
                    (topic.channel_id, canonical, topic.id),
                )
                if duplicate:
                    raise TopicLimit("duplicate")
                await tx.execute(
                    "UPDATE topics SET new_from = ? WHERE id = ?", (to_iso(now), topic.id)
                )
            await tx.execute(
                "UPDATE topics SET query = ?, canonical = ?, min_upvotes = ?, digest_hour = ?, "
                "mention_role_id = ?, thread = ?, thread_problem = CASE WHEN ? = 1 "
                "THEN thread_problem END, learn_from = ? WHERE id = ?",
                (
                    query,
                    canonical,
                    options.min_upvotes,
                    options.digest_hour,
                    options.mention_role_id,
                    int(options.thread),
                    int(options.thread),
                    options.learn_from,
                    topic.id,
                ),
            )
            await tx.execute(BUMP_VERSION)
        edited = await self.get_topic(topic.guild_id, topic.id)
        assert edited is not None
        return edited

    async def resume_follows(self, channel_id: int, now: datetime) -> bool:
        """Resume a person's paused DM channel, in one transaction: what it owed before the
        pause goes out; papers first seen during the pause are not owed. False if not paused."""
        async with self._store.transaction() as tx:
            paused = await tx.fetch_one(
                "SELECT paused_at FROM channel_state WHERE channel_id = ? AND guild_id = ? "
                "AND paused_reason IS NOT NULL",
                (channel_id, DM_GUILD),
            )
            if paused is None:
                return False
            await tx.execute(
                "UPDATE topics SET paused_from = ?, since = ? WHERE channel_id = ?",
                (paused[0], to_iso(now), channel_id),
            )
            await resume_channel_in(tx, DM_GUILD, channel_id)
            await tx.execute(BUMP_VERSION)
        return True

    async def version(self) -> int:
        """Changes to topics so far (by any process)."""
        value = await self._store.get_meta(VERSION_KEY)
        return int(value) if value else 0

    async def all_topics(self) -> list[Topic]:
        rows = await self._store.fetch_all(f"{_TOPIC_SELECT} ORDER BY t.id")
        # 100,000 rows take a third of a second to convert: not on the event loop.
        return await asyncio.to_thread(lambda: [_topic(r) for r in rows])

    async def remove_topic(self, guild_id: int, topic_id: int) -> Topic | None:
        """Delete a topic and what it alone still owed; returns it, or None if not found."""
        topic = await self.get_topic(guild_id, topic_id)
        if topic is None:
            return None
        async with self._store.transaction() as tx:
            await tx.execute("DELETE FROM topics WHERE id = ?", (topic_id,))
            await tx.execute(BUMP_VERSION)
            pending = await tx.fetch_all(
                "SELECT id, topic_ids FROM deliveries WHERE channel_id = ? AND sent_at IS NULL",
                (topic.channel_id,),
            )
            for row in pending:
                remaining = [t for t in json.loads(row[1]) if t != topic_id]
                if remaining:
                    await tx.execute(
                        "UPDATE deliveries SET topic_ids = ? WHERE id = ?",
                        (json.dumps(remaining), row[0]),
                    )
                else:
                    await tx.execute("DELETE FROM deliveries WHERE id = ?", (row[0],))
        return topic


async def _check_limits(tx: Tx, guild_id: int, channel_id: int, canonical: str) -> None:
    """Raise `TopicLimit` when one more topic would break a limit (inside the insert's
    transaction, so two adds at once cannot both pass)."""
    in_channel = await scalar_in(
        tx, "SELECT count(*) FROM topics WHERE channel_id = ?", (channel_id,)
    )
    if in_channel >= MAX_TOPICS_PER_CHANNEL:
        raise TopicLimit("channel", MAX_TOPICS_PER_CHANNEL)
    in_guild = (
        0
        if guild_id == DM_GUILD  # a person's follows: their DM channel's topics
        else await scalar_in(tx, "SELECT count(*) FROM topics WHERE guild_id = ?", (guild_id,))
    )
    if in_guild >= MAX_TOPICS_PER_GUILD:
        raise TopicLimit("guild", MAX_TOPICS_PER_GUILD)
    duplicate = await scalar_in(
        tx,
        "SELECT count(*) FROM topics WHERE channel_id = ? AND canonical = ?",
        (channel_id, canonical),
    )
    if duplicate:
        raise TopicLimit("duplicate")


def _topic(row: Any) -> Topic:
    created = from_iso(row["created_at"])
    assert created is not None
    return Topic(
        id=row["id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        query=row["query"],
        canonical=row["canonical"],
        min_upvotes=row["min_upvotes"],
        digest_hour=row["digest_hour"],
        created_by=row["created_by"],
        created_at=created,
        posted_count=row["posted_count"],
        paused_reason=row["paused_reason"],
        since=from_iso(row["since"]),
        paused_from=from_iso(row["paused_from"]),
        new_from=from_iso(row["new_from"]),
        mention_role_id=row["mention_role_id"],
        thread=bool(row["thread"]),
        thread_problem=row["thread_problem"],
        learn_from=row["learn_from"],
    )
