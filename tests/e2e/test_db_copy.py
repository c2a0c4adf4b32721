"""A group outgrows its SQLite file: `db copy` to PostgreSQL, and the bot there reposts nothing."""

from __future__ import annotations

from pathlib import Path

from bot.core.store import Store
from bot.core.store.copy import copy_database
from bot.core.store.sqlite import ProcessLock
from tests.support.fake_discord import FakeDiscord
from tests.support.fake_hf import FakeHF, make_item
from tests.support.postgres import PostgresServer
from tests.support.runners import RunningBot, bot_settings, seed_topics


async def test_after_db_copy_the_bot_on_postgresql_reposts_nothing(
    discord_fake: FakeDiscord, fake_hf: FakeHF, tmp_path: Path, postgres: PostgresServer
) -> None:
    db = tmp_path / "bot.db"
    on_file = RunningBot(discord_fake, fake_hf, bot_settings(discord_fake, fake_hf, db))
    papers = discord_fake.channel("papers").id
    await seed_topics(db, discord_fake.guild_id, [(papers, "diffusion")])
    fake_hf.add(*(make_item(f"2611.{n:05d}", f"Diffusion study {n}") for n in range(1, 4)))
    await on_file.start()
    await discord_fake.wait_messages("papers", 1)  # three papers due at once: one message
    await on_file.wait_for_db(
        "SELECT count(*) FROM deliveries WHERE sent_at IS NOT NULL", lambda r: r[0][0] == 3
    )
    assert await on_file.stop() == 0

    url = await postgres.new_database()
    try:
        lock = ProcessLock(db)
        lock.acquire()
        try:
            async with await Store.open(db) as source, await Store.open(url) as target:
                copied = await copy_database(source, target)
        finally:
            lock.release()
        assert copied.sent == 3

        on_server = RunningBot(discord_fake, fake_hf, bot_settings(discord_fake, fake_hf, url))
        await on_server.start()
        await on_server.polls(1)  # and what the outbox would send, it has sent by now
        assert len(discord_fake.posts("papers")) == 1, "nothing posted twice"
        # And the bot on PostgreSQL goes on: a new paper is posted once.
        fake_hf.add(make_item("2611.00009", "Diffusion, continued"))
        await discord_fake.wait_messages("papers", 2)
        await on_server.polls(1)
        assert len(discord_fake.posts("papers")) == 2
        assert await on_server.stop() == 0
    finally:
        await postgres.drop_database(url)
