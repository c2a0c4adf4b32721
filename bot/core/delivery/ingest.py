"""One poll's unit of work, top to bottom: store the papers, plan what they owe, queue it.

The poller hands each feed's papers to `Ingest`; it asks the planner for the plan, stores the
papers and the deliveries planned from them as stored, and wakes the outbox.

The plan (matching every stored paper against every topic) is CPU work, seconds for a large
poll at 100,000 topics: a worker thread does it, so the event loop goes on meanwhile. The first
chunk of deliveries goes in the papers' transaction; a poll that owes more (a million rows at
100,000 topics) stores the rest in chunks, each its own short transaction, so that commands'
writes are never held up for seconds. Should the bot stop between chunks, nothing is lost:
every poll plans again for every paper still in the feeds, and what is already owed is skipped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime

from bot.core.delivery.planner import Plan, Planner
from bot.core.models import IngestResult, Paper
from bot.core.store import Store
from bot.core.store.deliveries import delivery_rows, insert_delivery_rows
from bot.core.store.papers import papers_in, upsert_papers_in

OUTBOX_CHANNEL = "paperbot_outbox"  # notified when deliveries were queued


async def ingest(store: Store, papers: Sequence[Paper], now: datetime, plan: Plan) -> IngestResult:
    """Store `papers`, then the deliveries `plan` derives from them (as stored)."""
    batch = list(papers)
    chunk = store.write_chunk
    async with store.transaction() as tx:
        new = await upsert_papers_in(tx, batch, now, store.ranked_papers)
        stored = await papers_in(tx, [p.id for p in batch])
        rows = await asyncio.to_thread(lambda: delivery_rows(plan(stored), now))
        await insert_delivery_rows(tx, rows[:chunk])
    for start in range(chunk, len(rows), chunk):
        async with store.transaction() as tx:
            await insert_delivery_rows(tx, rows[start : start + chunk])
    if rows:
        await store.db.notify(OUTBOX_CHANNEL)  # the other processes' outboxes look now
    return IngestResult(seen=len(batch), new=len(new))


class Ingest:
    """What the poller calls with each feed's papers: store them, queue what they owe."""

    def __init__(
        self, store: Store, planner: Planner, on_queued: Callable[[], None] = lambda: None
    ) -> None:
        self._store = store
        self._planner = planner
        self._on_queued = on_queued  # the outbox's wake-up

    async def __call__(self, papers: Sequence[Paper], now: datetime) -> IngestResult:
        """Store a poll's papers and queue what they owe, in one transaction."""
        plan = await self._planner.prepare(now)
        result = await ingest(self._store, papers, now, plan)
        self._on_queued()
        return result
