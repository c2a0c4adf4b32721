"""Which deliveries a poll's papers owe."""

from __future__ import annotations

import gc
import weakref
from datetime import UTC, datetime, timedelta

from bot.core.delivery.planner import build_index, next_digest, plan_deliveries
from bot.core.matching.index import TopicIndex
from bot.core.matching.judge import doc_of
from bot.core.matching.query import parse
from bot.core.models import Paper, Topic

T0 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def topic(tid: int, channel: int, query: str, **fields: object) -> Topic:
    return Topic(
        id=tid,
        guild_id=1,
        channel_id=channel,
        query=query,
        canonical=query,
        min_upvotes=int(fields.get("min_upvotes", 0)),  # type: ignore[call-overload]
        digest_hour=fields.get("digest_hour"),  # type: ignore[arg-type]
        created_by=1,
        created_at=T0 - timedelta(hours=1),
    )


def paper(pid: str, title: str, *, upvotes: int = 0, seen: datetime = T0) -> Paper:
    return Paper(id=pid, title=title, upvotes=upvotes, first_seen=seen)


def plan(topics: list[Topic], papers: list[Paper]) -> list[tuple[int, str, tuple[int, ...], bool]]:
    index = TopicIndex((t.id, parse(t.query).tree) for t in topics)
    owed = plan_deliveries(papers, {t.id: t for t in topics}, index, T0)
    return sorted((d.channel_id, d.paper_id, d.topic_ids, d.digest) for d in owed)


def test_papers_seen_before_the_topic_existed_are_not_new_to_it() -> None:
    old = paper("1", "Diffusion", seen=T0 - timedelta(hours=2))
    assert plan([topic(1, 10, "diffusion")], [old, paper("2", "Diffusion again")]) == [
        (10, "2", (1,), False)
    ]


def test_min_upvotes_waits_for_the_threshold() -> None:
    topics = [topic(1, 10, "diffusion", min_upvotes=10)]
    assert plan(topics, [paper("1", "Diffusion", upvotes=9)]) == []
    assert plan(topics, [paper("1", "Diffusion", upvotes=10)]) == [(10, "1", (1,), False)]


def test_one_delivery_per_channel_naming_every_matching_topic() -> None:
    topics = [topic(1, 10, "diffusion"), topic(2, 10, "video"), topic(3, 20, "video")]
    assert plan(topics, [paper("1", "Video diffusion")]) == [
        (10, "1", (1, 2), False),
        (20, "1", (3,), False),
    ]


def test_digest_topics_wait_for_their_hour_unless_another_topic_wants_it_now() -> None:
    digest = topic(1, 10, "diffusion", digest_hour=8)
    assert plan([digest], [paper("1", "Diffusion")]) == [(10, "1", (1,), True)]
    assert plan([digest, topic(2, 10, "video")], [paper("1", "Video diffusion")]) == [
        (10, "1", (1, 2), False)
    ]


def test_next_digest_is_strictly_later() -> None:
    assert next_digest(T0, 10) == T0.replace(hour=10, minute=0)
    assert next_digest(T0, 9) == (T0 + timedelta(days=1)).replace(hour=9, minute=0)


def test_a_replaced_index_is_freed_without_the_cycle_collector() -> None:
    # build_index freezes what it built (out of the cycle collector's sight): that is only safe
    # while an index holds no reference cycles, so that reference counting alone frees it.
    topics = [
        topic(i, i, q)
        for i, q in enumerate(
            [
                "LLM",
                '"state space" OR mamba',
                "title:video (diffusion OR flow) -survey",
                "reinforcment learning",
                'author:"Jane Doe" keyword:agents',
                'abstract:"world model" -"video world model"',
            ]
        )
    ]
    gc.collect()
    index = build_index(topics)
    assert len(index) == len(topics)
    assert index.match(doc_of(paper("1", "Mamba: a state space model for LLM"))) == [0, 1]
    probe = weakref.ref(index)
    del index
    assert probe() is None  # freed at once, by reference counting: no cycle holds it


def test_building_an_index_leaves_the_collector_as_it_found_it() -> None:
    assert gc.isenabled()
    build_index([topic(1, 1, "LLM")])
    assert gc.isenabled()
    gc.disable()
    try:
        build_index([topic(1, 1, "LLM")])
        assert not gc.isenabled()
    finally:
        gc.enable()
