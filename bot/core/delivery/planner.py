"""What a poll's papers owe: the topic index, kept current, and the deliveries it plans.

The poll flows one way: the poller hands its papers to the ingest step, which asks the planner
for a plan (`prepare`) and stores the papers and the deliveries that plan derives from them.
The planner keeps the index of every topic (seconds of CPU to build at 100,000 topics) until
topics change: `TopicService` says so in this process (`topics_changed`), and the topics'
version in the database says so for changes made by any other process.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot.core.learning.features import Stats
from bot.core.learning.topics import EMPTY, Learners, build, judge_paper
from bot.core.matching.doc import doc_of
from bot.core.matching.index import TopicIndex
from bot.core.matching.query import QueryError, parse
from bot.core.matching.tree import Node
from bot.core.matching.vocabulary import Vocabulary, VocabularyCache
from bot.core.models import NewDelivery, Paper, Topic, Vote

log = logging.getLogger(__name__)

Plan = Callable[[Sequence[Paper]], Sequence[NewDelivery]]


class TopicSource(Protocol):
    """Every topic, and a version that any change to topics (by any process) moves on."""

    async def version(self) -> int: ...

    async def all_topics(self) -> list[Topic]: ...


class FeedbackSource(Protocol):
    """Every topic's net votes, a version any change to them moves on, and their papers."""

    async def version(self) -> int: ...

    async def votes(self) -> list[Vote]: ...

    async def papers(self, ids: Sequence[str]) -> dict[str, Paper]: ...


def next_digest(now: datetime, hour: int) -> datetime:
    """The next time the clock shows `hour`:00 UTC, strictly after `now`."""
    today = now.astimezone(UTC).replace(hour=hour, minute=0, second=0, microsecond=0)
    return today if today > now else today + timedelta(days=1)


def plan_deliveries(
    papers: Sequence[Paper],
    topics: dict[int, Topic],
    index: TopicIndex[int],
    now: datetime,
    vocabulary: Vocabulary | None = None,
    learners: Learners = EMPTY,
) -> list[NewDelivery]:
    """The deliveries new papers owe: one per (channel, paper), naming every topic that matched.

    A paper is new to a topic when paperbot first saw it after the topic was created; with
    `min_upvotes`, it is owed once its upvotes reach the threshold (papers are re-checked
    while they stay in the feeds). A digest topic's papers wait for its hour, unless another
    topic of the same channel wants them at once. A topic with feedback (`learners`) has its
    rules' verdict turned by it: a match held back, a paper its rules missed posted.
    """
    owed: dict[tuple[int, str], list[Topic]] = {}
    for paper in papers:
        doc = doc_of(paper, vocabulary=vocabulary)
        matched = index.match(doc)
        if learners:
            judged = judge_paper(learners, paper, doc, frozenset(matched))
            matched = [t for t, verdict in judged.items() if t in topics and verdict.post]
        for topic_id in matched:
            topic = topics[topic_id]
            if paper.first_seen is not None and not topic.owes(paper.first_seen):
                continue
            if paper.upvotes < topic.min_upvotes:
                continue
            owed.setdefault((topic.channel_id, paper.id), []).append(topic)
    return [
        _delivery(channel_id, paper_id, found, now)
        for (channel_id, paper_id), found in owed.items()
    ]


def _delivery(channel_id: int, paper_id: str, topics: list[Topic], now: datetime) -> NewDelivery:
    hours = [t.digest_hour for t in topics]
    if any(h is None for h in hours):
        due, digest = now, False
    else:
        due, digest = min(next_digest(now, h) for h in hours if h is not None), True
    return NewDelivery(
        guild_id=topics[0].guild_id,
        channel_id=channel_id,
        paper_id=paper_id,
        topic_ids=tuple(t.id for t in topics),
        due_at=due,
        digest=digest,
    )


class Planner:
    """Plans the deliveries of a poll's papers against every topic, over a cached index."""

    def __init__(
        self,
        topics: TopicSource,
        vocabulary: VocabularyCache,
        feedback: FeedbackSource | None = None,
    ) -> None:
        self._topics = topics
        self._vocabulary = vocabulary
        self._feedback = feedback
        self._learners: tuple[int, int, Learners] | None = None  # (feedback, index version)
        self._index: tuple[TopicIndex[int], dict[int, Topic]] | None = None
        self._index_version = -1
        self._lock = asyncio.Lock()
        # Moved on by every topic change, so that an index built meanwhile is not kept.
        self._generation = 0

    def topics_changed(self) -> None:
        """Topics changed in this process: the next plan builds the index again."""
        self._index = None
        self._generation += 1

    async def prepare(self, now: datetime) -> Plan:
        """The plan for papers ingested at `now`, over the current index and vocabulary."""
        index, topics = await self._current_index()
        vocabulary = await self._vocabulary.current()
        learners = await self.learners(topics, vocabulary)
        return lambda papers: plan_deliveries(papers, topics, index, now, vocabulary, learners)

    async def learners(
        self, topics: dict[int, Topic] | None = None, vocabulary: Vocabulary | None = None
    ) -> Learners:
        """Every topic's learner from its feedback, kept until feedback or topics change."""
        if self._feedback is None:
            return EMPTY
        if topics is None:
            _index, topics = await self._current_index()
        version = await self._feedback.version()
        cached = self._learners
        if cached is not None and cached[0] == version and cached[1] == self._index_version:
            return cached[2]
        vocabulary = vocabulary or await self._vocabulary.current()
        votes = await self._feedback.votes()
        papers = await self._feedback.papers(sorted({v.paper_id for v in votes}))
        queries = {t.id: "" if t.by_example else t.query for t in topics.values()}
        stats = Stats(vocabulary.total, vocabulary.documents)
        learners = await asyncio.to_thread(build, votes, papers, queries, stats, vocabulary)
        self._learners = (version, self._index_version, learners)
        return learners

    async def _current_index(self) -> tuple[TopicIndex[int], dict[int, Topic]]:
        async with self._lock:
            # Another process may have changed topics since (one read per poll).
            version = await self._topics.version()
            if self._index is not None and version == self._index_version:
                return self._index
            generation = self._generation
            topics = {t.id: t for t in await self._topics.all_topics()}
            # Seconds of CPU at 100,000 topics: built in a worker thread, so that the bot keeps
            # answering interactions and heartbeats meanwhile (bench/loop_lag.py).
            index = await asyncio.to_thread(build_index, topics.values())
            if generation == self._generation:
                self._index, self._index_version = (index, topics), version
            return index, topics


def build_index(topics: Iterable[Topic]) -> TopicIndex[int]:
    """The index of `topics`, built without pausing the rest of the process.

    At 100,000 topics the build allocates millions of objects, and Python's cyclic garbage
    collector, scanning the growing heap again and again, held the GIL for up to half a second
    at a time: the event loop stalled although the build ran in a thread. So the collector is
    off during the build, and what is alive then, the index included, is frozen (moved out of
    the collector's sight) until the next build. An index holds no reference cycles (a unit
    test checks), so when it is replaced, reference counting frees it, frozen or not.
    """
    # What the previous build froze and has died since (cycles included) is collected first;
    # the previous index itself is gone already (see `topics_changed`), so this pass is short.
    gc.unfreeze()
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        index = TopicIndex(_parsed(topics))
        gc.freeze()
    finally:
        if enabled:
            gc.enable()
    return index


def _parsed(topics: Iterable[Topic]) -> Iterator[tuple[int, Node]]:
    for topic in topics:
        if topic.by_example:
            continue  # no query: its learner alone posts (`Learners.posting`)
        try:
            yield topic.id, parse(topic.query).tree
        except QueryError:
            # Stored under an older version of the language; it cannot match until re-added.
            log.warning("topic %d has a query this version cannot read: %r", topic.id, topic.query)
