"""/foryou: recent papers ranked by one person's saved papers (`recommend.py`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.clock import Clock, utc_now
from bot.core.delivery.planner import next_digest
from bot.core.errors import UserError
from bot.core.models import DM_GUILD, RECOMMENDED, NewDelivery, Paper
from bot.core.recommend import MIN_SAVED, Recommendation, recommend
from bot.core.saved import list_name as clean_list_name
from bot.core.store import Store
from bot.core.store.deliveries import DeliveryStore
from bot.core.store.follows import FollowStore
from bot.core.store.foryou import Digest, ForYouStore
from bot.core.store.saved import SavedStore

DEFAULT_DAYS = 7
MAX_DAYS = 30
MAX_SHOWN = 50  # 10 pages of 5
DIGEST_SIZE = 10
DIGEST_DAYS = 7


@dataclass(frozen=True, slots=True)
class ForYou:
    recommendations: tuple[Recommendation, ...]
    saved: dict[str, Paper]  # the saved papers they were learned from, by id
    days: int
    considered: int  # recent papers looked at
    list_name: str | None


class ForYouService:
    def __init__(
        self,
        store: Store,
        saved: SavedStore,
        digests: ForYouStore | None = None,
        people: FollowStore | None = None,
        deliveries: DeliveryStore | None = None,
        *,
        on_queued: Callable[[], None] = lambda: None,
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._saved = saved
        self._digests = digests or ForYouStore(store)
        self._people = people or FollowStore(store)
        self._deliveries = deliveries or DeliveryStore(store)
        self._on_queued = on_queued
        self._clock = clock

    # -- the digest -----------------------------------------------------------------------------

    async def set_digest(
        self,
        user_id: int,
        dm_channel_id: int,
        *,
        hour: int,
        weekly: bool,
        list_raw: str | None = None,
    ) -> datetime:
        """Send the person their top papers by DM every day (or week) at `hour` UTC; returns
        when the first one is due. Checks now that there is something to learn from."""
        if not 0 <= hour <= 23:
            raise UserError("hour must be between 0 and 23 (UTC).")
        found = await self.rank(user_id, list_raw, DIGEST_DAYS, limit=1)
        now = self._clock()
        first = next_digest(now, hour)
        await self._people.remember(user_id, dm_channel_id, now)
        await self._digests.set_digest(user_id, hour, weekly, found.list_name, first, now)
        return first

    async def stop_digest(self, user_id: int) -> None:
        if not await self._digests.stop_digest(user_id):
            raise UserError("You have no /foryou digest to stop.")

    async def digest(self, user_id: int) -> Digest | None:
        return await self._digests.digest(user_id)

    async def send_due_digests(self) -> int:
        """Queue each due digest (its papers not sent to the person before) for the outbox;
        any process may run this: a digest is claimed before it is queued. Returns how many."""
        now = self._clock()
        queued = 0
        for digest in await self._digests.due(now):
            following = next_digest(now, digest.hour) + timedelta(days=6 if digest.weekly else 0)
            if not await self._digests.claim(digest, following):
                continue  # another process has it
            if digest.dm_channel_id is None:
                continue
            try:
                found = await self.rank(digest.user_id, digest.list_name, DIGEST_DAYS)
            except UserError:
                try:  # the list was renamed or deleted: all their saved papers, then
                    found = await self.rank(digest.user_id, None, DIGEST_DAYS)
                except UserError:
                    continue  # fewer than 3 saved papers now: the next one, once they save more
            ids = [r.paper.id for r in found.recommendations]
            sent = await self._digests.delivered(digest.dm_channel_id, ids)
            top = [i for i in ids if i not in sent][:DIGEST_SIZE]
            owed = [
                NewDelivery(DM_GUILD, digest.dm_channel_id, pid, (RECOMMENDED,), now, True)
                for pid in top
            ]
            if owed and await self._deliveries.queue(owed, now):
                queued += 1
        if queued:
            self._on_queued()
        return queued

    # -- the ranking ----------------------------------------------------------------------------

    async def rank(
        self,
        user_id: int,
        list_raw: str | None = None,
        days: int = DEFAULT_DAYS,
        limit: int = MAX_SHOWN,
    ) -> ForYou:
        """The papers of the last `days` days most like the person's saved papers (one list,
        or all), best first; papers like none of them are left out."""
        if not 1 <= days <= MAX_DAYS:
            raise UserError(f"days must be between 1 and {MAX_DAYS}.")
        name = clean_list_name(list_raw) if list_raw is not None else None
        if name is not None and not await self._saved.list_exists(user_id, name):
            raise UserError(f"You have no list named “{name}”. `/saved lists` shows yours.")
        saved = await self._saved.saved_papers(user_id, name)
        if len(saved) < MIN_SAVED:
            where = f" in “{name}”" if name else ""
            raise UserError(
                f"/foryou learns what you read from your saved papers, and needs {MIN_SAVED} at "
                f"least (you have {len(saved)}{where}). Save papers with the 🔖 Save button on "
                "any card, or with `/saved add`."
            )
        recent = await self._store.recent_papers(self._clock() - timedelta(days=days))
        ranked = await asyncio.to_thread(recommend, saved, recent, limit=limit)
        return ForYou(
            tuple(r for r in ranked if r.score > 0),
            {p.id: p for p in saved},
            days,
            len(recent),
            name,
        )
