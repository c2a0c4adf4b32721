"""A fan-out through the fake Discord at real timing: how close to Discord's limits it runs.

The real discord.py client posts to `tests/e2e/fake_discord.py`, which enforces Discord's
limits at real speed (50 requests per second in all, 5 messages per 5 s per channel, with
the rate-limit headers discord.py paces itself by) and drops a message whose nonce it has seen.
Measured in the same run, on the same store and transport:
- baseline: what paperbot did before: one message per delivery, one at a time, at a fixed
  20 per second;
- paperbot: `Outbox.drain` as the bot runs it: a channel's papers packed ten to a message,
  channels served side by side under one global pace (`PAPERBOT_SEND_RATE`, 40).
The physical limits for comparison: one paper per message at 50 per second, and one message
per channel at 50 per second. Each run checks every delivery arrived exactly once.

    .venv/bin/python -m bench.fanout [--quick]     (--quick: 500 deliveries only)
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import discord

import bench
from bot.app import point_discord_at
from bot.config import Settings
from bot.core.delivery.outbox import Outbox, nonce_for
from bot.core.delivery.pace import Pace, Throttle
from bot.core.models import NewDelivery, Paper, TopicOptions
from bot.core.store import Store
from bot.core.store.deliveries import DeliveryStore
from bot.core.store.topics import TopicStore
from bot.transport.sender import DiscordTransport
from tests.support.fake_discord import FakeDiscord

TOKEN = "test-token.fake.discord"
T0 = datetime.now(UTC) - timedelta(minutes=1)


async def seed(db: Path, channels: list[int], per_channel: int) -> None:
    async with await Store.open(db) as store:
        topics, deliveries = TopicStore(store), DeliveryStore(store)
        papers = [
            Paper(id=f"2611.{i:05d}", title=f"Fan-out study {i}", abstract="A study. " * 40)
            for i in range(per_channel)
        ]
        await store.upsert_papers(papers, T0)
        owed = []
        for n, channel in enumerate(channels):
            topic = await topics.add_topic(
                guild_id=1 + n // 100,  # 200 topics per server at most
                channel_id=channel,
                query="fanout",
                canonical="fanout",
                options=TopicOptions(),
                created_by=1,
                now=T0,
            )
            owed += [
                NewDelivery(topic.guild_id, channel, p.id, (topic.id,), T0, False) for p in papers
            ]
        await deliveries.queue(owed, T0)


async def baseline(store: DeliveryStore, transport: DiscordTransport) -> int:
    """One message per delivery, one at a time, at a fixed 20 per second (the old outbox)."""
    throttle = Throttle(20.0, asyncio.sleep)
    sent = 0
    while due := await store.due_deliveries(datetime.now(UTC)):
        for delivery in due:
            await throttle.wait()
            message_id = await transport.send_card(
                delivery.channel_id, delivery.paper, delivery.topics, nonce=nonce_for([delivery.id])
            )
            await store.mark_sent([delivery.id], message_id, datetime.now(UTC))
            sent += 1
    return sent


async def paperbot(store: DeliveryStore, transport: DiscordTransport) -> int:
    outbox = Outbox(store, transport, pace=Pace(per_second=40.0))
    sent = 0
    while messages := await outbox.drain():
        sent += messages
    return sent


async def run(name: str, channels: int, per_channel: int, work: str) -> dict[str, float]:
    async with FakeDiscord(time_scale=1.0, extra_channels=channels) as fake:
        settings = Settings(
            discord_token=TOKEN,
            discord_api_base=fake.api_base,
            discord_gateway_url=fake.gateway_url,
        )
        point_discord_at(settings)
        feeds = [c for c in fake.channels.values() if c.name.startswith("feed-")]
        with tempfile.TemporaryDirectory() as folder:
            db = Path(folder) / "fanout.db"
            await seed(db, [int(c.id) for c in feeds], per_channel)
            client = discord.Client(intents=discord.Intents.none())
            async with client, await Store.open(db) as store:
                await client.login(TOKEN)
                transport = DiscordTransport(client)
                deliveries = DeliveryStore(store)
                start = time.perf_counter()
                messages = await (baseline if work == "baseline" else paperbot)(
                    deliveries, transport
                )
                elapsed = time.perf_counter() - start
        shown = Counter((c.id, p) for c in feeds for p in fake.papers_posted(c.name))
        expected = channels * per_channel
        assert len(shown) == expected, f"{name}: {len(shown)} of {expected} delivered"
        assert set(shown.values()) == {1}, f"{name}: a delivery was shown twice"
        posts = [r for r in fake.requests if r.method == "POST" and "/messages" in r.path]
        limited = sum(1 for r in posts if r.status == 429)
        return {
            "elapsed": elapsed,
            "messages": messages,
            "requests": len(posts),
            "limited": limited,
            "rate": expected / elapsed,
        }


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="500 deliveries only")
    args = parser.parse_args()
    sizes = [(100, 5)] if args.quick else [(100, 5), (1000, 5)]
    for channels, per_channel in sizes:
        total = channels * per_channel
        print(f"== {total:,} deliveries to {channels:,} channels ({per_channel} papers each)")
        results = {}
        for work in ("baseline", "paperbot"):
            if work == "baseline" and channels > 100:
                continue  # 250 s at 20 per second: the 100-channel run shows the ratio
            r = results[work] = await run(work, channels, per_channel, work)
            share = r["limited"] / max(r["requests"], 1)
            print(
                f"  {work:<9} {r['elapsed']:6.1f} s  {r['rate']:6.1f} deliveries/s  "
                f"{r['messages']:>5.0f} messages  429s {r['limited']:.0f} of "
                f"{r['requests']:.0f} requests ({share:.2%})"
            )
        best_single, best_packed = total / 50, channels / 50
        mine = results["paperbot"]["elapsed"]
        if "baseline" in results:
            print(
                f"  paperbot is {results['baseline']['elapsed'] / mine:.1f}x faster than baseline"
            )
        print(
            f"  limits: one paper per message at 50/s {best_single:.1f} s "
            f"(paperbot at {best_single / mine:.2f} of it); one message per channel "
            f"{best_packed:.1f} s (at {best_packed / mine:.2f} of it)"
        )
    return 0


if __name__ == "__main__":
    bench.run(lambda: asyncio.run(main()))
