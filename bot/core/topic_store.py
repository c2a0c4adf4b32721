"""SQL for topics, channel state and the outbox of deliveries (part of the store)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import aiosqlite

from bot.core.errors import UserError
from bot.core.models import (
    Delivery,
    DeliveryRecord,
    IngestResult,
    NewDelivery,
    OutboxSummary,
    Paper,
    PausedChannel,
    Topic,
)
from bot.core.store import (
    PAPER_COLUMNS,
    Store,
    from_iso,
    paper_columns,
    paper_from_row,
    scalar_in,
    to_iso,
    upsert_papers_in,
)

MAX_TOPICS_PER_CHANNEL = 25
MAX_TOPICS_PER_GUILD = 200

Plan = Callable[[Sequence[Paper]], Sequence[NewDelivery]]

_TOPIC_SELECT = (
    "SELECT t.id, t.guild_id, t.channel_id, t.query, t.canonical, t.min_upvotes, t.digest_hour, "
    "t.created_by, t.created_at, t.posted_count, c.paused_reason FROM topics t "
    "LEFT JOIN channel_state c ON c.channel_id = t.channel_id"
)


class TopicLimitError(UserError):
    """A limit on topics would be broken; nothing was written."""


class TopicStore:
    """Topics and deliveries, on the same database connection as `Store`."""

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
        min_upvotes: int,
        digest_hour: int | None,
        created_by: int,
        now: datetime,
    ) -> Topic:
        """Insert a topic, checking the limits and duplicates in the same transaction."""
        async with self._store.transaction() as conn:
            in_channel = await scalar_in(
                conn, "SELECT count(*) FROM topics WHERE channel_id = ?", (channel_id,)
            )
            if in_channel >= MAX_TOPICS_PER_CHANNEL:
                raise TopicLimitError(
                    f"This channel already has {MAX_TOPICS_PER_CHANNEL} topics, the most it can "
                    "have. Remove one with /topic remove first."
                )
            in_guild = await scalar_in(
                conn, "SELECT count(*) FROM topics WHERE guild_id = ?", (guild_id,)
            )
            if in_guild >= MAX_TOPICS_PER_GUILD:
                raise TopicLimitError(
                    f"This server already has {MAX_TOPICS_PER_GUILD} topics, the most it can "
                    "have. Remove some with /topic remove first."
                )
            duplicate = await scalar_in(
                conn,
                "SELECT count(*) FROM topics WHERE channel_id = ? AND canonical = ?",
                (channel_id, canonical),
            )
            if duplicate:
                raise TopicLimitError("This channel already follows that query.")
            cursor = await conn.execute(
                "INSERT INTO topics (guild_id, channel_id, query, canonical, min_upvotes, "
                "digest_hour, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    guild_id,
                    channel_id,
                    query,
                    canonical,
                    min_upvotes,
                    digest_hour,
                    created_by,
                    to_iso(now),
                ),
            )
            topic_id = cursor.lastrowid
            await conn.execute(
                "INSERT INTO channel_state (channel_id, guild_id) VALUES (?, ?) "
                "ON CONFLICT (channel_id) DO NOTHING",
                (channel_id, guild_id),
            )
        topic = await self.get_topic(guild_id, int(topic_id or 0))
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

    async def all_topics(self) -> list[Topic]:
        rows = await self._store.fetch_all(f"{_TOPIC_SELECT} ORDER BY t.id")
        # 100,000 rows take a third of a second to convert: not on the event loop.
        return await asyncio.to_thread(lambda: [_topic(r) for r in rows])

    async def remove_topic(self, guild_id: int, topic_id: int) -> Topic | None:
        """Delete a topic and what it alone still owed; returns it, or None if not found."""
        topic = await self.get_topic(guild_id, topic_id)
        if topic is None:
            return None
        async with self._store.transaction() as conn:
            await conn.execute("DELETE FROM topics WHERE id = ?", (topic_id,))
            pending = await conn.execute_fetchall(
                "SELECT id, topic_ids FROM deliveries WHERE channel_id = ? AND sent_at IS NULL",
                (topic.channel_id,),
            )
            for row in pending:
                remaining = [t for t in json.loads(row[1]) if t != topic_id]
                if remaining:
                    await conn.execute(
                        "UPDATE deliveries SET topic_ids = ? WHERE id = ?",
                        (json.dumps(remaining), row[0]),
                    )
                else:
                    await conn.execute("DELETE FROM deliveries WHERE id = ?", (row[0],))
        return topic

    async def resume_channel(self, guild_id: int, channel_id: int) -> bool:
        """Clear a channel's pause; True if it was paused."""
        async with self._store.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE channel_state SET paused_reason = NULL, paused_at = NULL "
                "WHERE channel_id = ? AND guild_id = ? AND paused_reason IS NOT NULL",
                (channel_id, guild_id),
            )
            if cursor.rowcount:
                # What waited during the pause goes out now, not after a long backoff.
                await conn.execute(
                    "UPDATE deliveries SET next_attempt_at = due_at "
                    "WHERE channel_id = ? AND sent_at IS NULL AND gave_up_at IS NULL",
                    (channel_id,),
                )
            return bool(cursor.rowcount)

    async def pause_channel(self, channel_id: int, reason: str, now: datetime) -> None:
        async with self._store.transaction() as conn:
            await conn.execute(
                "UPDATE channel_state SET paused_reason = ?, paused_at = ? WHERE channel_id = ?",
                (reason, to_iso(now), channel_id),
            )

    # -- ingest ----------------------------------------------------------------------------------

    async def ingest(self, papers: Sequence[Paper], now: datetime, plan: Plan) -> IngestResult:
        """Store papers and, in the same transaction, the deliveries `plan` derives from them."""
        batch = list(papers)
        async with self._store.transaction() as conn:
            new = await upsert_papers_in(conn, batch, now)
            stored = await _papers_in(conn, [p.id for p in batch])
            # Matching and preparing the rows is CPU work (seconds for a large poll at 100,000
            # topics): a worker thread does it, so the event loop goes on meanwhile.
            rows = await asyncio.to_thread(lambda: _delivery_rows(plan(stored), now))
            await _insert_delivery_rows(conn, rows)
        return IngestResult(seen=len(batch), new=len(new))

    async def queue(self, deliveries: Sequence[NewDelivery], now: datetime) -> int:
        """Queue deliveries (a backfill); returns how many were new."""
        async with self._store.transaction() as conn:
            return await insert_deliveries_in(conn, deliveries, now)

    # -- outbox ----------------------------------------------------------------------------------

    async def due_deliveries(self, now: datetime, limit: int = 100) -> list[Delivery]:
        """Deliveries due now in channels that are not paused, taking channels in turn."""
        rows = await self._store.fetch_all(
            "WITH due AS (SELECT d.*, row_number() OVER (PARTITION BY d.channel_id "
            "ORDER BY d.due_at, d.id) AS turn FROM deliveries d "
            "LEFT JOIN channel_state c ON c.channel_id = d.channel_id "
            "WHERE d.sent_at IS NULL AND d.gave_up_at IS NULL AND d.next_attempt_at <= ? "
            "AND c.paused_reason IS NULL) "
            f"SELECT due.id AS delivery_id, due.guild_id, due.channel_id, due.topic_ids, "
            f"due.digest, due.attempts, {paper_columns('p')} FROM due "
            "JOIN papers p ON p.id = due.paper_id ORDER BY due.turn, due.due_at, due.id LIMIT ?",
            (to_iso(now), limit),
        )
        names = await self._topic_names({t for r in rows for t in json.loads(r["topic_ids"])})
        return [
            Delivery(
                id=r["delivery_id"],
                guild_id=r["guild_id"],
                channel_id=r["channel_id"],
                paper=paper_from_row(r),
                topics=tuple(names[t] for t in json.loads(r["topic_ids"]) if t in names),
                digest=bool(r["digest"]),
                attempts=r["attempts"],
            )
            for r in rows
        ]

    async def delivery_record(self, channel_id: int, paper_id: str) -> DeliveryRecord | None:
        """What became of `paper_id` in `channel_id`: queued, sent, given up, or nothing."""
        row = await self._store.fetch_one(
            "SELECT created_at, due_at, digest, attempts, sent_at, gave_up_at, last_error "
            "FROM deliveries WHERE channel_id = ? AND paper_id = ?",
            (channel_id, paper_id),
        )
        if row is None:
            return None
        created, due = from_iso(row["created_at"]), from_iso(row["due_at"])
        assert created is not None
        assert due is not None
        return DeliveryRecord(
            created_at=created,
            due_at=due,
            digest=bool(row["digest"]),
            attempts=row["attempts"],
            sent_at=from_iso(row["sent_at"]),
            gave_up_at=from_iso(row["gave_up_at"]),
            last_error=row["last_error"],
        )

    async def _topic_names(self, ids: set[int]) -> dict[int, str]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = await self._store.fetch_all(
            f"SELECT id, query FROM topics WHERE id IN ({marks})", tuple(ids)
        )
        return {r[0]: r[1] for r in rows}

    async def next_due(self) -> datetime | None:
        row = await self._store.fetch_one(
            "SELECT min(d.next_attempt_at) FROM deliveries d "
            "LEFT JOIN channel_state c ON c.channel_id = d.channel_id "
            "WHERE d.sent_at IS NULL AND d.gave_up_at IS NULL AND c.paused_reason IS NULL"
        )
        return from_iso(row[0]) if row and row[0] else None

    async def mark_sent(self, ids: Sequence[int], message_id: int, now: datetime) -> None:
        """Record deliveries as sent and count them on their topics."""
        marks = ",".join("?" * len(ids))
        async with self._store.transaction() as conn:
            rows = await conn.execute_fetchall(
                f"SELECT topic_ids FROM deliveries WHERE id IN ({marks}) AND sent_at IS NULL",
                tuple(ids),
            )
            await conn.execute(
                f"UPDATE deliveries SET sent_at = ?, message_id = ?, last_error = NULL "
                f"WHERE id IN ({marks})",
                (to_iso(now), message_id, *ids),
            )
            for row in rows:
                topic_ids = json.loads(row[0])
                topic_marks = ",".join("?" * len(topic_ids))
                await conn.execute(
                    f"UPDATE topics SET posted_count = posted_count + 1 "
                    f"WHERE id IN ({topic_marks})",
                    tuple(topic_ids),
                )

    async def mark_failed(
        self, ids: Sequence[int], error: str, next_attempt: datetime | None, now: datetime
    ) -> None:
        """Keep failed deliveries with their reason: retried at `next_attempt`, or given up."""
        marks = ",".join("?" * len(ids))
        async with self._store.transaction() as conn:
            if next_attempt is None:
                await conn.execute(
                    f"UPDATE deliveries SET attempts = attempts + 1, last_error = ?, "
                    f"gave_up_at = ? WHERE id IN ({marks})",
                    (error, to_iso(now), *ids),
                )
            else:
                await conn.execute(
                    f"UPDATE deliveries SET attempts = attempts + 1, last_error = ?, "
                    f"next_attempt_at = ? WHERE id IN ({marks})",
                    (error, to_iso(next_attempt), *ids),
                )

    async def summary(self, guild_id: int | None = None) -> OutboxSummary:
        where, params = ("WHERE guild_id = ?", (guild_id,)) if guild_id else ("", ())
        row = await self._store.fetch_one(
            "SELECT sum(sent_at IS NULL AND gave_up_at IS NULL), sum(gave_up_at IS NOT NULL) "
            f"FROM deliveries {where}",
            params,
        )
        paused_rows = await self._store.fetch_all(
            "SELECT guild_id, channel_id, paused_reason, paused_at FROM channel_state "
            f"WHERE paused_reason IS NOT NULL {'AND guild_id = ?' if guild_id else ''} "
            "ORDER BY paused_at",
            params,
        )
        paused = tuple(
            PausedChannel(r[0], r[1], r[2], from_iso(r[3]) or datetime.min.replace(tzinfo=UTC))
            for r in paused_rows
        )
        return OutboxSummary(int(row[0] or 0) if row else 0, int(row[1] or 0) if row else 0, paused)


async def insert_deliveries_in(
    conn: aiosqlite.Connection, deliveries: Sequence[NewDelivery], now: datetime
) -> int:
    """Insert inside an open transaction; a (channel, paper) already owed or sent is skipped."""
    return await _insert_delivery_rows(conn, _delivery_rows(deliveries, now))


def _delivery_rows(deliveries: Sequence[NewDelivery], now: datetime) -> list[tuple[Any, ...]]:
    stamp = to_iso(now)
    return [
        (
            d.guild_id,
            d.channel_id,
            d.paper_id,
            json.dumps(list(d.topic_ids)),
            int(d.digest),
            stamp,
            to_iso(d.due_at),
            to_iso(d.due_at),
        )
        for d in deliveries
    ]


async def _insert_delivery_rows(conn: aiosqlite.Connection, rows: list[tuple[Any, ...]]) -> int:
    # One statement for the batch: a paper owed to 10,000 channels is one round trip to
    # SQLite's thread, not 10,000. rowcount sums the rows actually inserted.
    cursor = await conn.executemany(
        "INSERT INTO deliveries (guild_id, channel_id, paper_id, topic_ids, digest, "
        "created_at, due_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (channel_id, paper_id) DO NOTHING",
        rows,
    )
    return max(cursor.rowcount, 0)


async def _papers_in(conn: aiosqlite.Connection, ids: Sequence[str]) -> list[Paper]:
    papers: list[Paper] = []
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        marks = ",".join("?" * len(chunk))
        rows = await conn.execute_fetchall(
            f"SELECT {PAPER_COLUMNS} FROM papers WHERE id IN ({marks})", chunk
        )
        papers.extend(paper_from_row(r) for r in rows)
    return papers


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
    )
