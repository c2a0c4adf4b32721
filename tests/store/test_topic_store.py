"""Topic limits and outbox bookkeeping on a real SQLite file."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

import pytest

from bot.core.delivery.ingest import ingest
from bot.core.delivery.planner import Planner
from bot.core.follows import FollowService
from bot.core.matching.query import QueryError
from bot.core.matching.vocabulary import VocabularyCache
from bot.core.models import DM_GUILD, NewDelivery, Paper, TopicChanges, TopicOptions
from bot.core.store import Store
from bot.core.store.deliveries import OLDEST_CHANNELS, DeliveryStore
from bot.core.store.follows import FollowStore
from bot.core.store.topics import MAX_TOPICS_PER_CHANNEL, MAX_TOPICS_PER_GUILD, TopicStore
from bot.core.topics import TopicLimitError, TopicService

T0 = datetime(2026, 11, 2, tzinfo=UTC)


async def add(topics: TopicStore, channel: int, canonical: str, guild: int = 1) -> None:
    await topics.add_topic(
        guild_id=guild,
        channel_id=channel,
        query=canonical,
        canonical=canonical,
        options=TopicOptions(),
        created_by=7,
        now=T0,
    )


def commands(store: Store) -> TopicService:
    """The /topic commands over the store: what a person is told when a limit stops them."""
    topics = TopicStore(store)
    vocabulary = VocabularyCache(None)
    return TopicService(
        store, topics, DeliveryStore(store), Planner(topics, vocabulary), vocabulary
    )


async def subscribe(topics: TopicService, channel: int, query: str, guild: int = 1) -> None:
    await topics.add(guild_id=guild, channel_id=channel, user_id=7, text=query)


async def test_channel_and_server_limits_write_nothing(store: Store) -> None:
    topics = commands(store)
    for i in range(MAX_TOPICS_PER_CHANNEL):
        await subscribe(topics, 1, f"q{i}")
    with pytest.raises(TopicLimitError, match="already has 25 topics"):
        await subscribe(topics, 1, "one more")
    for i in range(MAX_TOPICS_PER_GUILD - MAX_TOPICS_PER_CHANNEL):
        await subscribe(topics, 100 + i // 20, f"g{i}")
    with pytest.raises(TopicLimitError, match="server already has 200"):
        await subscribe(topics, 999, "one more")
    assert len(await topics.topics_of(1, None)) == MAX_TOPICS_PER_GUILD
    await subscribe(topics, 999, "other server", guild=2)


async def test_duplicates_in_a_channel_are_refused(store: Store) -> None:
    topics = commands(store)
    await subscribe(topics, 1, "video diffusion")
    with pytest.raises(TopicLimitError, match="already follows"):
        await subscribe(topics, 1, "video diffusion")
    await subscribe(topics, 2, "video diffusion")


async def test_a_topic_of_stop_words_is_refused_by_every_command_alike(store: Store) -> None:
    topics = commands(store)
    follows = FollowService(topics, FollowStore(store), DeliveryStore(store))
    await subscribe(topics, 1, "video diffusion")
    (topic,) = await topics.topics_of(1, 1)
    attempts: list[Callable[[], Awaitable[object]]] = [
        lambda: subscribe(topics, 1, "the of"),
        lambda: topics.edit(1, topic.id, lambda _channel: True, TopicChanges(query="the of")),
        lambda: follows.add(user_id=7, dm_channel_id=70, text="the of"),
        lambda: topics.test("the of"),
    ]
    refusals = []
    for attempt in attempts:
        with pytest.raises(QueryError) as caught:
            await attempt()
        refusals.append(str(caught.value))
    assert len(set(refusals)) == 1, refusals
    assert "stop words" in refusals[0]
    assert [t.query for t in await topics.topics_of(1, None)] == ["video diffusion"]
    assert await topics.topics_of(DM_GUILD, 70) == []


async def test_a_channel_and_paper_are_owed_once_ever(store: Store) -> None:
    topics = TopicStore(store)
    await add(topics, 1, "x")
    await store.upsert_papers([Paper(id="2611.00001", title="P")], T0)
    row = NewDelivery(1, 1, "2611.00001", (1,), T0, False)
    assert await DeliveryStore(store).queue([row], T0) == 1
    assert await DeliveryStore(store).queue([row], T0) == 0
    (due,) = await DeliveryStore(store).due_deliveries(T0)
    await DeliveryStore(store).mark_sent([due.id], 42, T0)
    assert await DeliveryStore(store).queue([row], T0) == 0
    assert await DeliveryStore(store).due_deliveries(T0) == []
    assert (await topics.topics(1))[0].posted_count == 1


async def test_a_batch_counts_only_the_rows_it_added(store: Store) -> None:
    topics = TopicStore(store)
    await add(topics, 1, "x")
    await store.upsert_papers([Paper(id=f"2611.0000{i}", title="P") for i in range(3)], T0)
    owed = [NewDelivery(1, channel, "2611.00001", (1,), T0, False) for channel in (1, 2, 3)]
    assert await DeliveryStore(store).queue(owed[:1], T0) == 1
    assert await DeliveryStore(store).queue([*owed, owed[2]], T0) == 2
    assert await DeliveryStore(store).queue([], T0) == 0
    rows = await store.fetch_all("SELECT channel_id FROM deliveries ORDER BY channel_id")
    assert [r["channel_id"] for r in rows] == [1, 2, 3]


async def test_removing_a_topic_drops_only_what_it_alone_owed(store: Store) -> None:
    topics = TopicStore(store)
    await add(topics, 1, "a")
    await add(topics, 1, "b")
    await store.upsert_papers(
        [Paper(id="2611.00001", title="P"), Paper(id="2611.00002", title="Q")], T0
    )
    await DeliveryStore(store).queue(
        [
            NewDelivery(1, 1, "2611.00001", (1,), T0, False),
            NewDelivery(1, 1, "2611.00002", (1, 2), T0, False),
        ],
        T0,
    )
    await topics.remove_topic(1, 1)
    (left,) = await DeliveryStore(store).due_deliveries(T0)
    assert left.paper.id == "2611.00002"
    assert left.topics == ("b",)
    assert await topics.remove_topic(2, 2) is None, "another server's topic is not removable"


async def test_ingest_plans_off_the_event_loop_and_keeps_the_loop_free(store: Store) -> None:
    topics = TopicStore(store)
    await add(topics, 1, "x")
    loop = asyncio.get_running_loop()
    loop_thread = threading.get_ident()
    planned_in: list[int] = []
    planning = asyncio.Event()
    release = threading.Event()

    def plan(stored: Sequence[Paper]) -> list[NewDelivery]:
        planned_in.append(threading.get_ident())
        loop.call_soon_threadsafe(planning.set)
        # Blocks until the event loop runs another coroutine: inline, this would deadlock.
        assert release.wait(timeout=10), "the event loop did not run while planning"
        return [NewDelivery(1, 1, p.id, (1,), T0, False) for p in stored]

    async def meanwhile() -> None:
        await planning.wait()
        release.set()

    helper = asyncio.create_task(meanwhile())
    result = await ingest(store, [Paper(id="2611.00001", title="P")], T0, plan)
    await helper
    assert result.new == 1
    assert len(planned_in) == 1
    assert planned_in[0] != loop_thread
    assert [d.paper.id for d in await DeliveryStore(store).due_deliveries(T0)] == ["2611.00001"]


async def test_a_batch_costs_the_same_whatever_waits_behind_it(store: Store) -> None:
    """The batch comes off indexes: the query plan never sorts or scans the whole backlog."""
    params = ("2026-01-01", "2026-01-01", "me", 2000, 50)
    if store.dialect == "sqlite":
        plan = await store.fetch_all(f"EXPLAIN QUERY PLAN {OLDEST_CHANNELS}", params)
        inner = {r["id"] for r in plan if r["detail"] == "CO-ROUTINE oldest"}
        backlog = [str(r["detail"]) for r in plan if r["parent"] in inner]
        assert backlog == [
            "SEARCH d USING INDEX deliveries_pending (next_attempt_at<?)",
            "CORRELATED SCALAR SUBQUERY 1",  # each row's lease: one primary-key lookup
        ]
        (lease,) = [str(r["detail"]) for r in plan if r["parent"] not in inner | {0}]
        assert lease == "SEARCH l USING INTEGER PRIMARY KEY (rowid=?)"
    else:
        async with store.transaction() as tx:  # the tables are empty: make the planner choose
            await tx.execute("SET LOCAL enable_seqscan = off")
            plan = await tx.fetch_all(f"EXPLAIN {OLDEST_CHANNELS}", params)
        text = "\n".join(str(r[0]) for r in plan)
        assert "Index Scan using deliveries_pending on deliveries" in text, text
        # The only sorts are above the LIMIT of 2000 rows, never over the backlog.
        # Sorts only above the LIMIT of SCAN rows, none between it and the index.
        scan_at = text.index("Index Scan using deliveries_pending")
        limit_at = text.rindex("Limit", 0, scan_at)
        assert "Sort" not in text[limit_at:scan_at], text


async def test_a_paused_channel_waits_out_of_every_batch_and_resumes(store: Store) -> None:
    topics, deliveries = TopicStore(store), DeliveryStore(store)
    await add(topics, 1, "x")
    await add(topics, 2, "x")
    await store.upsert_papers([Paper(id=f"2611.0000{i}", title="P") for i in range(3)], T0)
    await deliveries.queue([NewDelivery(1, 1, "2611.00001", (1,), T0, False)], T0)
    await deliveries.pause_channel(1, "403", T0)
    # Owed after the pause too: it waits with the rest.
    await deliveries.queue([NewDelivery(1, 1, "2611.00002", (1,), T0, False)], T0)
    await deliveries.queue([NewDelivery(1, 2, "2611.00001", (2,), T0, False)], T0)
    assert [d.channel_id for d in await deliveries.due_deliveries(T0)] == [2]
    assert await deliveries.resume_channel(1, 1)
    due = await deliveries.due_deliveries(T0)
    assert sorted((d.channel_id, d.paper.id) for d in due) == [
        (1, "2611.00001"),
        (1, "2611.00002"),
        (2, "2611.00001"),
    ]
