"""Several processes over one database: channel leases, the polling lock, heartbeats, the
IDENTIFY gate. Two processes are two stores (two connections) on the same database."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from bot.core.delivery.fleet import FLEET_CHANNEL, Fleet, describe_shards
from bot.core.delivery.ingest import Ingest
from bot.core.delivery.planner import Planner
from bot.core.matching.vocabulary import VocabularyCache
from bot.core.models import NewDelivery, Paper
from bot.core.store import Store
from bot.core.store.deliveries import DeliveryStore
from bot.core.store.postgres import PostgresDatabase
from bot.core.store.topics import TopicStore
from bot.core.topics import TopicService

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@asynccontextmanager
async def other_process(store: Store) -> AsyncIterator[Store]:
    """A second process's own store on the same database (PostgreSQL), or the same store."""
    if isinstance(store.db, PostgresDatabase):
        async with await Store.open(store.db.url) as second:
            yield second
    else:
        yield store  # one process per SQLite file: the second "process" shares its store


async def owe(store: Store, channels: range) -> None:
    await store.upsert_papers([Paper(id="2611.00001", title="P")], T0)
    await DeliveryStore(store).queue(
        [NewDelivery(1, c, "2611.00001", (1,), T0, False) for c in channels], T0
    )


async def test_a_channel_leased_to_one_process_is_passed_over_by_another(store: Store) -> None:
    await owe(store, range(1, 5))
    async with other_process(store) as second:
        first = DeliveryStore(store, holder="a")
        other = DeliveryStore(second, holder="b")
        mine = await first.due_deliveries(T0, channels=2)
        assert sorted(d.channel_id for d in mine) == [1, 2]
        theirs = await other.due_deliveries(T0)
        assert sorted(d.channel_id for d in theirs) == [3, 4], "leased channels are skipped"
        await first.release([1, 2])
        assert sorted(d.channel_id for d in await other.due_deliveries(T0)) == [1, 2, 3, 4]


async def test_a_lease_whose_process_died_is_retaken_when_it_runs_out(store: Store) -> None:
    await owe(store, range(1, 3))
    async with other_process(store) as second:
        died = DeliveryStore(store, holder="dead", lease_seconds=30)
        survivor = DeliveryStore(second, holder="alive", lease_seconds=30)
        assert len(await died.due_deliveries(T0)) == 2  # ... and never sends nor releases
        assert await survivor.due_deliveries(T0 + timedelta(seconds=29)) == []
        assert await survivor.next_due(T0 + timedelta(seconds=29)) is None
        later = T0 + timedelta(seconds=31)
        assert await survivor.next_due(later) == T0
        assert sorted(d.channel_id for d in await survivor.due_deliveries(later)) == [1, 2]
        assert await died.due_deliveries(later) == [], "the lease moved to the survivor"


async def test_a_channel_taken_over_from_a_dead_process_is_marked_as_such(
    store: Store,
) -> None:
    # Its sender may have died after Discord took a message it never recorded: what the
    # survivor sends there is in doubt (a forum post is looked for before being made again).
    await owe(store, range(1, 3))
    async with other_process(store) as second:
        died = DeliveryStore(store, holder="dead", lease_seconds=30)
        survivor = DeliveryStore(second, holder="alive", lease_seconds=30)
        assert len(await died.due_deliveries(T0, channels=1)) == 1  # channel 1, never released
        later = await survivor.due_deliveries(T0 + timedelta(seconds=31))
        assert {d.channel_id: d.taken_over for d in later} == {1: True, 2: False}
        await survivor.release([1, 2])
        again = await survivor.due_deliveries(T0 + timedelta(seconds=32))
        assert [d.taken_over for d in again] == [False, False], "its own released leases"


async def test_a_long_batch_keeps_its_lease_and_leaves_one_taken_over(store: Store) -> None:
    await owe(store, range(1, 2))
    async with other_process(store) as second:
        slow = DeliveryStore(store, holder="slow", lease_seconds=30)
        other = DeliveryStore(second, holder="other", lease_seconds=30)
        assert len(await slow.due_deliveries(T0)) == 1
        assert await slow.renew(1, T0 + timedelta(seconds=20))  # still sending: until T0+50
        assert await other.due_deliveries(T0 + timedelta(seconds=40)) == [], "still leased"
        # Too slow to renew in time: the channel is taken over, and the slow one is told.
        assert len(await other.due_deliveries(T0 + timedelta(seconds=51))) == 1
        assert not await slow.renew(1, T0 + timedelta(seconds=52))


async def test_exactly_one_process_polls_and_another_takes_over_when_it_dies(
    store: Store,
) -> None:
    if not isinstance(store.db, PostgresDatabase):
        assert await Fleet(store).may_poll(), "the only process on a SQLite file polls"
        return
    one = await Store.open(store.db.url)
    two = await Store.open(store.db.url)
    try:
        first, second = Fleet(one), Fleet(two)
        assert await first.may_poll()
        assert not await second.may_poll()
        assert await first.may_poll(), "the poller keeps polling"
        await one.close()  # the process dies: its connections close with it
        assert await second.may_poll()
        assert second.polling
    finally:
        await two.close()


async def test_heartbeats_count_the_living_and_share_the_rate(store: Store) -> None:
    now = [T0]
    shares: list[int] = []
    async with other_process(store) as second:
        a = Fleet(store, shards="0-1 of 4", clock=lambda: now[0])
        b = Fleet(second, shards="2-3 of 4", clock=lambda: now[0])
        b.process += ":b"  # two processes of one test share a pid
        await a.beat()
        shares.append(a.size)  # what the outbox divides the send rate by
        await b.beat()
        await a.beat()
        shares.append(a.size)
        assert shares == [1, 2]
        assert [m.shards for m in await a.members()] == ["0-1 of 4", "2-3 of 4"]
        now[0] = T0 + timedelta(seconds=a.heartbeat * 4)  # b falls silent; a goes on
        await a.beat()
        shares.append(a.size)
        assert shares[-1] == 1
        await a.leave()
        assert await b.members() == []


async def test_identify_slots_are_spaced_across_processes(store: Store) -> None:
    async with other_process(store) as second:
        a, b = Fleet(store, identify_seconds=1), Fleet(second, identify_seconds=1)
        start = time.monotonic()
        await a.before_identify(0, 1)
        await asyncio.wait_for(b.before_identify(1, 2), 1)  # another bucket: no wait
        await b.before_identify(2, 1)  # bucket 0 again: waits out the first slot
        assert time.monotonic() - start >= 0.95


def test_shards_are_described_as_ranges() -> None:
    assert describe_shards([0, 1, 2, 3], 8) == "0-3 of 8"
    assert describe_shards([5], 8) == "5 of 8"
    assert describe_shards([0, 2], 4) == "0,2 of 4"
    assert describe_shards(None, None) == "all"


async def test_a_process_that_queued_wakes_the_others_outboxes(store: Store) -> None:
    woken = asyncio.Event()
    async with other_process(store) as second:
        await second.db.listen("paperbot_outbox", woken.set)
        await store.db.notify("paperbot_outbox")
        if isinstance(store.db, PostgresDatabase):
            await asyncio.wait_for(woken.wait(), 5)
        else:  # one process per SQLite file: it woke its own outbox already
            assert not woken.is_set()


async def test_a_joining_process_tells_the_others_to_count_again(store: Store) -> None:
    async with other_process(store) as second:
        told, marked = asyncio.Event(), asyncio.Event()
        await second.db.listen(FLEET_CHANNEL, told.set)
        # PostgreSQL delivers notifications in the order they were sent: once a marker sent
        # after a beat arrives, any notification of that beat would have arrived first.
        await second.db.listen("paperbot_test_marker", marked.set)
        joining = Fleet(store)
        await joining.beat()  # its first heartbeat
        if not isinstance(store.db, PostgresDatabase):
            # No NOTIFY on SQLite: nothing is sent at all, and nothing arrives.
            assert not told.is_set(), "one process per SQLite file: nobody else to tell"
            return
        await asyncio.wait_for(told.wait(), 5)
        told.clear()
        await joining.beat()  # later ones say nothing
        await store.db.notify("paperbot_test_marker")
        await asyncio.wait_for(marked.wait(), 5)
        assert not told.is_set()


async def test_a_topic_added_on_one_process_is_matched_by_the_one_that_polls(
    store: Store,
) -> None:
    def planner(on: Store) -> Planner:
        return Planner(TopicStore(on), VocabularyCache(None))

    def service(on: Store) -> TopicService:
        return TopicService(
            on,
            TopicStore(on),
            DeliveryStore(on),
            planner(on),
            VocabularyCache(None),
            clock=lambda: T0,
        )

    async with other_process(store) as second:
        poller, commands = Ingest(store, planner(store)), service(second)
        await poller([Paper(id="2611.00001", title="Warm-up")], T0)  # builds its index
        await commands.add(guild_id=1, channel_id=7, user_id=3, text="protein folding")
        later = T0 + timedelta(minutes=5)
        paper = Paper(id="2611.00002", title="Protein folding at scale", first_seen=later)
        await poller([paper], later)
        owed = await DeliveryStore(store).due_deliveries(later)
        assert [(d.channel_id, d.paper.id) for d in owed] == [(7, "2611.00002")]
