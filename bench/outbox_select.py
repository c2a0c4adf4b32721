"""What picking the outbox's next batch costs, at 1,000 and at 1,000,000 pending deliveries.

`DeliveryStore.due_deliveries` (the channels of the oldest due rows off a partial index, then
those channels' rows off a second one) against the query paperbot used before (every due row
numbered per channel by a window function, so the whole backlog is read to pick 100), on the
same SQLite file. Target: the batch at 1,000,000 costs at most twice the batch at 1,000.

    .venv/bin/python -m bench.outbox_select
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import bench
from bot.core.models import Paper
from bot.core.store import Store
from bot.core.store.deliveries import DeliveryStore
from bot.core.store.driver import to_iso

T0 = datetime(2026, 11, 1, tzinfo=UTC)
PAPERS = 1000

BEFORE = (
    "WITH due AS (SELECT d.*, row_number() OVER (PARTITION BY d.channel_id "
    "ORDER BY d.due_at, d.id) AS turn FROM deliveries d "
    "LEFT JOIN channel_state c ON c.channel_id = d.channel_id "
    "WHERE d.sent_at IS NULL AND d.gave_up_at IS NULL AND d.next_attempt_at <= ? "
    "AND c.paused_reason IS NULL) "
    "SELECT due.id FROM due JOIN papers p ON p.id = due.paper_id "
    "ORDER BY due.turn, due.due_at, due.id LIMIT 100"
)


async def seed(store: Store, channels: int, per_channel: int) -> None:
    await store.upsert_papers([Paper(id=f"2611.{i:05d}", title=f"P{i}") for i in range(PAPERS)], T0)
    rows = (
        (
            1,
            10_000 + c,
            f"2611.{i:05d}",
            "[1]",
            0,
            *[to_iso(T0)] * 2,
            to_iso(T0 + timedelta(seconds=i)),
        )
        for c in range(channels)
        for i in range(per_channel)
    )
    async with store.transaction() as conn:
        await conn.executemany(
            "INSERT INTO deliveries (guild_id, channel_id, paper_id, topic_ids, digest, "
            "created_at, due_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


async def timed(call: object, repeat: int = 15) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        await call()  # type: ignore[operator]
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


async def main() -> int:
    now = T0 + timedelta(days=1)
    results: dict[str, tuple[float, float]] = {}
    layouts = {
        "1,000 (50 channels x 20)": (50, 20),
        "1,000,000 (50,000 channels x 20)": (50_000, 20),
        "1,000,000 (1,000 channels x 1,000)": (1_000, 1_000),
    }
    for name, (channels, per_channel) in layouts.items():
        with tempfile.TemporaryDirectory() as folder:
            async with await Store.open(Path(folder) / "outbox.db") as store:
                await seed(store, channels, per_channel)
                await store.fetch_all("ANALYZE")
                deliveries = DeliveryStore(store)
                batch = len(await deliveries.due_deliveries(now))
                mine = await timed(lambda d=deliveries: d.due_deliveries(now))
                before = await timed(lambda s=store: s.fetch_all(BEFORE, (to_iso(now),)), 3)
        results[name] = (mine, before)
        print(
            f"{name:<36} paperbot {mine * 1000:6.1f} ms for a batch of {batch:,} "
            f"({mine / batch * 1e6:5.1f} us each) | before: {before * 1000:7.1f} ms"
        )
    small = results["1,000 (50 channels x 20)"]
    for name in list(layouts)[1:]:
        large = results[name]
        print(
            f"{name}: paperbot {large[0] / small[0]:.2f}x the batch at 1,000 (target at most 2x);"
            f" before {large[1] / small[1]:.0f}x"
        )
    return 0


if __name__ == "__main__":
    bench.run(lambda: asyncio.run(main()))
