"""What the 👍 / 👎 controls, `/topic teach` and `/topic feedback` need: who may teach a
topic, recording their vote, and what the topic learned from.

Who teaches: a channel's topic learns from the people with Manage Channels in its channel, or
from every member (`learn_from: everyone`: one vote per person per paper, the latest winning,
the net vote deciding); a follow learns from its owner alone. Anyone else's vote changes
nothing and is told who may teach.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.core.clock import Clock, utc_now
from bot.core.errors import UserError
from bot.core.matching.text import inert
from bot.core.models import DM_GUILD, Paper, Topic
from bot.core.paper_ids import parse_paper_id
from bot.core.store import Store
from bot.core.store.feedback import FeedbackEntry, FeedbackStore
from bot.core.store.saved import SavedStore
from bot.core.store.topics import TopicStore

FindPaper = Callable[[str], Awaitable[Paper]]
UP, DOWN = 1, -1
EMOJI = {UP: "👍", DOWN: "👎"}
MAX_EXAMPLES = 50  # a saved list's papers a topic starts with, the newest saved first
NO_SUCH_TOPIC = "There is no such topic in this server. Pick one from the list."


@dataclass(frozen=True, slots=True)
class Voter:
    """Who clicked or typed, and whether they have Manage Channels in a given channel."""

    user_id: int
    may_manage: Callable[[int], bool]

    def manages(self, topic: Topic) -> bool:
        """Whether they may change what the topic learned: its channel's admins, a follow's
        owner."""
        if topic.is_follow:
            return topic.created_by == self.user_id
        return self.may_manage(topic.channel_id)


def may_teach(topic: Topic, voter: Voter) -> bool:
    return voter.manages(topic) or (not topic.is_follow and topic.learn_from == "everyone")


def who_teaches(topic: Topic) -> str:
    if topic.is_follow:
        return "Only the person who follows a topic teaches it."
    return (
        f"Only people with the Manage Channels permission in <#{topic.channel_id}> teach its "
        "topics (they can let every member teach one with `/topic edit learn_from:everyone`); "
        "your vote changed nothing."
    )


def _where(topic: Topic) -> str:
    return "in your DMs" if topic.is_follow else f"in <#{topic.channel_id}>"


def _named(topics: list[Topic]) -> str:
    return ", ".join(f"`{inert(t.query.replace('`', ''))}`" for t in topics)


class FeedbackService:
    def __init__(
        self,
        store: Store,
        topics: TopicStore,
        feedback: FeedbackStore,
        *,
        find_paper: FindPaper | None = None,
        saved: SavedStore | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self._saved = saved
        self._store = store
        self._topics = topics
        self._feedback = feedback
        self._find_paper = find_paper
        self._clock = clock

    async def rate(
        self, *, guild_id: int | None, channel_id: int, paper_id: str, vote: int, voter: Voter
    ) -> str:
        """A click of 👍 / 👎 on a post: teaches the topics the paper was posted for there."""
        guild = DM_GUILD if guild_id is None else guild_id
        topics = [
            t
            for topic_id in await self._feedback.posted_for(channel_id, paper_id)
            if (t := await self._topics.get_topic(guild, topic_id)) is not None
        ]
        if not topics:
            raise UserError(
                "The topics this paper was posted for are gone: there is nothing to teach."
            )
        allowed = [t for t in topics if may_teach(t, voter)]
        if not allowed:
            raise UserError(who_teaches(topics[0]))
        previous = await self._feedback.vote(
            [t.id for t in allowed], paper_id, voter.user_id, vote, "vote", self._clock()
        )
        return _noted(allowed, vote, previous)

    async def teach(
        self, *, guild_id: int, topic_id: int, paper: str, relevant: bool, voter: Voter
    ) -> str:
        """`/topic teach`: a paper the topic should have posted, or never should."""
        topic = await self._topic(guild_id, topic_id)
        if not may_teach(topic, voter):
            raise UserError(who_teaches(topic))
        if self._find_paper is None:
            raise UserError("Looking papers up is not available here.")
        found = await self._find_paper(paper)
        if await self._store.get_paper(found.id) is None:
            # A paper looked up on Hugging Face: kept, so that the topic can learn from it.
            await self._store.upsert_papers([found], self._clock())
        vote = UP if relevant else DOWN
        previous = await self._feedback.vote(
            [topic.id], found.id, voter.user_id, vote, "teach", self._clock()
        )
        return f"“{inert(found.title)}”: " + _noted([topic], vote, previous)

    async def examples_from(self, user_id: int, list_name: str) -> tuple[str, list[Paper]]:
        """A person's saved list as a topic's first liked examples (`like:`), its papers kept
        in the store so that the topic can learn from them."""
        papers = await self._saved.saved_papers(user_id, list_name) if self._saved else []
        if not papers:
            raise UserError(
                f"You have no saved list “{inert(list_name)}” with papers in it: save a few "
                "papers first (`/saved add`, or 🔖 on any post)."
            )
        stored = set(await self._feedback.papers([p.id for p in papers]))
        missing = [p for p in papers if p.id not in stored]
        if missing:
            await self._store.upsert_papers(missing, self._clock())
        return list_name.strip(), papers[:MAX_EXAMPLES]

    async def list_names(self, user_id: int) -> list[str]:
        return await self._saved.list_names(user_id) if self._saved else []

    async def entries(self, guild_id: int, topic_id: int) -> tuple[Topic, list[FeedbackEntry]]:
        """What a topic learned from (anyone in the server may see it)."""
        topic = await self._topic(guild_id, topic_id)
        return topic, await self._feedback.entries(topic.id)

    async def remove(self, guild_id: int, topic_id: int, paper: str, voter: Voter) -> str:
        """Remove the votes on a paper: the person's own, or everyone's for who may teach."""
        topic = await self._topic(guild_id, topic_id)
        paper_id = parse_paper_id(paper)  # InvalidPaperId (a UserError) says what it takes
        everyone = voter.manages(topic)
        removed = await self._feedback.remove(
            topic.id, paper_id, None if everyone else voter.user_id
        )
        if not removed:
            raise UserError(f"Topic #{topic.id} has no vote on {paper_id} to remove.")
        return (
            f"Removed {removed} vote{'s' if removed != 1 else ''} on {paper_id} from topic "
            f"#{topic.id} {_where(topic)}."
        )

    async def reset(self, guild_id: int, topic_id: int, voter: Voter) -> str:
        topic = await self._topic(guild_id, topic_id)
        if not voter.manages(topic):
            raise UserError(who_teaches(topic))
        removed = await self._feedback.reset(topic.id)
        return (
            f"Topic #{topic.id} forgot all {removed} vote{'s' if removed != 1 else ''}: it "
            "follows its rules alone again."
        )

    async def counts(self, topics: list[Topic]) -> dict[int, int]:
        return await self._feedback.counts([t.id for t in topics])

    async def _topic(self, guild_id: int, topic_id: int) -> Topic:
        topic = await self._topics.get_topic(guild_id, topic_id) if topic_id < 2**63 else None
        if topic is None:
            raise UserError(NO_SUCH_TOPIC)
        return topic


def _noted(topics: list[Topic], vote: int, previous: dict[int, int | None]) -> str:
    where = _where(topics[0])
    if all(previous.get(t.id) == vote for t in topics):
        return (
            f"Your {EMOJI[vote]} on this paper stands already for {_named(topics)} {where}; "
            "`/topic feedback` removes it."
        )
    more = "more" if vote == UP else "less"
    changed = any(previous.get(t.id) == -vote for t in topics)
    head = f"Changed your vote to {EMOJI[vote]}. Noted" if changed else "Noted"
    return f"{head}: papers like this will be posted {more} {where} for {_named(topics)}."
