"""The bot under a large poll: commands are still answered within Discord's deadline."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.core.store import Store
from tests.support.data import insert_topics, make_papers, make_queries, own_papers
from tests.support.fake_discord import FakeDiscord
from tests.support.fake_hf import FakeHF, make_item
from tests.support.runners import RunningBot, bot_settings


async def test_commands_are_answered_in_time_while_a_large_poll_is_queued(
    fake_hf: FakeHF, tmp_path: Any
) -> None:
    rng = random.Random(5)
    base = own_papers()  # the project's own: the same load on every machine
    queries = make_queries(20_000, rng, base)
    papers = make_papers(400, rng, base)
    db = tmp_path / "load.db"
    async with await Store.open(db) as store:
        await insert_topics(store, queries, datetime.now(UTC) - timedelta(days=1))
    fake_hf.add(*(make_item(p.id, p.title, p.abstract) for p in papers))
    # Real timing: the fake refuses an answer that comes after 3 s, as Discord does.
    async with FakeDiscord(time_scale=1.0) as discord:
        bot = RunningBot(discord, fake_hf, bot_settings(discord, fake_hf, db, poll_seconds=3600))
        await bot.start()
        answered_during_poll = 0
        for name in ["paperbot status", "saved lists", "topic list", "papers trending"] * 10:
            polled = bot.query("SELECT count(*) FROM poll_log")[0][0]
            record = await discord.slash("member", "papers", name)
            callback = await discord.wait_callback(record, timeout=10)
            assert callback["type"] in (4, 5), callback  # answered, not refused as too late
            if polled == 0:
                answered_during_poll += 1
            if polled >= len(bot.settings.feeds):
                break
        feeds = len(bot.settings.feeds)
        await bot.wait_for_db("SELECT count(*) FROM poll_log", lambda r: r[0][0] >= feeds, 60)
        assert await bot.stop() == 0
    assert answered_during_poll >= 3, "the poll was over before commands could be tried"
    assert bot.query("SELECT count(*) FROM deliveries")[0][0] > 10_000
