"""One process on SQLite, one on PostgreSQL, three on PostgreSQL: a large poll and a fan-out.

Each configuration runs real `paperbot run` processes against the fake Discord at real timing
(50 requests per second, 5 messages per 5 s per channel) and a fake Hugging Face, and measures:
- ingest + matching: a 1,000-paper poll against 100,000 topics (the poll log's own timing:
  fetch, store, match on a worker thread, queue about a million deliveries). The 100,000 topics
  follow channels that are paused, so their deliveries are queued but wait;
- fan-out: 500 deliveries to 100 channels in eight servers spread over four shards, from the
  end of the poll until the last is posted, each checked to arrive exactly once;
- interaction latency: a slash command every 200 ms from start to the end of the fan-out
  (Discord's deadline is 3 s; the aim is a p95 under 300 ms).
The three configurations print side by side, with ratios to the single SQLite process.

    .venv/bin/python -m bench.fleet [--topics 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import bench
from bot.core.matching.query import parse
from bot.core.store import Store
from bot.core.store.driver import from_iso, to_iso
from tests.support.data import make_papers, make_queries
from tests.support.fake_discord import FakeDiscord
from tests.support.fake_hf import FakeHF, make_item
from tests.support.postgres import PostgresServer
from tests.support.runners import process_env

SHARDS = 4
CHANNELS = 100
PER_CHANNEL = 5
COMMANDS = [("paperbot status", {}), ("saved lists", {}), ("topic list", {})]


async def seed(target: str, n_topics: int, channels: list[tuple[str, str]]) -> None:
    """`n_topics` random topics on paused channels, and one "fleetbench" topic per channel."""
    rng = random.Random(11)
    created = to_iso(datetime.now(UTC) - timedelta(days=1))
    async with await Store.open(target) as store, store.transaction() as tx:
        queries = make_queries(n_topics, rng)
        await tx.executemany(
            "INSERT INTO topics (guild_id, channel_id, query, canonical, created_by, created_at) "
            "VALUES (?, ?, ?, ?, 0, ?) ON CONFLICT DO NOTHING",
            [
                (1 + i // 200, 10_000 + i // 25, q, parse(q).canonical, created)
                for i, q in enumerate(queries)
            ],
        )
        await tx.executemany(
            "INSERT INTO channel_state (channel_id, guild_id, paused_reason, paused_at) "
            "VALUES (?, ?, 'benchmark: waits', ?) ON CONFLICT DO NOTHING",
            [(10_000 + i, 1 + i // 8, created) for i in range(n_topics // 25 + 1)],
        )
        await tx.executemany(
            "INSERT INTO topics (guild_id, channel_id, query, canonical, created_by, created_at) "
            "VALUES (?, ?, 'fleetbench', 'fleetbench', 0, ?)",
            [(int(g), int(c), created) for g, c in channels],
        )


async def scenario(
    name: str, target: str, ranges: list[str | None], topics: int
) -> dict[str, float]:
    rng = random.Random(5)
    papers = make_papers(1000 - PER_CHANNEL, rng)
    async with FakeDiscord(time_scale=1.0) as discord, FakeHF() as hf:
        channels: list[tuple[str, str]] = []
        for n in range(8):
            guild, made = discord.add_guild(n % SHARDS, SHARDS, CHANNELS // 8 + (n < 4))
            channels += [(guild, c.id) for c in made]
        await seed(target, topics, channels)
        folder = Path(tempfile.mkdtemp())
        procs = []
        start = time.perf_counter()
        for shards in ranges:
            log = (folder / f"{shards}.log").open("ab")
            env = process_env(
                discord,
                hf,
                target,
                PAPERBOT_POLL_SECONDS="5",
                PAPERBOT_FEEDS="trending",
                PAPERBOT_SEND_RATE="40",
                # The fake does not enforce Discord's 5 s IDENTIFY window: start without it.
                PAPERBOT_IDENTIFY_SECONDS="0.2",
                LOG_LEVEL="WARNING",
            )
            if shards is not None:
                env.update({"PAPERBOT_SHARDS": shards, "PAPERBOT_SHARD_COUNT": str(SHARDS)})
            procs.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "bot",
                    "run",
                    env=env,
                    cwd=folder,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        latencies: list[float] = []
        try:
            sessions = 1 if ranges == [None] else SHARDS
            await discord.wait_until(lambda: discord.ready_sent >= sessions, 60)
            # Every process is up: the poll comes, and commands arrive throughout it.
            hf.add(*(make_item(p.id, p.title, p.abstract) for p in papers))
            hf.add(
                *(make_item(f"2612.{i:05d}", f"Fleetbench study {i}") for i in range(PER_CHANNEL))
            )

            def shown() -> int:
                return sum(len(posted(discord, cid)) for _g, cid in channels)

            done_at = None
            while done_at is None or time.perf_counter() - done_at < 1.0:
                command, options = COMMANDS[len(latencies) % len(COMMANDS)]
                record = await discord.slash("member", "papers", command, options)
                try:
                    callback = await discord.wait_callback(record, timeout=10)
                    latencies.append(callback["at"] - record.created)
                except TimeoutError:
                    latencies.append(float("inf"))
                if done_at is None and shown() >= CHANNELS * PER_CHANNEL:
                    done_at = time.perf_counter()
                if time.perf_counter() - start > 900:
                    raise TimeoutError(f"{name}: the fan-out did not finish in 15 minutes")
                await asyncio.sleep(0.2)
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                await asyncio.wait_for(proc.wait(), 30)
        async with await Store.open(target) as store:
            (poll,) = await store.fetch_all(
                "SELECT started_at, finished_at FROM poll_log WHERE papers_new > 0"
            )
            queued = await store.fetch_one("SELECT count(*) FROM deliveries")
        started, finished = from_iso(poll[0]), from_iso(poll[1])
        assert started is not None
        assert finished is not None
        ingest = (finished - started).total_seconds()
        posts = [r for r in discord.requests if r.method == "POST" and "/messages" in r.path]
        last = max(r.at for r in posts if r.status == 200)  # the fake's monotonic clock
        fan_out = time.time() - (time.monotonic() - last) - finished.timestamp()
        shown_each = Counter(p for _g, cid in channels for p in posted(discord, cid))
        assert len(shown_each) == PER_CHANNEL, f"{name}: papers missing: {shown_each}"
        assert set(shown_each.values()) == {CHANNELS}, f"{name}: not each once: {shown_each}"
        return {
            "ingest": ingest,
            "queued": float(queued[0] if queued else 0),
            "fan_out": fan_out,
            "p95": p95(latencies),
            "max": max(x for x in latencies if x != float("inf")),
            "missed": float(sum(1 for x in latencies if x > 3.0)),
            "commands": float(len(latencies)),
            "limited": float(sum(1 for r in posts if r.status == 429)),
            "requests": float(len(posts)),
        }


def posted(discord: FakeDiscord, channel_id: str) -> list[str]:
    """The paper ids of every card shown in a channel."""
    return [
        embed["url"].rsplit("/", 1)[1]
        for message in discord.messages.get(channel_id, [])
        for embed in message.get("embeds", [])
        if "/papers/" in embed.get("url", "")
    ]


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * 95 // 100) - 1)]


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topics", type=int, default=100_000)
    topics = parser.parse_args().topics
    print(
        f"1,000-paper poll against {topics:,} topics; {CHANNELS * PER_CHANNEL} deliveries to "
        f"{CHANNELS} channels over {SHARDS} shards; a command every 200 ms"
    )
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        results["1 process, SQLite"] = await scenario(
            "sqlite", str(Path(folder) / "bench.db"), [None], topics
        )
    server = PostgresServer()
    await asyncio.to_thread(server.start)
    try:
        await server.prepare_template()
        results["1 process, PostgreSQL"] = await scenario(
            "pg-1", await server.new_database(), [None], topics
        )
        results["3 processes, PostgreSQL"] = await scenario(
            "pg-3", await server.new_database(), ["0-1", "2", "3"], topics
        )
    finally:
        await asyncio.to_thread(server.stop)
    base = results["1 process, SQLite"]
    for name, r in results.items():
        print(
            f"  {name:<24} ingest+match {r['ingest']:6.1f} s ({r['ingest'] / base['ingest']:.2f}x)"
            f"  {r['queued']:,.0f} queued  fan-out {r['fan_out']:5.1f} s "
            f"({r['fan_out'] / base['fan_out']:.2f}x)  429s {r['limited']:.0f} of "
            f"{r['requests']:.0f}  commands p95 {r['p95'] * 1000:5.0f} ms, max "
            f"{r['max'] * 1000:5.0f} ms, {r['missed']:.0f} past 3 s of {r['commands']:.0f}"
        )
    worst = max(r["p95"] for r in results.values())
    print(f"  aim p95 < 300 ms in every case: {'met' if worst < 0.3 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    bench.run(lambda: asyncio.run(main()))
