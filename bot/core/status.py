"""What `/paperbot status` reports, gathered without knowing about Discord."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from bot.core.models import OutboxSummary, PollRecord
from bot.core.store.fleet import Member
from bot.core.store.health import StoreHealth

NextPoll = Callable[[], datetime | None]


class OutboxStatus(Protocol):
    async def summary(self, guild_id: int | None = None) -> OutboxSummary: ...


class StatusStore(Protocol):
    async def latest_polls(self) -> list[PollRecord]: ...

    async def paper_count(self) -> int: ...


@dataclass(frozen=True, slots=True)
class BotStatus:
    version: str
    uptime: timedelta
    feeds: tuple[str, ...]
    last_polls: tuple[PollRecord, ...]
    next_poll: datetime | None
    papers_stored: int
    outbox: OutboxSummary
    store_problem: str | None = None  # why the database takes no writes, while it does not
    store_problem_since: datetime | None = None
    fleet: tuple[Member, ...] = ()  # the living processes over this database


class StatusSource:
    """Reads the figures the status command shows."""

    def __init__(
        self,
        store: StatusStore,
        feeds: tuple[str, ...],
        started_at: datetime,
        next_poll: NextPoll,
        outbox: OutboxStatus,
        health: StoreHealth | None = None,
        fleet: Callable[[], Awaitable[list[Member]]] | None = None,
        *,
        version: str,
    ) -> None:
        self._version = version
        self._fleet = fleet
        self._outbox = outbox
        self._health = health
        self._store = store
        self._feeds = feeds
        self._started_at = started_at
        self._next_poll = next_poll

    async def status(self, now: datetime, guild_id: int | None = None) -> BotStatus:
        """The bot's status; paused channels are those of `guild_id` only (none in a DM)."""
        polls = {p.feed: p for p in await self._store.latest_polls()}
        return BotStatus(
            version=self._version,
            uptime=now - self._started_at,
            feeds=self._feeds,
            last_polls=tuple(polls[f] for f in self._feeds if f in polls),
            next_poll=self._next_poll(),
            papers_stored=await self._store.paper_count(),
            outbox=await self._summary(guild_id),
            store_problem=self._health.problem if self._health else None,
            store_problem_since=self._health.since if self._health else None,
            fleet=tuple(await self._fleet()) if self._fleet else (),
        )

    async def _summary(self, guild_id: int | None) -> OutboxSummary:
        summary = await self._outbox.summary(guild_id)
        if guild_id is None:
            # Outside a server (a DM), other servers' channels are nobody's business.
            return replace(summary, paused=())
        return summary
