"""/foryou: recent papers ranked by one person's saved papers (bot/core/recommend.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.core.errors import UserError
from bot.core.models import Paper
from bot.core.recommend import MIN_SAVED, Recommendation, recommend
from bot.core.saved import list_name as clean_list_name
from bot.core.saved_store import SavedStore
from bot.core.store import Store

DEFAULT_DAYS = 7
MAX_DAYS = 30
MAX_SHOWN = 50  # 10 pages of 5

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class ForYou:
    recommendations: tuple[Recommendation, ...]
    saved: dict[str, Paper]  # the saved papers they were learned from, by id
    days: int
    considered: int  # recent papers looked at
    list_name: str | None


def utc_now() -> datetime:
    return datetime.now(UTC)


class ForYouService:
    def __init__(self, store: Store, saved: SavedStore, *, clock: Clock = utc_now) -> None:
        self._store = store
        self._saved = saved
        self._clock = clock

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
