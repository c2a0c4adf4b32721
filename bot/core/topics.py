"""Channel topics: subscribe, list, remove, resume, test; and turning new papers into deliveries."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot.core.delivery.admin_log import Report
from bot.core.delivery.ingest import ingest
from bot.core.errors import UserError
from bot.core.matching.explain import evidence, explain, match_share
from bot.core.matching.index import TopicIndex
from bot.core.matching.judge import doc_of, matches
from bot.core.matching.query import Node, Query, QueryError, parse
from bot.core.matching.vocabulary import Vocabulary
from bot.core.matching.why import Verdict, verdict
from bot.core.models import IngestResult, NewDelivery, Paper, Topic
from bot.core.store import Store
from bot.core.store.deliveries import DeliveryStore
from bot.core.store.topics import TopicStore

log = logging.getLogger(__name__)

RECENT = timedelta(days=7)
MAX_BACKFILL = 10
VOCABULARY_SECONDS = 600.0

Clock = Callable[[], datetime]
FindPaper = Callable[[str], Awaitable[Paper]]
MayManage = Callable[[int], bool]  # whether the person may manage the channel with this id
NO_SUCH_TOPIC = "There is no such topic in this server. Pick one from the list."


class WordCounts(Protocol):
    """How many papers the store holds, and how many use each word (the search index's)."""

    async def word_documents(self) -> tuple[int, list[tuple[str, int]]]: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class AddedTopic:
    topic: Topic
    query: Query
    recent_matches: int
    backfilled: int


@dataclass(frozen=True, slots=True)
class NearMiss:
    paper: Paper
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Hit:
    paper: Paper
    reasons: tuple[str, ...]  # which terms held, and where ("`LLM` via qwen3")


@dataclass(frozen=True, slots=True)
class TopicTest:
    query: Query
    matches: tuple[Hit, ...]
    near_misses: tuple[NearMiss, ...]
    recent_total: int


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
) -> list[NewDelivery]:
    """The deliveries new papers owe: one per (channel, paper), naming every topic that matched.

    A paper is new to a topic when paperbot first saw it after the topic was created; with
    `min_upvotes`, it is owed once its upvotes reach the threshold (papers are re-checked
    while they stay in the feeds). A digest topic's papers wait for its hour, unless another
    topic of the same channel wants them at once.
    """
    owed: dict[tuple[int, str], list[Topic]] = {}
    for paper in papers:
        for topic_id in index.match(doc_of(paper, vocabulary=vocabulary)):
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


class TopicService:
    """What the /topic commands and the poller need, over the store."""

    def __init__(
        self,
        store: Store,
        topics: TopicStore,
        deliveries: DeliveryStore,
        *,
        words: WordCounts | None = None,
        find_paper: FindPaper | None = None,
        on_queued: Callable[[], None] = lambda: None,
        clock: Clock = utc_now,
        report: Report | None = None,
    ) -> None:
        self._report = report  # the server's admin log
        self._store = store
        self._topics = topics
        self._deliveries = deliveries
        self._words = words
        self._find_paper = find_paper
        self._on_queued = on_queued
        self._clock = clock
        self._vocabulary: Vocabulary | None = None
        self._vocabulary_at = -VOCABULARY_SECONDS
        self._vocabulary_lock = asyncio.Lock()
        self._index: tuple[TopicIndex[int], dict[int, Topic]] | None = None
        self._index_version = -1
        self._index_lock = asyncio.Lock()
        # Bumped by every topic change, so that an index built meanwhile is not kept.
        self._generation = 0

    # -- commands --------------------------------------------------------------------------------

    async def add(
        self,
        *,
        guild_id: int,
        channel_id: int,
        user_id: int,
        text: str,
        min_upvotes: int = 0,
        backfill: int = 0,
        digest_hour: int | None = None,
        mention_role_id: int | None = None,
        thread: bool = False,
        forum: bool = False,
    ) -> AddedTopic:
        query = parse(text)
        if not 0 <= backfill <= MAX_BACKFILL:
            raise UserError(f"backfill must be between 0 and {MAX_BACKFILL}.")
        now = self._clock()
        topic = await self._topics.add_topic(
            guild_id=guild_id,
            channel_id=channel_id,
            query=query.text,
            canonical=query.canonical,
            min_upvotes=min_upvotes,
            digest_hour=digest_hour,
            created_by=user_id,
            now=now,
            mention_role_id=mention_role_id,
            thread=thread,
            forum=forum,
        )
        self._invalidate()
        recent = await self._store.recent_papers(now - RECENT)
        vocabulary = await self.vocabulary()
        hits = [p for p in recent if matches(query.tree, doc_of(p, vocabulary=vocabulary))]
        backfilled = 0
        if backfill:
            newest = sorted(hits, key=_newest_first)[:backfill]
            queued = [
                NewDelivery(guild_id, channel_id, p.id, (topic.id,), now, False)
                for p in newest
                if p.upvotes >= min_upvotes
            ]
            backfilled = await self._deliveries.queue(queued, now)
            if backfilled:
                self._on_queued()
        return AddedTopic(topic, query, len(hits), backfilled)

    async def _managed_topic(self, guild_id: int, topic_id: int, may_manage: MayManage) -> Topic:
        # SQLite integers are 64-bit: a larger id names no topic.
        topic = await self._topics.get_topic(guild_id, topic_id) if topic_id < 2**63 else None
        if topic is None:
            raise UserError(NO_SUCH_TOPIC)
        # The permission that counts is in the topic's channel, not where the command was typed.
        if not may_manage(topic.channel_id):
            raise UserError(
                f"You need the Manage Channels permission in <#{topic.channel_id}> to change "
                "its topics."
            )
        return topic

    async def topics_of(self, guild_id: int, channel_id: int | None) -> list[Topic]:
        return await self._topics.topics(guild_id, channel_id)

    async def remove(
        self, guild_id: int, topic_id: int, may_manage: MayManage, *, channel_id: int | None = None
    ) -> Topic:
        """Unsubscribe, if the person may manage the topic's own channel (`may_manage`) and
        the topic is for `channel_id`, when one is named."""
        topic = await self._managed_topic(guild_id, topic_id, may_manage)
        if channel_id is not None and topic.channel_id != channel_id:
            raise UserError(
                f"Topic #{topic.id} is for <#{topic.channel_id}>, not <#{channel_id}>: "
                "nothing was removed."
            )
        removed = await self._topics.remove_topic(guild_id, topic_id)
        if removed is None:
            raise UserError(NO_SUCH_TOPIC)
        self._invalidate()
        return removed

    async def edit(
        self,
        guild_id: int,
        topic_id: int,
        may_manage: MayManage,
        *,
        text: str | None = None,
        min_upvotes: int | None = None,
        digest_hour: int | None = None,
        at_once: bool = False,
        mention_role_id: int | None = None,
        no_mention: bool = False,
        thread: bool | None = None,
    ) -> tuple[Topic, Query]:
        """Change a topic in place (the person may manage its channel): its query, threshold,
        or digest hour (`at_once` posts each paper at once again). Its id, history and
        counts stay; a new query owes no paper first seen before the change."""
        topic = await self._managed_topic(guild_id, topic_id, may_manage)
        unchanged = (text, min_upvotes, digest_hour, mention_role_id, thread) == (None,) * 5
        if unchanged and not at_once and not no_mention:
            raise UserError(
                "Say what to change: `query`, `min_upvotes`, `digest_hour` or `mention`."
            )
        if no_mention and mention_role_id is not None:
            raise UserError("Either ping a role or stop pinging, not both.")
        if at_once and digest_hour is not None:
            raise UserError("A topic posts either at once or in a digest, not both.")
        query = parse(text if text is not None else topic.query)
        edited = await self._topics.edit_topic(
            topic,
            query=query.text,
            canonical=query.canonical,
            min_upvotes=topic.min_upvotes if min_upvotes is None else min_upvotes,
            digest_hour=None
            if at_once
            else (digest_hour if digest_hour is not None else topic.digest_hour),
            mention_role_id=None
            if no_mention
            else (mention_role_id if mention_role_id is not None else topic.mention_role_id),
            thread=topic.thread if thread is None else thread,
            now=self._clock(),
        )
        self._invalidate()
        return edited, query

    async def resume(self, guild_id: int, topic_id: int, may_manage: MayManage) -> Topic:
        topic = await self._managed_topic(guild_id, topic_id, may_manage)
        if not await self._deliveries.resume_channel(guild_id, topic.channel_id):
            raise UserError("That topic's channel is not paused; nothing to resume.")
        self._on_queued()
        if self._report is not None:
            await self._report(
                guild_id, f"Resumed posting in <#{topic.channel_id}> (topic #{topic.id})."
            )
        return topic

    async def resume_follows(self, channel_id: int) -> bool:
        """Resume a person's DM channel: what was owed before the pause goes out; papers first
        seen during it are not owed (a pause saves nothing up). False if it was not paused."""
        if not await self._topics.resume_follows(channel_id, self._clock()):
            return False
        self._invalidate()
        self._on_queued()
        return True

    async def test(self, text: str, *, near: int = 3) -> TopicTest:
        query = parse(text)
        recent = await self._store.recent_papers(self._clock() - RECENT)
        vocabulary = await self.vocabulary()
        hits: list[Hit] = []
        misses: list[tuple[float, Paper, list[str]]] = []
        for paper in recent:
            doc = doc_of(paper, vocabulary=vocabulary)
            if matches(query.tree, doc):
                hits.append(Hit(paper, tuple(evidence(query.tree, doc))))
            else:
                share = match_share(query.tree, doc)
                if share > 0:
                    misses.append((share, paper, explain(query.tree, doc)))
        misses.sort(key=lambda m: (-m[0], _newest_first(m[1])))
        return TopicTest(
            query=query,
            matches=tuple(sorted(hits, key=lambda h: _newest_first(h.paper))),
            near_misses=tuple(NearMiss(p, tuple(r)) for _s, p, r in misses[:near]),
            recent_total=len(recent),
        )

    async def why(
        self, *, guild_id: int | None, channel_id: int | None, paper: str, query: str | None
    ) -> list[Verdict]:
        """Whether `paper` (an id or link) matches `query`, or each topic of this channel, and
        every reason: the terms, the topic's thresholds, and what became of it here."""
        parsed = parse(query) if query is not None else None
        channel_topics: list[Topic] = []
        if guild_id is not None and channel_id is not None:
            channel_topics = await self._topics.topics(guild_id, channel_id)
        if parsed is None and not channel_topics:
            raise UserError(
                "This channel has no topics to test the paper against: give a `query` too."
            )
        if self._find_paper is None:
            raise UserError("Looking papers up is not available here.")
        found = await self._find_paper(paper)
        doc = doc_of(found, vocabulary=await self.vocabulary())
        record = None
        if channel_id is not None:
            record = await self._deliveries.delivery_record(channel_id, found.id)
        asked = [(parsed, _same_query(parsed, channel_topics))] if parsed else []
        asked += [(parse(t.query), t) for t in channel_topics if not parsed]
        return [
            verdict(found, q, doc, topic=topic, record=record, in_channel=bool(channel_topics))
            for q, topic in asked
        ]

    async def vocabulary(self) -> Vocabulary:
        """English and the stored papers' words, refreshed every ten minutes."""
        async with self._vocabulary_lock:
            if self._vocabulary is None or (
                time.monotonic() - self._vocabulary_at > VOCABULARY_SECONDS
            ):
                total, counts = await self._words.word_documents() if self._words else (0, [])
                self._vocabulary = await asyncio.to_thread(Vocabulary.of_counts, total, counts)
                self._vocabulary_at = time.monotonic()
            return self._vocabulary

    async def topic_choices(
        self, guild_id: int, channel_id: int, typed: str, *, only_channel: int | None = None
    ) -> list[Topic]:
        """Topics for autocomplete: this channel's first, filtered by what was typed (and to
        `only_channel`'s, when given)."""
        found = await self._topics.topics(guild_id, only_channel)
        needle = typed.strip().lower()
        chosen = [t for t in found if needle in t.query.lower() or needle == str(t.id)]
        chosen.sort(key=lambda t: (t.channel_id != channel_id, t.id))
        return chosen[:25]

    # -- ingest ----------------------------------------------------------------------------------

    async def ingest(self, papers: Sequence[Paper], now: datetime) -> IngestResult:
        """Store a poll's papers and queue what they owe, in one transaction."""
        index, topics = await self._current_index()
        vocabulary = await self.vocabulary()
        result = await ingest(
            self._store,
            papers,
            now,
            lambda stored: plan_deliveries(stored, topics, index, now, vocabulary),
        )
        self._on_queued()
        return result

    def forgot_topics(self) -> None:
        """Topics were deleted behind this service's back (a person's data erased)."""
        self._invalidate()

    def _invalidate(self) -> None:
        self._index = None
        self._generation += 1

    async def _current_index(self) -> tuple[TopicIndex[int], dict[int, Topic]]:
        async with self._index_lock:
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
    # the previous index itself is gone already (see `_invalidate`), so this pass is short.
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
        try:
            yield topic.id, parse(topic.query).tree
        except QueryError:
            # Stored under an older version of the language; it cannot match until re-added.
            log.warning("topic %d has a query this version cannot read: %r", topic.id, topic.query)


def _same_query(query: Query, topics: list[Topic]) -> Topic | None:
    return next((t for t in topics if t.canonical == query.canonical), None)


def _newest_first(paper: Paper) -> tuple[float, str]:
    return (-(paper.dated.timestamp() if paper.dated else 0.0), paper.id)
