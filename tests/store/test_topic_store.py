"""Topic limits and outbox bookkeeping on a real SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.models import NewDelivery, Paper
from bot.core.store import Store
from bot.core.topic_store import (
    MAX_TOPICS_PER_CHANNEL,
    MAX_TOPICS_PER_GUILD,
    TopicLimitError,
    TopicStore,
)

T0 = datetime(2026, 11, 2, tzinfo=UTC)


async def add(topics: TopicStore, channel: int, canonical: str, guild: int = 1) -> None:
    await topics.add_topic(
        guild_id=guild,
        channel_id=channel,
        query=canonical,
        canonical=canonical,
        min_upvotes=0,
        digest_hour=None,
        created_by=7,
        now=T0,
    )


async def test_channel_and_server_limits_write_nothing(store: Store) -> None:
    topics = TopicStore(store)
    for i in range(MAX_TOPICS_PER_CHANNEL):
        await add(topics, 1, f"q{i}")
    with pytest.raises(TopicLimitError, match="already has 25 topics"):
        await add(topics, 1, "one more")
    for i in range(MAX_TOPICS_PER_GUILD - MAX_TOPICS_PER_CHANNEL):
        await add(topics, 100 + i // 20, f"g{i}")
    with pytest.raises(TopicLimitError, match="server already has 200"):
        await add(topics, 999, "one more")
    assert len(await topics.topics(1)) == MAX_TOPICS_PER_GUILD
    await add(topics, 999, "other server", guild=2)


async def test_duplicates_in_a_channel_are_refused(store: Store) -> None:
    topics = TopicStore(store)
    await add(topics, 1, "video diffusion")
    with pytest.raises(TopicLimitError, match="already follows"):
        await add(topics, 1, "video diffusion")
    await add(topics, 2, "video diffusion")


async def test_a_channel_and_paper_are_owed_once_ever(store: Store) -> None:
    topics = TopicStore(store)
    await add(topics, 1, "x")
    await store.upsert_papers([Paper(id="2611.00001", title="P")], T0)
    row = NewDelivery(1, 1, "2611.00001", (1,), T0, False)
    assert await topics.queue([row], T0) == 1
    assert await topics.queue([row], T0) == 0
    (due,) = await topics.due_deliveries(T0)
    await topics.mark_sent([due.id], 42, T0)
    assert await topics.queue([row], T0) == 0
    assert await topics.due_deliveries(T0) == []
    assert (await topics.topics(1))[0].posted_count == 1


async def test_removing_a_topic_drops_only_what_it_alone_owed(store: Store) -> None:
    topics = TopicStore(store)
    await add(topics, 1, "a")
    await add(topics, 1, "b")
    await store.upsert_papers(
        [Paper(id="2611.00001", title="P"), Paper(id="2611.00002", title="Q")], T0
    )
    await topics.queue(
        [
            NewDelivery(1, 1, "2611.00001", (1,), T0, False),
            NewDelivery(1, 1, "2611.00002", (1, 2), T0, False),
        ],
        T0,
    )
    await topics.remove_topic(1, 1)
    (left,) = await topics.due_deliveries(T0)
    assert left.paper.id == "2611.00002"
    assert left.topics == ("b",)
    assert await topics.remove_topic(2, 2) is None, "another server's topic is not removable"
