"""SQL for the outbox: deliveries owed, due, sent, failed; paused channels (part of the store).

Picking the next batch costs the same at a thousand pending deliveries and at a million: the
oldest due rows come off a partial index (first the channels they belong to, then those
channels' own due rows, off a second index), never a scan of the backlog. A paused channel's
deliveries wait with their next attempt set to `PAUSED`, out of every batch, until it resumes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.core.models import (
    DM_GUILD,
    RECOMMENDED,
    RECOMMENDED_NAME,
    Delivery,
    DeliveryRecord,
    NewDelivery,
    OutboxSummary,
    PausedChannel,
)
from bot.core.store import Store
from bot.core.store.driver import Tx, from_iso, to_iso
from bot.core.store.papers import paper_columns, paper_from_row
from bot.core.store.sqlite import SqliteTx

# Far past any real time: where a paused channel's deliveries wait.
PAUSED = "9999-12-31T00:00:00.000000+00:00"
CHANNELS_PER_BATCH = 50
PER_CHANNEL = 100  # due deliveries of one channel read at once (a digest shows 10, counts more)
SCAN = 2000  # due rows looked at to find the batch's channels, oldest first

_PENDING = "sent_at IS NULL AND gave_up_at IS NULL"
# The channels of the oldest SCAN due rows, oldest first: read off deliveries_pending in order
# (never a sort of the backlog); only those rows are grouped. Channels another process holds a
# live lease on are passed over.
_UNLEASED = (
    "NOT EXISTS (SELECT 1 FROM outbox_leases l WHERE l.channel_id = d.channel_id "
    "AND l.until > ? AND l.holder <> ?)"
)
OLDEST_CHANNELS = (
    "SELECT channel_id FROM (SELECT channel_id, next_attempt_at FROM deliveries d "
    f"WHERE {_PENDING} AND next_attempt_at <= ? AND {_UNLEASED} "
    "ORDER BY next_attempt_at LIMIT ?) AS oldest "
    "GROUP BY channel_id ORDER BY min(next_attempt_at), channel_id LIMIT ?"
)
# A channel's lease: taken when free, run out, or already ours (then renewed).
_CLAIM = (
    "INSERT INTO outbox_leases (channel_id, holder, until) VALUES (?, ?, ?) "
    "ON CONFLICT (channel_id) DO UPDATE SET holder = excluded.holder, until = excluded.until "
    "WHERE outbox_leases.until <= ? OR outbox_leases.holder = excluded.holder "
    "RETURNING channel_id"
)
LEASE_SECONDS = 60.0  # how long a channel waits for a process that died while sending to it


class DeliveryStore:
    """Deliveries, on the same database as `Store`.

    Several processes may send from one database: each batch's channels are leased to the
    process (`holder`) that picked them, for `lease_seconds`, so that no two processes send
    to one channel at once; a lease whose process died runs out and is taken over.
    """

    def __init__(
        self,
        store: Store,
        *,
        holder: str = "local",
        lease_seconds: float = LEASE_SECONDS,
        sole: bool = False,
    ) -> None:
        self._store = store
        self.holder = holder
        # The only process on its database (SQLite): a lease another holder left is an
        # earlier run's, void at once; a restart resends within Discord's nonce window.
        self.sole = sole
        self.lease = timedelta(seconds=lease_seconds)
        self._renewed: dict[int, datetime] = {}  # this process's leases: when last extended

    async def queue(self, deliveries: Sequence[NewDelivery], now: datetime) -> int:
        """Queue deliveries (a backfill); returns how many were new."""
        async with self._store.transaction() as tx:
            return await insert_delivery_rows(tx, delivery_rows(deliveries, now))

    async def due_deliveries(
        self, now: datetime, channels: int = CHANNELS_PER_BATCH, per_channel: int = PER_CHANNEL
    ) -> list[Delivery]:
        """Due deliveries of the channels whose oldest delivery waits longest (channels in
        turn), each channel's in the order they became due; paused channels never."""
        stamp = to_iso(now)
        picked = await self._store.fetch_all(
            OLDEST_CHANNELS, (stamp, self._lease_check(now), self.holder, SCAN, channels)
        )
        if not picked:
            return []
        # The only process needs no lease: no write per batch on a SQLite file.
        ids = [int(r[0]) for r in picked]
        taken_over: set[int] = set()
        if not self.sole:
            ids, taken_over = await self._claim(ids, now)
        if not ids:
            return []
        # Each channel's first due rows off its own index: never more than `per_channel` read,
        # however many it owes.
        one = (
            "SELECT * FROM (SELECT id, guild_id, channel_id, paper_id, topic_ids, digest, "
            "attempts, created_at, due_at, next_attempt_at FROM deliveries "
            f"WHERE channel_id = ? AND {_PENDING} AND next_attempt_at <= ? "
            "ORDER BY next_attempt_at, id LIMIT ?) AS owed"
        )
        union = " UNION ALL ".join([one] * len(ids))
        params = [value for channel in ids for value in (channel, stamp, per_channel)]
        rows = await self._store.fetch_all(
            f"WITH due AS ({union}) "
            "SELECT due.id AS delivery_id, due.guild_id, due.channel_id, due.topic_ids, "
            "due.digest, due.attempts, due.created_at AS queued_at, coalesce(c.forum, 0) AS forum, "
            f"{paper_columns('p')} "
            "FROM due JOIN papers p ON p.id = due.paper_id "
            "LEFT JOIN channel_state c ON c.channel_id = due.channel_id "
            "ORDER BY due.channel_id, due.next_attempt_at, due.id",
            params,
        )
        names, roles, threaded = await self._topic_names(
            {t for r in rows for t in json.loads(r["topic_ids"])}
        )
        return [
            Delivery(
                id=r["delivery_id"],
                guild_id=r["guild_id"],
                channel_id=r["channel_id"],
                paper=paper_from_row(r),
                topics=tuple(names[t] for t in json.loads(r["topic_ids"]) if t in names),
                digest=bool(r["digest"]),
                attempts=r["attempts"],
                mentions=tuple(
                    sorted({roles[t] for t in json.loads(r["topic_ids"]) if roles.get(t)})
                ),
                thread=any(t in threaded for t in json.loads(r["topic_ids"])),
                forum=bool(r["forum"]),
                queued_at=from_iso(r["queued_at"]),
                taken_over=r["channel_id"] in taken_over,
            )
            for r in rows
        ]

    async def _claim(self, channels: list[int], now: datetime) -> tuple[list[int], set[int]]:
        """Lease `channels` to this process; returns those it got (another may hold some), and
        those of them taken over from another process's run-out lease: a process that died
        while sending there, maybe after Discord took a message it never recorded."""
        stamp, until = self._lease_check(now), to_iso(now + self.lease)
        claimed: list[int] = []
        marks = ",".join("?" * len(channels))
        async with self._store.transaction() as tx:
            # A batch gives its leases back when done: one still there was left by the dead.
            left = await tx.fetch_all(
                f"SELECT channel_id FROM outbox_leases WHERE channel_id IN ({marks}) "
                "AND holder <> ?",
                (*channels, self.holder),
            )
            for channel in channels:
                row = await tx.fetch_one(_CLAIM, (channel, self.holder, until, stamp))
                if row is not None:
                    claimed.append(channel)
        self._renewed.update(dict.fromkeys(claimed, now))
        return claimed, {int(r[0]) for r in left} & set(claimed)

    async def renew(self, channel_id: int, now: datetime) -> bool:
        """Keep this process's lease on the channel while it still sends there (a long batch
        outlives a lease); False when it ran out and another process took the channel. Written
        once a third of a lease has passed, not for every message."""
        if self.sole:
            return True
        last = self._renewed.get(channel_id)
        if last is not None and now - last < self.lease / 3:
            return True
        async with self._store.transaction() as tx:
            kept = await tx.execute(
                "UPDATE outbox_leases SET until = ? WHERE channel_id = ? AND holder = ?",
                (to_iso(now + self.lease), channel_id, self.holder),
            )
        if kept:
            self._renewed[channel_id] = now
        return kept > 0

    def _lease_check(self, now: datetime) -> str:
        """Leases running past this moment hold; none does when this process is `sole`."""
        return PAUSED if self.sole else to_iso(now)

    async def release(self, channels: Sequence[int]) -> None:
        """Give back this process's leases on `channels` (their batch is done)."""
        if not channels or self.sole:
            return
        for channel in channels:
            self._renewed.pop(channel, None)
        marks = ",".join("?" * len(channels))
        async with self._store.transaction() as tx:
            await tx.execute(
                f"DELETE FROM outbox_leases WHERE holder = ? AND channel_id IN ({marks})",
                (self.holder, *channels),
            )

    async def _topic_names(self, ids: set[int]) -> tuple[dict[int, str], dict[int, int], set[int]]:
        """The topics' names, the roles those that ping one ping, and those wanting threads."""
        names = {RECOMMENDED: RECOMMENDED_NAME} if RECOMMENDED in ids else {}
        ids = ids - {RECOMMENDED}
        if not ids:
            return names, {}, set()
        marks = ",".join("?" * len(ids))
        rows = await self._store.fetch_all(
            f"SELECT id, query, mention_role_id, thread FROM topics WHERE id IN ({marks})",
            tuple(ids),
        )
        roles = {int(r[0]): int(r[2]) for r in rows if r[2] is not None}
        threaded = {int(r[0]) for r in rows if r[3]}
        return names | {r[0]: r[1] for r in rows}, roles, threaded

    async def thread_refused(self, channel_id: int, reason: str) -> bool:
        """Note why Discord refused a thread for the channel's thread topics; True if that is
        news (the reason changed), to be reported once."""
        async with self._store.transaction() as tx:
            changed = await tx.execute(
                "UPDATE topics SET thread_problem = ? WHERE channel_id = ? AND thread = 1 "
                "AND (thread_problem IS NULL OR thread_problem <> ?)",
                (reason, channel_id, reason),
            )
        return changed > 0

    async def thread_opened(self, channel_id: int) -> None:
        """Threads work in the channel (again): forget an old refusal."""
        async with self._store.transaction() as tx:
            await tx.execute(
                "UPDATE topics SET thread_problem = NULL WHERE channel_id = ? "
                "AND thread_problem IS NOT NULL",
                (channel_id,),
            )

    async def next_due(self, now: datetime) -> datetime | None:
        """When the next delivery this process may send falls due (leased channels aside)."""
        row = await self._store.fetch_one(
            f"SELECT min(next_attempt_at) FROM deliveries d WHERE {_PENDING} AND {_UNLEASED}",
            (self._lease_check(now), self.holder),
        )
        if not row or not row[0] or row[0] == PAUSED:
            return None
        return from_iso(row[0])

    async def mark_sent(self, ids: Sequence[int], message_id: int, now: datetime) -> None:
        """Record deliveries as sent and count them on their topics."""
        marks = ",".join("?" * len(ids))
        async with self._store.transaction() as tx:
            rows = await tx.fetch_all(
                f"SELECT topic_ids FROM deliveries WHERE id IN ({marks}) AND sent_at IS NULL",
                tuple(ids),
            )
            await tx.execute(
                f"UPDATE deliveries SET sent_at = ?, message_id = ?, last_error = NULL "
                f"WHERE id IN ({marks})",
                (to_iso(now), message_id, *ids),
            )
            counted: dict[int, int] = {}
            for row in rows:
                for topic_id in json.loads(row[0]):
                    counted[topic_id] = counted.get(topic_id, 0) + 1
            await tx.executemany(
                "UPDATE topics SET posted_count = posted_count + ? WHERE id = ?",
                [(n, topic_id) for topic_id, n in counted.items()],
            )

    async def mark_failed(
        self, ids: Sequence[int], error: str, next_attempt: datetime | None, now: datetime
    ) -> None:
        """Keep failed deliveries with their reason: retried at `next_attempt`, or given up."""
        marks = ",".join("?" * len(ids))
        async with self._store.transaction() as tx:
            if next_attempt is None:
                await tx.execute(
                    f"UPDATE deliveries SET attempts = attempts + 1, last_error = ?, "
                    f"gave_up_at = ? WHERE id IN ({marks})",
                    (error, to_iso(now), *ids),
                )
            else:
                await tx.execute(
                    f"UPDATE deliveries SET attempts = attempts + 1, last_error = ?, "
                    f"next_attempt_at = ? WHERE id IN ({marks})",
                    (error, to_iso(next_attempt), *ids),
                )

    async def pause_channel(self, channel_id: int, reason: str, now: datetime) -> None:
        """Stop posting to a channel: its deliveries wait, out of every batch, until resumed."""
        async with self._store.transaction() as tx:
            await tx.execute(
                "UPDATE channel_state SET paused_reason = ?, paused_at = ? WHERE channel_id = ?",
                (reason, to_iso(now), channel_id),
            )
            # A person's DM channel: they are told (privately, once) at their next command.
            await tx.execute(
                "UPDATE people SET told_at = NULL WHERE dm_channel_id = ?", (channel_id,)
            )
            await tx.execute(
                f"UPDATE deliveries SET next_attempt_at = ? WHERE channel_id = ? AND {_PENDING}",
                (PAUSED, channel_id),
            )

    async def resume_channel(self, guild_id: int, channel_id: int) -> bool:
        """Clear a channel's pause; True if it was paused."""
        async with self._store.transaction() as tx:
            return await resume_channel_in(tx, guild_id, channel_id)

    async def summary(self, guild_id: int | None = None) -> OutboxSummary:
        where, params = ("WHERE guild_id = ?", (guild_id,)) if guild_id else ("", ())
        row = await self._store.fetch_one(
            f"SELECT sum(CASE WHEN {_PENDING} THEN 1 ELSE 0 END), "
            "sum(CASE WHEN gave_up_at IS NOT NULL THEN 1 ELSE 0 END) "
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


def delivery_rows(deliveries: Sequence[NewDelivery], now: datetime) -> list[tuple[Any, ...]]:
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


async def resume_channel_in(tx: Tx, guild_id: int, channel_id: int) -> bool:
    """Clear a channel's pause inside an open transaction; True if it was paused."""
    resumed = await tx.execute(
        "UPDATE channel_state SET paused_reason = NULL, paused_at = NULL "
        "WHERE channel_id = ? AND guild_id = ? AND paused_reason IS NOT NULL",
        (channel_id, guild_id),
    )
    if resumed:
        # What waited during the pause goes out now (a digest at its hour), not after a long
        # backoff.
        await tx.execute(
            f"UPDATE deliveries SET next_attempt_at = due_at WHERE channel_id = ? AND {_PENDING}",
            (channel_id,),
        )
    return bool(resumed)


async def insert_delivery_rows(tx: Tx, rows: list[tuple[Any, ...]]) -> int:
    """Insert inside an open transaction; a (channel, paper) already owed or sent is skipped.

    Returns how many were new. A paused channel's new deliveries wait with the others (their
    next attempt is `PAUSED`); a paused DM channel (a person's follows) owes nothing new: the
    person closed their DMs or paused, and resuming must not bring a flood of old papers; nor
    does the DM channel of a person erased meanwhile (a poll planned before /forget me).
    """
    if not rows:
        return 0
    if isinstance(tx, SqliteTx):
        # One statement for the batch: a paper owed to 10,000 channels is one round trip to
        # SQLite's thread, not 10,000. The count sums the rows actually inserted.
        return await tx.executemany_count(
            "INSERT INTO deliveries (guild_id, channel_id, paper_id, topic_ids, digest, "
            "created_at, due_at, next_attempt_at) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, "
            "CASE WHEN EXISTS (SELECT 1 FROM channel_state c WHERE c.channel_id = ?2 "
            f"AND c.paused_reason IS NOT NULL) THEN '{PAUSED}' ELSE ?8 END "
            f"WHERE ?1 <> {DM_GUILD} OR (NOT EXISTS (SELECT 1 FROM channel_state c "
            "WHERE c.channel_id = ?2 AND c.paused_reason IS NOT NULL) "
            "AND EXISTS (SELECT 1 FROM people p WHERE p.dm_channel_id = ?2)) "
            "ON CONFLICT (channel_id, paper_id) DO NOTHING",
            rows,
        )
    # PostgreSQL: the batch as arrays, one statement, one round trip.
    columns = list(zip(*rows, strict=True))
    return await tx.execute(
        "INSERT INTO deliveries (guild_id, channel_id, paper_id, topic_ids, digest, "
        "created_at, due_at, next_attempt_at) "
        "SELECT r.guild_id, r.channel_id, r.paper_id, r.topic_ids, r.digest, r.created_at, "
        f"r.due_at, CASE WHEN c.paused_reason IS NOT NULL THEN '{PAUSED}' ELSE r.next_at END "
        "FROM unnest(?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::int[], ?::text[], "
        "?::text[], ?::text[]) WITH ORDINALITY AS r (guild_id, channel_id, paper_id, "
        "topic_ids, digest, created_at, due_at, next_at, n) "
        "LEFT JOIN channel_state c ON c.channel_id = r.channel_id "
        f"WHERE r.guild_id <> {DM_GUILD} OR (c.paused_reason IS NULL "
        "AND EXISTS (SELECT 1 FROM people p WHERE p.dm_channel_id = r.channel_id)) "
        "ORDER BY r.n "  # ids in the order planned, as on SQLite
        "ON CONFLICT (channel_id, paper_id) DO NOTHING",
        [list(column) for column in columns],
    )
