"""The outbox loop with a fake transport and a real SQLite store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.delivery.outbox import (
    BATCH_CHANNELS,
    MAX_ATTEMPTS,
    ForumPost,
    Outbox,
    nonce_for,
)
from bot.core.delivery.pace import Pace
from bot.core.errors import DeliveryFailed
from bot.core.models import NewDelivery, Paper, TopicOptions
from bot.core.store import Store
from bot.core.store.deliveries import DeliveryStore
from bot.core.store.topics import TopicStore

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class FakeTransport:
    def __init__(self) -> None:
        self.cards: list[tuple[int, str, tuple[str, ...]]] = []
        self.digests: list[tuple[int, list[str], int]] = []
        self.failures: dict[int, DeliveryFailed] = {}
        self.nonces: list[str] = []
        self.bundles: list[tuple[int, list[str]]] = []
        self.threads: list[tuple[int, int, str]] = []
        self.in_doubt: list[datetime | None] = []  # each forum post's `posted_since`

    async def send_card(
        self,
        channel_id: int,
        paper: Paper,
        topics: Sequence[str],
        *,
        nonce: str,
        mentions: Sequence[int] = (),
        forum: ForumPost | None = None,
    ) -> int:
        if forum is not None:
            self.in_doubt.append(forum.posted_since)
        if channel_id in self.failures:
            raise self.failures[channel_id]
        self.nonces.append(nonce)
        self.cards.append((channel_id, paper.id, tuple(topics)))
        return len(self.cards)

    async def send_bundle(
        self,
        channel_id: int,
        entries: Sequence[tuple[Paper, Sequence[str]]],
        *,
        nonce: str,
        mentions: Sequence[int] = (),
    ) -> int:
        if channel_id in self.failures:
            raise self.failures[channel_id]
        self.nonces.append(nonce)
        self.bundles.append((channel_id, [paper.id for paper, _topics in entries]))
        return 2000 + len(self.bundles)

    async def send_digest(
        self,
        channel_id: int,
        papers: Sequence[Paper],
        more: int,
        topics: Sequence[str],
        *,
        nonce: str,
        mentions: Sequence[int] = (),
        forum: ForumPost | None = None,
    ) -> int:
        self.nonces.append(nonce)
        self.digests.append((channel_id, [p.id for p in papers], more))
        return 1000 + len(self.digests)

    async def open_thread(self, channel_id: int, message_id: int, name: str) -> None:
        self.threads.append((channel_id, message_id, name))


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


async def no_sleep(_: float) -> None:
    return None


async def two_channels(store: Store, *, forum: bool = False) -> DeliveryStore:
    """Channels 10 and 20 with a topic each (forums, or not), and 30 stored papers."""
    topic_store = TopicStore(store)
    for channel in (10, 20):
        await topic_store.add_topic(
            guild_id=1,
            channel_id=channel,
            query="x",
            canonical="x",
            options=TopicOptions(forum=forum),
            created_by=5,
            now=T0 - timedelta(days=1),
        )
    await store.upsert_papers([Paper(id=f"2611.{i:05d}", title=f"P{i}") for i in range(30)], T0)
    return DeliveryStore(store)


@pytest.fixture
async def topics(store: Store) -> DeliveryStore:
    return await two_channels(store)


def owed(channel: int, paper: int, *, due: datetime = T0, digest: bool = False) -> NewDelivery:
    return NewDelivery(1, channel, f"2611.{paper:05d}", (1 if channel == 10 else 2,), due, digest)


def outbox(topics: DeliveryStore, transport: FakeTransport, clock: Clock) -> Outbox:
    return Outbox(
        topics, transport, pace=Pace(per_second=1000, backoff_base=10), clock=clock, sleep=no_sleep
    )


async def test_papers_due_for_one_channel_go_as_one_message(topics: DeliveryStore) -> None:
    await topics.queue([owed(10, 1), owed(10, 2), owed(10, 3), owed(20, 4)], T0)
    transport, clock = FakeTransport(), Clock()
    box = outbox(topics, transport, clock)
    assert await box.drain() == 2
    assert transport.bundles == [(10, ["2611.00001", "2611.00002", "2611.00003"])]
    assert [c[:2] for c in transport.cards] == [(20, "2611.00004")]  # alone: the full card
    assert transport.cards[0][2] == ("x",)
    assert await box.drain() == 0


async def test_a_bundle_holds_ten_papers_at_most(topics: DeliveryStore) -> None:
    await topics.queue([owed(10, i) for i in range(21)], T0)
    transport, clock = FakeTransport(), Clock()
    box = outbox(topics, transport, clock)
    assert await box.drain() == 3
    assert [len(ids) for _channel, ids in transport.bundles] == [10, 10]
    assert [c[1] for c in transport.cards] == ["2611.00020"]
    flat = [pid for _channel, ids in transport.bundles for pid in ids] + ["2611.00020"]
    assert flat == [f"2611.{i:05d}" for i in range(21)]  # in the order they became due


async def test_each_message_carries_a_nonce_made_of_its_deliveries(topics: DeliveryStore) -> None:
    await topics.queue([owed(10, 1), owed(10, 2), owed(20, 3)], T0)
    transport = FakeTransport()
    await outbox(topics, transport, Clock()).drain()
    due = {d.paper.id: d.id for d in await topics.due_deliveries(T0 - timedelta(days=9))}
    assert due == {}
    assert len(set(transport.nonces)) == 2
    assert all(len(n) <= 25 for n in transport.nonces)
    assert nonce_for([5]) == "pb5"
    assert nonce_for([2, 1]) == nonce_for([1, 2]) != nonce_for([1, 3])


async def test_a_failure_is_kept_with_its_reason_and_retried_with_backoff(
    topics: DeliveryStore, store: Store
) -> None:
    await topics.queue([owed(10, 1)], T0)
    transport, clock = FakeTransport(), Clock()
    transport.failures[10] = DeliveryFailed("retry", "Discord answered 500")
    box = outbox(topics, transport, clock)
    await box.drain()
    row = await store.fetch_one(
        "SELECT attempts, last_error, next_attempt_at, sent_at FROM deliveries"
    )
    assert row is not None
    assert (row[0], row[1], row[3]) == (1, "Discord answered 500", None)
    retry_at = datetime.fromisoformat(row[2])
    assert T0 + timedelta(seconds=8) <= retry_at <= T0 + timedelta(seconds=12)
    assert await box.drain() == 0, "not before its next attempt time"
    del transport.failures[10]
    clock.now = retry_at
    assert await box.drain() == 1


async def test_a_forum_post_is_in_doubt_after_a_failed_attempt_or_a_restart(
    store: Store,
) -> None:
    # Where Discord takes no nonce (a forum post), the transport looks for the message before
    # sending it again: only when an earlier attempt failed, or the delivery was queued before
    # this process started (its sender may have died between Discord's answer and the record).
    topics = await two_channels(store, forum=True)
    queued = T0 - timedelta(minutes=1)
    await topics.queue([owed(10, 1)], queued)
    transport, clock = FakeTransport(), Clock()
    transport.failures[10] = DeliveryFailed("retry", "could not reach Discord")
    fresh = Outbox(topics, transport, pace=Pace(backoff_base=10), clock=Clock(), sleep=no_sleep)
    await topics.queue([owed(20, 2)], T0)
    # Outbox started at T0: paper 2 (queued at T0) is in no doubt; paper 1 (queued before) is.
    await fresh.drain()
    assert sorted(transport.in_doubt, key=str) == [queued, None]

    clock.now = queued - timedelta(hours=1)
    box = outbox(topics, transport, clock)  # a process that was running all along
    transport.in_doubt.clear()
    del transport.failures[10]
    clock.now = T0 + timedelta(hours=1)
    await box.drain()
    assert transport.in_doubt == [queued], "its first attempt failed: maybe Discord has it"


async def test_after_the_last_attempt_it_is_kept_as_undeliverable(topics: DeliveryStore) -> None:
    await topics.queue([owed(10, 1)], T0)
    transport, clock = FakeTransport(), Clock()
    transport.failures[10] = DeliveryFailed("retry", "Discord answered 400")
    box = outbox(topics, transport, clock)
    for _ in range(MAX_ATTEMPTS):
        clock.now += timedelta(days=1)
        await box.drain()
    summary = await topics.summary()
    assert (summary.pending, summary.undeliverable) == (0, 1)


async def test_403_pauses_the_channel_and_others_go_on(topics: DeliveryStore) -> None:
    await topics.queue([owed(10, 1), owed(10, 2), owed(20, 3)], T0)
    transport, clock = FakeTransport(), Clock()
    transport.failures[10] = DeliveryFailed("forbidden", "403 Missing Access")
    box = outbox(topics, transport, clock)
    await box.drain()
    assert [c[:2] for c in transport.cards] == [(20, "2611.00003")]
    summary = await topics.summary(1)
    assert [p.channel_id for p in summary.paused] == [10]
    assert summary.paused[0].reason == "403 Missing Access"
    assert summary.pending == 2
    del transport.failures[10]
    assert await box.drain() == 0, "a paused channel waits"
    assert await topics.next_due(T0) is None, "nothing is due while the channel is paused"
    assert await topics.resume_channel(1, 10)
    assert await box.drain() == 1
    assert transport.bundles == [(10, ["2611.00001", "2611.00002"])]


async def test_digest_deliveries_go_out_as_one_message_at_their_hour(
    topics: DeliveryStore, store: Store
) -> None:
    nine = T0 + timedelta(hours=3)
    await topics.queue([owed(10, i, due=nine, digest=True) for i in range(12)], T0)
    transport, clock = FakeTransport(), Clock()
    box = outbox(topics, transport, clock)
    assert await box.drain() == 0
    clock.now = nine
    assert await box.drain() == 1
    (digest,) = transport.digests
    assert (digest[0], len(digest[1]), digest[2]) == (10, 10, 2)
    row = await store.fetch_one("SELECT count(*) FROM deliveries WHERE sent_at IS NOT NULL")
    assert row is not None
    assert row[0] == 12


async def test_an_unexpected_error_never_stops_the_loop(topics: DeliveryStore) -> None:
    import asyncio

    await topics.queue([owed(10, 1)], T0)

    class Flaky(FakeTransport):
        calls = 0

        async def send_card(
            self,
            channel_id: int,
            paper: Paper,
            topics: Sequence[str],
            *,
            nonce: str,
            mentions: Sequence[int] = (),
            forum: ForumPost | None = None,
        ) -> int:
            self.calls += 1
            if self.calls == 1:
                raise RuntimeError("a bug somewhere")
            return await super().send_card(channel_id, paper, topics, nonce=nonce)

    transport = Flaky()
    box = outbox(topics, transport, Clock())
    runner = asyncio.create_task(box.run())
    try:
        for _ in range(200):
            if transport.cards:
                break
            await asyncio.sleep(0.01)
    finally:
        runner.cancel()
    assert [c[1] for c in transport.cards] == ["2611.00001"]


async def test_a_pause_and_a_give_up_are_each_reported_once_to_the_servers_log(
    topics: DeliveryStore,
) -> None:
    await topics.queue([owed(10, 1), owed(10, 2), owed(20, 3)], T0)
    transport, clock = FakeTransport(), Clock()
    transport.failures[10] = DeliveryFailed("forbidden", "403 Missing Access")
    transport.failures[20] = DeliveryFailed("retry", "Discord answered 400")
    reported: list[tuple[int | None, str]] = []

    async def report(guild_id: int | None, line: str) -> None:
        reported.append((guild_id, line))

    box = Outbox(
        topics,
        transport,
        pace=Pace(per_second=1000, backoff_base=10),
        clock=clock,
        sleep=no_sleep,
        report=report,
    )
    for _ in range(MAX_ATTEMPTS):
        clock.now += timedelta(days=1)
        await box.drain()
    assert reported == [
        (
            1,
            "Paused posting in <#10>: 403 Missing Access. What it owes waits; `/topic resume` "
            "sends it once that is fixed.",
        ),
        (1, f"Gave up on 1 paper for <#20> after {MAX_ATTEMPTS} attempts: Discord answered 400"),
    ]


async def test_in_a_fleet_each_outbox_takes_its_share_of_a_batchs_channels(
    topics: DeliveryStore,
) -> None:
    owed = [
        NewDelivery(1, channel, "2611.00001", (topic,), T0, False)
        for channel, topic in ((10, 1), (20, 2))
    ]
    await topics.queue(owed, T0)
    transport = FakeTransport()
    # As many processes as a batch has channels: each batch serves one channel, the others
    # find the rest.
    outbox = Outbox(
        topics, transport, processes=lambda: BATCH_CHANNELS, clock=Clock(), sleep=no_sleep
    )
    assert await outbox.drain() == 1
    assert [c for c, _paper, _topics in transport.cards] == [10]
    assert await outbox.drain() == 1
    assert [c for c, _paper, _topics in transport.cards] == [10, 20]
