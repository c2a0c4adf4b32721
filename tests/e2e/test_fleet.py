"""Three `paperbot run` processes over four shards and one PostgreSQL database.

100 channels in eight guilds spread over the shards, 500 deliveries (five papers for each
channel). One process is killed (SIGKILL) mid fan-out: the others finish its work, nothing is
lost and nothing is shown twice. Then the polling process is killed: another polls within one
interval.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import asyncpg

from bot.core.models import TopicOptions
from bot.core.store import Store
from bot.core.store.topics import TopicStore
from tests.support.fake_discord import FakeDiscord
from tests.support.fake_hf import FakeHF, make_item
from tests.support.postgres import PostgresServer
from tests.support.runners import BotProcess, eventually, process_env

SHARDS = 4
RANGES = ("0-1", "2", "3")
PAPERS = 5


async def _seed(url: str, channels: list[tuple[str, str]]) -> None:
    created = datetime.now(UTC) - timedelta(hours=1)
    async with await Store.open(url) as store:
        topics = TopicStore(store)
        for guild_id, channel_id in channels:
            await topics.add_topic(
                guild_id=int(guild_id),
                channel_id=int(channel_id),
                query="diffusion",
                canonical="diffusion",
                options=TopicOptions(),
                created_by=1,
                now=created,
            )


async def _rows(url: str, sql: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        return list(await conn.fetch(sql))
    finally:
        await conn.close()


def _process(discord: FakeDiscord, hf: FakeHF, url: str, shards: str, folder: Path) -> BotProcess:
    env = process_env(
        discord,
        hf,
        url,
        PAPERBOT_SHARDS=shards,
        PAPERBOT_SHARD_COUNT=str(SHARDS),
        PAPERBOT_SEND_RATE="24",  # for the fleet: 8 per second for each of three
        PAPERBOT_LEASE_SECONDS="2",
        PAPERBOT_HEARTBEAT_SECONDS="0.5",
        PAPERBOT_IDENTIFY_SECONDS="0.2",
        LOG_LEVEL="INFO",
    )
    return BotProcess(env, folder, folder / f"shards-{shards}.log")


async def test_three_processes_deliver_each_paper_once_through_a_kill(
    discord_fake: FakeDiscord, fake_hf: FakeHF, postgres: PostgresServer, tmp_path: Path
) -> None:
    channels: list[tuple[str, str]] = []
    for n in range(8):  # two guilds per shard, 12 or 13 channels each
        guild_id, made = discord_fake.add_guild(n % SHARDS, SHARDS, 13 if n < 4 else 12)
        channels += [(guild_id, c.id) for c in made]
    assert len(channels) == 100
    url = await postgres.new_database()
    processes = [_process(discord_fake, fake_hf, url, r, tmp_path) for r in RANGES]
    try:
        await _seed(url, channels)
        for process in processes:
            process.start()
        await discord_fake.wait_until(
            lambda: {s for _t, s, _c in discord_fake.identify_log} == set(range(SHARDS)), 30
        )
        assert sorted(s for _t, s, _c in discord_fake.identify_log) == [0, 1, 2, 3]
        # max_concurrency 1: one IDENTIFY per window (0.2 s here, 5 s at Discord), fleet-wide.
        times = sorted(t for t, _s, _c in discord_fake.identify_log)
        assert min(b - a for a, b in pairwise(times)) >= 0.19, times
        # /paperbot status, answered by whichever process owns the home guild's shard,
        # lists the whole fleet.
        await eventually(lambda: True)

        async def fleet_field() -> str:
            record = await discord_fake.slash("admin", "papers", "paperbot status")
            reply = await discord_fake.wait_response(record)
            fields = {f["name"]: f["value"] for f in reply["embeds"][0]["fields"]}
            return next((v for k, v in fields.items() if k == "Processes (3)"), "")

        deadline = asyncio.get_running_loop().time() + 10
        while not (listed := await fleet_field()) or "polls" not in listed:
            assert asyncio.get_running_loop().time() < deadline, listed
            await asyncio.sleep(0.3)
        assert sorted(line.split(" · ")[1] for line in listed.splitlines()) == [
            "shards 0-1 of 4",
            "shards 2 of 4",
            "shards 3 of 4",
        ]
        assert listed.count("**polls**") == 1
        fake_hf.add(*(make_item(f"2611.{n:05d}", f"Diffusion study {n}") for n in range(PAPERS)))

        def shown() -> int:
            return sum(len(discord_fake.messages.get(cid, [])) for _g, cid in channels)

        await discord_fake.wait_until(lambda: shown() >= 25, 30)
        polling = await _rows(url, "SELECT pid FROM fleet WHERE polling = 1")
        victim = next(p for p in processes if p.proc and p.proc.pid not in {r[0] for r in polling})
        victim.signal(signal.SIGKILL)
        await victim.wait()
        assert shown() < 100, "the kill came mid fan-out"

        # The others finish: every channel shows each of the five papers, once.
        await discord_fake.wait_until(lambda: shown() >= 100, 60)

        async def recorded() -> bool:  # a repeat is sent before its delivery is recorded
            rows = await _rows(url, "SELECT count(*) FROM deliveries WHERE sent_at IS NULL")
            return rows[0][0] == 0

        deadline = asyncio.get_running_loop().time() + 30
        while not await recorded():
            assert asyncio.get_running_loop().time() < deadline, "the fan-out was never recorded"
            await asyncio.sleep(0.05)
        for _guild, cid in channels:
            papers = Counter(
                embed["url"] for m in discord_fake.messages.get(cid, []) for embed in m["embeds"]
            )
            assert len(papers) == PAPERS, (cid, papers)
            assert set(papers.values()) == {1}, f"a paper shown twice in {cid}: {papers}"
        print(f"nonce repeats Discord dropped: {len(discord_fake.nonce_repeats)}")
        sent = await _rows(url, "SELECT count(*) FROM deliveries WHERE sent_at IS NOT NULL")
        assert sent[0][0] == 100 * PAPERS

        # Kill the poller: another process polls within one interval (and a lease's length).
        (poller,) = await _rows(url, "SELECT pid FROM fleet WHERE polling = 1")
        killed = next(p for p in processes if p.proc and p.proc.pid == poller[0])
        killed.signal(signal.SIGKILL)
        await killed.wait()
        before = (await _rows(url, "SELECT max(id) FROM poll_log"))[0][0]

        async def taken_over() -> bool:
            rows = await _rows(url, f"SELECT count(*) FROM poll_log WHERE id > {before}")
            return rows[0][0] > 0

        deadline = asyncio.get_running_loop().time() + 10
        while not await taken_over():
            assert asyncio.get_running_loop().time() < deadline, "no process took over polling"
            await asyncio.sleep(0.2)
        (survivor,) = [p for p in processes if p.proc and p.proc.poll() is None]
        await eventually(lambda: True)  # let the survivor's heartbeat land
        rows = await _rows(url, "SELECT pid FROM fleet WHERE polling = 1")
        assert survivor.proc is not None
        assert survivor.proc.pid in {r[0] for r in rows}
    finally:
        for process in processes:
            process.ensure_stopped()
        await postgres.drop_database(url)
        if sys.exc_info()[0] is not None:
            for process in processes:
                print(process.output()[-3000:])
