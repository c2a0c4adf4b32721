"""Channel topics: the /topic commands (add, list, edit, remove, resume, test, why).

Matching a poll's papers against every topic is the planner's (`delivery/planner.py`); this
service tells it whenever topics change.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from bot.core.clock import Clock, utc_now
from bot.core.delivery.admin_log import Report
from bot.core.delivery.planner import Planner
from bot.core.errors import UserError
from bot.core.learning.topics import said
from bot.core.matching.explain import evidence, explain, match_share
from bot.core.matching.judge import doc_of, matches
from bot.core.matching.query import Query, parse
from bot.core.matching.tree import Any_
from bot.core.matching.vocabulary import VocabularyCache
from bot.core.matching.why import Verdict, verdict
from bot.core.models import (
    BY_EXAMPLE,
    DEFAULT_OPTIONS,
    DM_GUILD,
    NewDelivery,
    Paper,
    Topic,
    TopicChanges,
    TopicOptions,
)
from bot.core.store import Store
from bot.core.store.deliveries import DeliveryStore
from bot.core.store.topics import TopicLimit, TopicStore

log = logging.getLogger(__name__)

RECENT = timedelta(days=7)
MAX_BACKFILL = 10

FindPaper = Callable[[str], Awaitable[Paper]]
MayManage = Callable[[int], bool]  # whether the person may manage the channel with this id
NO_SUCH_TOPIC = "There is no such topic in this server. Pick one from the list."


class TopicLimitError(UserError):
    """A limit on topics would be broken; nothing was written."""


def limit_message(limit: TopicLimit, *, follow: bool) -> str:
    """What the person is told when a limit on topics (or follows) stops a change."""
    if limit.kind == "channel" and follow:
        return (
            f"You already follow {limit.limit} topics, the most one person can. Remove one "
            "with /follow remove first."
        )
    if limit.kind == "channel":
        return (
            f"This channel already has {limit.limit} topics, the most it can have. Remove one "
            "with /topic remove first."
        )
    if limit.kind == "guild":
        return (
            f"This server already has {limit.limit} topics, the most it can have. Remove some "
            "with /topic remove first."
        )
    return (
        "You already follow that query." if follow else "This channel already follows that query."
    )


@dataclass(frozen=True, slots=True)
class AddedTopic:
    topic: Topic
    query: Query
    recent_matches: int
    backfilled: int
    recent_total: int  # the stored papers of the last 7 days it was tried on


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


class TopicService:
    """What the /topic commands need, over the store."""

    def __init__(
        self,
        store: Store,
        topics: TopicStore,
        deliveries: DeliveryStore,
        planner: Planner,
        vocabulary: VocabularyCache,
        *,
        find_paper: FindPaper | None = None,
        on_queued: Callable[[], None] = lambda: None,
        clock: Clock = utc_now,
        report: Report | None = None,
    ) -> None:
        self._report = report  # the server's admin log
        self._store = store
        self._topics = topics
        self._deliveries = deliveries
        self._planner = planner  # told of every change to topics
        self._vocabulary = vocabulary
        self._find_paper = find_paper
        self._on_queued = on_queued
        self._clock = clock

    # -- commands --------------------------------------------------------------------------------

    async def add(
        self,
        *,
        guild_id: int,
        channel_id: int,
        user_id: int,
        text: str | None,
        options: TopicOptions = DEFAULT_OPTIONS,
        backfill: int = 0,
        like: Examples | None = None,
    ) -> AddedTopic:
        """Subscribe a channel (or a person, `DM_GUILD`) to a query; `backfill` also queues
        that many of the newest stored papers it matches. `like` starts it with a saved
        list's papers as liked examples; with `like` and no query, a topic by example."""
        if text is None and like is None:
            raise UserError("Give a `query`, a saved list to learn from (`like`), or both.")
        query = parse(text) if text is not None else by_example(like[0] if like else "")
        if not 0 <= backfill <= MAX_BACKFILL:
            raise UserError(f"backfill must be between 0 and {MAX_BACKFILL}.")
        now = self._clock()
        try:
            topic = await self._topics.add_topic(
                guild_id=guild_id,
                channel_id=channel_id,
                query=query.text,
                canonical=query.canonical,
                options=options,
                created_by=user_id,
                now=now,
                liked=[p.id for p in like[1]] if like else (),
            )
        except TopicLimit as limit:
            raise TopicLimitError(limit_message(limit, follow=guild_id == DM_GUILD)) from None
        self._planner.topics_changed()
        recent = await self._store.recent_papers(now - RECENT)
        vocabulary = await self._vocabulary.current()
        hits = [p for p in recent if matches(query.tree, doc_of(p, vocabulary=vocabulary))]
        backfilled = 0
        if backfill:
            newest = sorted(hits, key=_newest_first)[:backfill]
            queued = [
                NewDelivery(guild_id, channel_id, p.id, (topic.id,), now, False)
                for p in newest
                if p.upvotes >= options.min_upvotes
            ]
            backfilled = await self._deliveries.queue(queued, now)
            if backfilled:
                self._on_queued()
        return AddedTopic(topic, query, len(hits), backfilled, len(recent))

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
        self._planner.topics_changed()
        return removed

    async def edit(
        self, guild_id: int, topic_id: int, may_manage: MayManage, changes: TopicChanges
    ) -> tuple[Topic, Query]:
        """Change a topic in place (the person may manage its channel): its query, threshold,
        or digest hour (`at_once` posts each paper at once again). Its id, history and
        counts stay; a new query owes no paper first seen before the change."""
        topic = await self._managed_topic(guild_id, topic_id, may_manage)
        if changes.nothing:
            raise UserError(
                "Say what to change: `query`, `min_upvotes`, `digest_hour` or `mention`."
            )
        if changes.no_mention and changes.mention_role_id is not None:
            raise UserError("Either ping a role or stop pinging, not both.")
        if changes.at_once and changes.digest_hour is not None:
            raise UserError("A topic posts either at once or in a digest, not both.")
        query = parse(changes.query) if changes.query is not None else query_of(topic)
        try:
            edited = await self._topics.edit_topic(
                topic,
                query=query.text,
                canonical=query.canonical,
                options=changes.applied_to(topic.options),
                now=self._clock(),
            )
        except TopicLimit as limit:
            raise TopicLimitError(limit_message(limit, follow=topic.is_follow)) from None
        self._planner.topics_changed()
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
        self._planner.topics_changed()
        self._on_queued()
        return True

    async def test(self, text: str, *, near: int = 3) -> TopicTest:
        query = parse(text)
        recent = await self._store.recent_papers(self._clock() - RECENT)
        vocabulary = await self._vocabulary.current()
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
        record = None
        if channel_id is not None:
            record = await self._deliveries.delivery_record(channel_id, found.id)
        # A paper queued here is explained by the statistics that judged it then.
        vocabulary = await (
            self._vocabulary.judged_at(record.created_at)
            if record is not None
            else self._vocabulary.current()
        )
        doc = doc_of(found, vocabulary=vocabulary)
        asked = [(parsed, _same_query(parsed, channel_topics))] if parsed else []
        asked += [(query_of(t), t) for t in channel_topics if not parsed]
        learners = await self._planner.learners()
        found_vector = learners.vector(found, doc) if learners else {}
        answers = []
        for q, topic in asked:
            learned = None
            if topic is not None and topic.id in learners:
                judged = learners.verdict(topic.id, found, doc, matches(q.tree, doc), found_vector)
                where = "you" if topic.is_follow else f"<#{topic.channel_id}>"
                explained = said(judged, "" if topic.by_example else q.text, where)
                learned = (judged.post, explained) if explained else None
            answers.append(
                verdict(
                    found,
                    q,
                    doc,
                    topic=topic,
                    record=record,
                    in_channel=bool(channel_topics),
                    feedback=learned,
                )
            )
        return answers

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

    def forgot_topics(self) -> None:
        """Topics were deleted behind this service's back (a person's data erased)."""
        self._planner.topics_changed()


Examples = tuple[str, Sequence[Paper]]  # a saved list's name and its papers


def by_example(name: str) -> Query:
    """The query of a topic by example: no words, so no paper matches its rules; its learner
    posts papers like its liked examples."""
    return Query(
        text=f"papers like “{name}”",
        tree=Any_(()),
        canonical=f"{BY_EXAMPLE}{name.casefold()}",
        understood=f"no query: papers like those of the saved list “{name}”",
        terms=0,
    )


def query_of(topic: Topic) -> Query:
    """A stored topic's query, parsed (a topic by example's, made again)."""
    if topic.by_example:
        return by_example(topic.query.removeprefix("papers like “").removesuffix("”"))
    return parse(topic.query)


def _same_query(query: Query, topics: list[Topic]) -> Topic | None:
    return next((t for t in topics if t.canonical == query.canonical), None)


def _newest_first(paper: Paper) -> tuple[float, str]:
    return (-(paper.dated.timestamp() if paper.dated else 0.0), paper.id)
