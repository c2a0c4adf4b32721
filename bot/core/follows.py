"""Follows: one person's topics, delivered to them by DM wherever they use paperbot.

A follow is a topic of the person's DM channel with paperbot (guild `DM_GUILD`): the same
topic language, limits, matching, explanations, outbox and digests as a channel's topics, and
each paper reaches a person once whichever of their follows matched. Every call is for one
person, who alone sees and changes their follows.
"""

from __future__ import annotations

from datetime import datetime

from bot.core.clock import Clock, utc_now
from bot.core.errors import UserError
from bot.core.matching.why import Verdict
from bot.core.models import DEFAULT_OPTIONS, DM_GUILD, Topic, TopicOptions
from bot.core.store.deliveries import DeliveryStore
from bot.core.store.follows import FollowStore, Held, Person
from bot.core.topics import AddedTopic, Examples, TopicService, TopicTest

PAUSED_BY_YOU = "paused by you with /follow pause"
NO_SUCH_FOLLOW = "You have no such follow. `/follow list` shows yours."


class FollowService:
    def __init__(
        self,
        topics: TopicService,
        people: FollowStore,
        deliveries: DeliveryStore,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._topics = topics
        self._people = people
        self._deliveries = deliveries
        self._clock = clock

    async def add(
        self,
        *,
        user_id: int,
        dm_channel_id: int,
        text: str | None,
        options: TopicOptions = DEFAULT_OPTIONS,
        like: Examples | None = None,
    ) -> AddedTopic:
        await self._people.remember(user_id, dm_channel_id, self._clock())
        return await self._topics.add(
            guild_id=DM_GUILD,
            channel_id=dm_channel_id,
            user_id=user_id,
            text=text,
            options=options,
            like=like,
        )

    async def follows(self, user_id: int) -> tuple[list[Topic], Person | None]:
        person = await self._people.person(user_id)
        if person is None:
            return [], None
        return await self._topics.topics_of(DM_GUILD, person.dm_channel_id), person

    async def remove(self, user_id: int, follow_id: int) -> Topic:
        person = await self._known(user_id)
        mine = {t.id for t in await self._topics.topics_of(DM_GUILD, person.dm_channel_id)}
        if follow_id not in mine:  # someone else's or none: the same answer
            raise UserError(NO_SUCH_FOLLOW)
        return await self._topics.remove(DM_GUILD, follow_id, lambda _channel: True)

    async def pause(self, user_id: int) -> None:
        """Stop every follow of the person until they resume; nothing is saved up meanwhile."""
        person = await self._known(user_id)
        if person.paused_reason:
            raise UserError(f"Your follows are already paused ({person.paused_reason}).")
        await self._deliveries.pause_channel(person.dm_channel_id, PAUSED_BY_YOU, self._clock())

    async def resume(self, user_id: int) -> Person:
        person = await self._known(user_id)
        if not await self._topics.resume_follows(person.dm_channel_id):
            raise UserError("Your follows are not paused; nothing to resume.")
        return person

    async def test(self, text: str) -> TopicTest:
        return await self._topics.test(text)

    async def why(self, user_id: int, paper: str, query: str | None) -> list[Verdict]:
        person = await self._people.person(user_id)
        follows = await self._topics.topics_of(DM_GUILD, person.dm_channel_id) if person else []
        if query is None and not follows:
            raise UserError("You follow nothing yet to test the paper against: give a `query`.")
        return await self._topics.why(
            guild_id=DM_GUILD if person else None,
            channel_id=person.dm_channel_id if person else None,
            paper=paper,
            query=query,
        )

    async def choices(self, user_id: int, typed: str) -> list[Topic]:
        follows, _person = await self.follows(user_id)
        needle = typed.strip().lower()
        return [t for t in follows if needle in t.query.lower() or needle == str(t.id)][:25]

    async def untold_refusal(self, user_id: int, now: datetime | None = None) -> str | None:
        """Why Discord refused this person's DMs, if they were not told since: returned once
        (the caller tells them), then None until their DMs are refused again."""
        person = await self._people.person(user_id)
        if person is None or person.told or not person.paused_reason:
            return None
        if person.paused_reason == PAUSED_BY_YOU:
            return None
        if not await self._people.mark_told(user_id, now or self._clock()):
            return None  # told meanwhile, by another command
        return person.paused_reason

    async def held(self, user_id: int) -> Held:
        """What paperbot keeps about the person: follows, saved lists, papers sent by DM."""
        return await self._people.held(user_id)

    async def forget(self, user_id: int) -> Held:
        """Erase all of it (their follows, lists, DM history); returns what there was."""
        held = await self._people.forget(user_id)
        self._topics.forgot_topics()
        return held

    async def _known(self, user_id: int) -> Person:
        person = await self._people.person(user_id)
        if person is None:
            raise UserError("You follow nothing yet. Start with `/follow add`.")
        return person
