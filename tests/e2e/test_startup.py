"""Start-up, command sync, status, polling and shutdown, end to end."""

from __future__ import annotations

import signal
import sqlite3
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import BACKENDS
from tests.support.fake_discord import FakeDiscord
from tests.support.fake_hf import FakeHF, make_item
from tests.support.runners import BotProcess, RunningBot, eventually, query_db


async def test_startup_syncs_commands_once_and_not_again_on_restart(bot: RunningBot) -> None:
    await bot.start()
    assert bot.discord.command_syncs == ["global"]
    names = {c["name"] for c in bot.discord.global_commands}
    assert "paperbot" in names
    await bot.restart()
    assert bot.discord.identifies == 2
    assert bot.discord.command_syncs == ["global"]


async def test_dev_guild_gets_its_commands_at_every_start(bot: RunningBot) -> None:
    from dataclasses import replace

    bot.settings = replace(bot.settings, dev_guild=int(bot.discord.guild_id))
    await bot.start()
    await bot.restart()
    assert bot.discord.command_syncs == [bot.discord.guild_id, bot.discord.guild_id]


async def test_the_poller_stores_papers_from_hugging_face(bot: RunningBot) -> None:
    bot.hf.add(make_item("2611.00001", "First"), make_item("2611.00002", "Second"))
    await bot.start()
    rows = await bot.wait_for_db("SELECT id FROM papers ORDER BY id", lambda r: len(r) == 2)
    assert rows == [("2611.00001",), ("2611.00002",)]


async def test_status_after_a_poll(bot: RunningBot) -> None:
    bot.hf.add(make_item(upvotes=3), make_item(upvotes=4), make_item(upvotes=5))
    await bot.start()
    await bot.wait_for_db(
        "SELECT feed FROM poll_log", lambda r: {"daily", "trending"} <= {x[0] for x in r}
    )
    reply = await bot.command("member", "papers", "paperbot status")
    assert reply["flags"] & 64, "status is ephemeral"
    (embed,) = reply["embeds"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Papers stored"] == "3"
    assert fields["Version"]
    assert "3 papers" in fields["Last poll: trending"]
    assert "<t:" in fields["Next poll"]
    assert reply["allowed_mentions"] == {"parse": []}


async def test_hf_down_for_several_polls_then_recovering(bot: RunningBot) -> None:
    bot.hf.add(make_item("2611.00010"), make_item("2611.00011"))
    bot.hf.fail(times=-1, status=503)
    await bot.start()
    await bot.wait_for_db(
        "SELECT count(*) FROM poll_log WHERE error IS NOT NULL AND feed = 'trending'",
        lambda r: r[0][0] >= 2,
    )
    reply = await bot.command("member", "papers", "paperbot status")
    fields = {f["name"]: f["value"] for f in reply["embeds"][0]["fields"]}
    assert "failed" in fields["Last poll: trending"]
    assert "HTTP 503" in fields["Last poll: trending"]
    assert bot.query("SELECT count(*) FROM papers") == [(0,)]
    bot.hf.recover()
    await bot.wait_for_db("SELECT count(*) FROM papers", lambda r: r[0][0] == 2)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_sigterm_leaves_a_consistent_database_and_exit_0(
    bot_process: BotProcess,
    discord_fake: FakeDiscord,
    fake_hf: FakeHF,
    backend: str,
    request: pytest.FixtureRequest,
) -> None:
    db = await bot_process.use(backend, request)
    fake_hf.add(*(make_item() for _ in range(30)))
    bot_process.start()
    await discord_fake.wait_ready(timeout=20)
    await eventually(lambda: _count(db, "SELECT count(*) FROM papers") == 30, 20, "30 papers")
    bot_process.signal(signal.SIGTERM)
    assert await bot_process.wait() == 0, bot_process.output()
    if isinstance(db, Path):
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert query_db(db, "SELECT count(*) FROM papers") == [(30,)]
    assert query_db(db, "SELECT count(*) FROM fleet") == [(0,)], "it left the fleet"
    assert "shutting down" in bot_process.output()
    assert "test-token.fake.discord" not in bot_process.output()


async def test_a_token_discord_rejects_exits_2_with_a_clear_message(
    bot_process: BotProcess, discord_fake: FakeDiscord
) -> None:
    bot_process.env["DISCORD_TOKEN"] = "rejected-token-value"
    bot_process.start()
    assert await bot_process.wait() == 2
    output = bot_process.output()
    assert "Discord rejected DISCORD_TOKEN" in output
    assert "Traceback" not in output
    assert "rejected-token-value" not in output
    assert discord_fake.identifies == 0


async def test_a_second_process_on_the_same_sqlite_file_refuses_in_one_line(
    bot_process: BotProcess, discord_fake: FakeDiscord
) -> None:
    bot_process.start()
    await discord_fake.wait_ready(timeout=20)
    second = BotProcess(dict(bot_process.env), bot_process.cwd, bot_process.cwd / "second.log")
    try:
        second.start()
        assert await second.wait() == 2
    finally:
        second.ensure_stopped()
    (line,) = [x for x in second.output().splitlines() if x.startswith("paperbot:")]
    pid = bot_process.proc.pid  # type: ignore[union-attr]
    assert line == (
        f"paperbot: another paperbot (pid {pid}) is using {bot_process.env['PAPERBOT_DB']}: "
        "a SQLite file serves one process; stop that one, or move to PostgreSQL to run "
        "several (README: Running at scale)"
    )
    assert "Traceback" not in second.output()
    assert discord_fake.identifies == 1, "the second process never logged in"
    bot_process.signal(signal.SIGTERM)
    assert await bot_process.wait() == 0
    # Once the first has stopped, the file is free again.
    third = BotProcess(dict(bot_process.env), bot_process.cwd, bot_process.cwd / "third.log")
    try:
        third.start()
        await discord_fake.wait_until(lambda: discord_fake.identifies == 2, timeout=20)
    finally:
        third.signal(signal.SIGTERM)
        assert await third.wait() == 0, third.output()


def _count(db: Path | str, sql: str) -> int:
    try:
        return int(query_db(db, sql)[0][0])
    except (sqlite3.Error, asyncpg.PostgresError):
        return -1


async def test_a_refused_command_sync_does_not_stop_the_bot(bot: RunningBot) -> None:
    bot.discord.fail_next(r"/commands$", status=403, times=1)
    await bot.start()
    assert bot.discord.command_syncs == []
    bot.hf.add(make_item("2611.00077"))
    await bot.wait_for_db("SELECT count(*) FROM papers", lambda r: r[0][0] == 1)
    await bot.restart()
    assert bot.discord.command_syncs == ["global"], "the next start syncs"


async def test_status_in_a_dm_shows_no_server_channels(bot: RunningBot) -> None:
    await bot.start()
    await bot.command("admin", "secret", "topic add", {"query": "robots"})
    bot.hf.add(make_item("2611.00088", "Robots everywhere"))
    await bot.wait_for_db(
        "SELECT count(*) FROM channel_state WHERE paused_reason IS NOT NULL", lambda r: r[0][0] == 1
    )
    in_server = await bot.command("admin", "papers", "paperbot status")
    assert "Paused channels" in [f["name"] for f in in_server["embeds"][0]["fields"]]
    reply = await bot.command("member", bot.discord.dm_channel("member").name, "paperbot status")
    names = [f["name"] for f in reply["embeds"][0]["fields"]]
    assert "Papers stored" in names
    assert "Paused channels" not in names
