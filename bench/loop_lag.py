"""Event-loop stalls while a poll is matched against 100,000 topics.

A Discord bot must answer an interaction within 3 s and keep its gateway heartbeat; a stalled
event loop does neither. After any topic change, the next poll rebuilds the topic index (seconds
of CPU at 100,000 topics), then matches the poll's papers against it. This script times the
longest gap a 1 ms ticker sees during that work, two ways in the same run:
- on the loop: the same functions called directly in a coroutine (the baseline);
- paperbot: the poll's `Ingest` step on a real SQLite store, which builds the index and matches in
  a worker thread.
Target: no stall near Discord's 3 s interaction deadline; the ratio is printed.

    .venv/bin/python -m bench.loop_lag [--topics N] [--papers N]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import bench
from bot.core.delivery.ingest import Ingest
from bot.core.delivery.planner import Planner, build_index, plan_deliveries
from bot.core.matching.vocabulary import VocabularyCache, english
from bot.core.store import Store
from bot.core.store.topics import TopicStore
from tests.support.data import insert_topics, make_papers, make_queries


async def longest_stall(work: Callable[[], Awaitable[object]]) -> tuple[float, float]:
    """(longest gap between ticks of a 1 ms ticker, total time) while `work` runs."""
    worst = 0.0
    done = False

    async def ticker() -> None:
        nonlocal worst
        last = time.perf_counter()
        while not done:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            worst = max(worst, now - last)
            last = now

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.01)
    start = time.perf_counter()
    await work()
    total = time.perf_counter() - start
    done = True
    await task
    return worst, total


async def run(n_topics: int, n_papers: int) -> None:
    rng = random.Random(11)
    queries = make_queries(n_topics, rng)
    papers = make_papers(n_papers, rng)
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as tmp:
        store = await Store.open(Path(tmp) / "bench.db")
        try:
            await insert_topics(store, queries, now - timedelta(days=1))
            topic_store = TopicStore(store)
            stored = await topic_store.all_topics()
            by_id = {t.id: t for t in stored}

            async def on_loop() -> None:
                index = build_index(stored)
                plan_deliveries(papers, by_id, index, now)

            ingest = Ingest(store, Planner(topic_store, VocabularyCache(None)))

            async def threaded() -> None:
                await ingest(papers, now)

            # paperbot first: the baseline leaves a whole index behind as garbage, which the
            # next build's collection would have to walk (the bot never holds two at once).
            english()  # read at the bot's start-up, before it serves anyone
            stall, total = await longest_stall(threaded)
            base_stall, base_total = await longest_stall(on_loop)
            queued = await store.fetch_all("SELECT count(*) AS n FROM deliveries")
        finally:
            await store.close()
    print(
        f"{n_papers:,} papers x {n_topics:,} topics, index rebuilt: "
        f"on the loop: longest stall {base_stall * 1000:7.1f} ms (work {base_total:.2f} s) | "
        f"paperbot: longest stall {stall * 1000:6.1f} ms (work {total:.2f} s, "
        f"{queued[0]['n']:,} deliveries queued) | stall ratio {base_stall / stall:,.0f}x"
    )


def positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topics", type=positive, default=100_000)
    parser.add_argument("--papers", type=positive, default=1_000)
    args = parser.parse_args(argv)
    asyncio.run(run(args.topics, args.papers))
    return 0


if __name__ == "__main__":
    bench.run(main)
