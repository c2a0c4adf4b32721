"""What must hold when things go wrong around the bot: a full disk, hostile input, wrong hands."""

from __future__ import annotations

import logging
import signal
import socket
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.client import APOLOGY, TOKEN_REJECTED
from tests.conftest import BACKENDS
from tests.e2e.test_library import button
from tests.support.disks import SmallDisk, small_disk
from tests.support.fake_discord import MANAGE_CHANNELS, FakeDiscord
from tests.support.fake_hf import FakeHF, make_item
from tests.support.runners import BotProcess, RunningBot, bot_settings, eventually, seed_topics


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[SmallDisk]:
    with small_disk(tmp_path / "disk") as mounted:
        yield mounted


def posted(discord: FakeDiscord, channels: list[Any]) -> Counter[tuple[str, str]]:
    return Counter((c.id, p) for c in channels for p in discord.papers_posted(c.name))


async def test_a_full_disk_mid_fan_out_never_repeats_a_post_and_resumes_by_itself(
    fake_hf: FakeHF, disk: SmallDisk, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with FakeDiscord(time_scale=0.1, extra_channels=100) as discord:
        bot = RunningBot(discord, fake_hf, bot_settings(discord, fake_hf, disk.path / "bot.db"))
        feeds = [c for c in discord.channels.values() if c.name.startswith("feed-")]
        await seed_topics(bot.db, discord.guild_id, [(c.id, "fanout") for c in feeds])
        fake_hf.add(*(make_item(f"2611.{700 + i:05d}", f"Fanout study {i}") for i in range(5)))
        await bot.start()
        log_channel = discord.channel("ml-news")
        await bot.command("owner", "papers", "paperbot log", {"channel": log_channel.id})
        await eventually(lambda: sum(posted(discord, feeds).values()) >= 100, 60, "100 posts")

        disk.fill()
        await eventually(
            lambda: any("database is not writable" in r.message for r in caplog.records),
            20,
            "the store to notice the full disk",
        )
        stalled = sum(posted(discord, feeds).values())
        status = await bot.command("member", "papers", "paperbot status")
        assert "The database is not writable" in status["embeds"][0]["description"]
        assert "disk full" in status["embeds"][0]["description"]
        save = await bot.command("member", "papers", "saved add", {"paper": "2611.00700"})
        assert save["flags"] & 64
        assert save["content"] == "paperbot cannot save right now (disk full); try again later."

        disk.free()
        await eventually(lambda: len(posted(discord, feeds)) >= 500, 90, "all 500 deliveries")
        await bot.polls(1)
        assert await bot.stop() == 0
        # The admin log heard it once when writes failed, and once when they worked again.
        lines = [m["content"] for m in discord.posts("ml-news")][1:]
        assert lines == [
            "paperbot cannot write to its store (disk full): posting and polling are paused "
            "until it can.",
            "paperbot's store takes writes again: posting and polling resume.",
        ]

    shown = posted(discord, feeds)
    assert len(shown) == 500
    assert set(shown.values()) == {1}, "a post was shown twice"
    # Nor was one even sent twice: what Discord accepted waited for its record, out of every
    # batch (a nonce would have made Discord drop a repeat, as a last line of defence).
    assert discord.nonce_repeats == []
    assert stalled < 500, "the disk filled before the fan-out ended"
    # One line when writes failed and one when they worked again, not one per attempt.
    lines = [r for r in caplog.records if r.name == "bot.core.store.health"]
    assert [r.levelname for r in lines] == ["ERROR", "WARNING"], [r.message for r in lines]
    assert lines[0].message == "database is not writable: disk full; sending and polling paused"
    assert not [r for r in caplog.records if r.exc_info and "not writable" in str(r.exc_info)]
    assert bot.query("SELECT count(*) FROM deliveries WHERE sent_at IS NULL") == [(0,)]


async def test_an_unreachable_gateway_at_start_is_one_line_and_exit_1(
    bot_process: BotProcess,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    bot_process.env["DISCORD_GATEWAY_URL"] = f"ws://127.0.0.1:{port}/"
    bot_process.start()
    assert await bot_process.wait(30) == 1
    output = bot_process.output()
    assert "Traceback" not in output
    (line,) = [x for x in output.splitlines() if x.startswith("paperbot: ")]
    assert line.startswith(f"paperbot: cannot reach Discord's gateway at ws://127.0.0.1:{port}/")


async def test_a_token_revoked_while_running_stops_with_the_token_message(
    bot_process: BotProcess, discord_fake: FakeDiscord
) -> None:
    bot_process.start()
    await discord_fake.wait_ready(20)
    discord_fake.valid_tokens.clear()  # reset in the Developer Portal
    await discord_fake.ask_to_reconnect()
    assert await bot_process.wait(30) == 2
    output = bot_process.output()
    assert "Traceback" not in output
    (line,) = [x for x in output.splitlines() if x.startswith("paperbot: ")]
    assert line == f"paperbot: {TOKEN_REJECTED}"


async def test_topic_permissions_are_checked_in_the_topics_own_channel(bot: RunningBot) -> None:
    # "member" may manage #ml-news only, through that channel's overwrite.
    bot.discord.grant("member", "ml-news", MANAGE_CHANNELS)
    await bot.start()
    await bot.command("admin", "papers", "topic add", {"query": "diffusion"})
    await bot.command("admin", "ml-news", "topic add", {"query": "tokenizers"})
    (papers_topic,) = bot.query("SELECT id FROM topics WHERE query = 'diffusion'")[0]
    (news_topic,) = bot.query("SELECT id FROM topics WHERE query = 'tokenizers'")[0]

    # Typed in #ml-news, where they have the permission, about #papers' topic: refused.
    reply = await bot.command("member", "ml-news", "topic remove", {"topic": str(papers_topic)})
    assert reply["flags"] & 64
    papers_id = bot.discord.channel("papers").id
    assert reply["content"] == (
        f"You need the Manage Channels permission in <#{papers_id}> to change its topics."
    )
    reply = await bot.command("member", "ml-news", "topic resume", {"topic": str(papers_topic)})
    assert "You need the Manage Channels permission" in reply["content"]
    assert bot.query("SELECT count(*) FROM topics") == [(2,)]

    # Typed in #papers, where they lack it, about #ml-news' own topic: theirs to remove.
    reply = await bot.command("member", "papers", "topic remove", {"topic": str(news_topic)})
    assert reply["content"].startswith(f"Removed topic #{news_topic}")
    assert bot.query("SELECT id FROM topics") == [(papers_topic,)]

    # An id too large for the database names no topic.
    reply = await bot.command("admin", "papers", "topic remove", {"topic": "9" * 30})
    assert reply["content"] == "There is no such topic in this server. Pick one from the list."


HOSTILE = "Grokking [click here](https://evil.example) `now` @everyone"


async def test_replies_that_echo_a_title_or_a_list_name_keep_them_inert(bot: RunningBot) -> None:
    bot.hf.add(make_item("2611.00801", HOSTILE))
    await bot.start()
    await bot.wait_for_db("SELECT count(*) FROM papers", lambda r: r[0][0] == 1)
    reply = await bot.command(
        "member",
        "papers",
        "saved add",
        {"paper": "2611.00801", "list": "[x](https://evil.example)"},
    )
    content = reply["content"]
    assert "\\[click here\\]\\(https://evil.example\\)" in content
    assert "\\`now\\`" in content
    assert "“\\[x\\]\\(https://evil.example\\)”" in content
    assert "](https://evil.example)" not in content.replace("\\](https://evil.example)", "")
    assert reply["allowed_mentions"] == {"parse": []}
    renamed = await bot.command(
        "member",
        "papers",
        "saved rename",
        {"list": "[x](https://evil.example)", "new_name": "**bold** _it_"},
    )
    assert renamed["content"] == (
        "Renamed “\\[x\\]\\(https://evil.example\\)” to “\\*\\*bold\\*\\* \\_it\\_”."
    )


async def test_search_with_an_emoji_among_words_searches_the_words(bot: RunningBot) -> None:
    bot.hf.add(make_item("2611.00811", "Diffusion for molecules"))
    await bot.start()
    await bot.wait_for_db("SELECT count(*) FROM papers", lambda r: r[0][0] == 1)
    reply = await bot.command("member", "papers", "papers search", {"query": "🚀 diffusion 🔥"})
    assert "Diffusion for molecules" in reply["embeds"][0]["description"]
    only = await bot.command("member", "papers", "papers search", {"query": "🚀"})
    assert "no letters or digits" in only["content"]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_debug_logs_carry_no_interaction_token_nor_a_private_note(
    bot_process: BotProcess,
    discord_fake: FakeDiscord,
    fake_hf: FakeHF,
    backend: str,
    request: pytest.FixtureRequest,
) -> None:
    password = "db-pass-never-logged"
    if backend == "postgresql":  # trust authentication: any password is taken, and hidden
        url = str(await bot_process.use(backend, request))
        bot_process.env["PAPERBOT_DB"] = url.replace("paperbot@", f"paperbot:{password}@")
    fake_hf.add(make_item("2611.00821", "Diffusion for molecules"))
    bot_process.start()  # LOG_LEVEL=DEBUG: discord.py logs every gateway payload
    await discord_fake.wait_ready(20)
    await eventually(lambda: "polled feed" in bot_process.output(), 20, "a poll")
    note = "my private thought about plagiarism"
    record = await discord_fake.slash(
        "member", "papers", "saved add", {"paper": "2611.00821", "note": note}
    )
    await discord_fake.wait_response(record)
    bot_process.signal(signal.SIGTERM)
    assert await bot_process.wait() == 0
    log = bot_process.output()
    assert "WebSocket Event: op 0 INTERACTION_CREATE" in log  # the event is logged, summarised
    assert record.token not in log
    assert note not in log
    assert password not in log
    assert "[redacted]" in log  # the webhook URL of the answer, token cut out


async def test_a_failing_button_takes_the_one_error_path(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    bot.hf.add(*(make_item(f"2611.{830 + i:05d}", f"Diffusion study {i}") for i in range(12)))
    await bot.start()
    await bot.wait_for_db("SELECT count(*) FROM papers", lambda r: r[0][0] == 12)
    for i in range(12):
        await bot.command("member", "papers", "saved add", {"paper": f"2611.{830 + i:05d}"})
    asked = await bot.command("member", "papers", "saved list")
    found = await bot.command("member", "papers", "papers search", {"query": "diffusion"})
    confirm = await bot.command("member", "papers", "saved delete", {"list": "Reading list"})
    # The store breaks between two clicks (here: the table of saved papers goes missing).
    await bot.execute("ALTER TABLE saved_items RENAME TO saved_items_gone")
    clicks = [
        (asked, "Next ▶", "button Next ▶ of Pager failed (user "),
        (found, "Save 1", "button Save (2611."),
        (confirm, "Delete", "button Delete of Confirm failed (user "),
    ]
    for message, label, logged in clicks:
        clicked = await bot.discord.click("member", message, button(message, label))
        callback = await bot.discord.wait_callback(clicked)
        assert callback["type"] == 4, callback  # a private message, not an edit
        assert callback["data"]["flags"] & 64
        assert callback["data"]["content"] == APOLOGY
        failures = [r for r in caplog.records if r.getMessage().startswith(logged)]
        assert len(failures) == 1, [r.getMessage() for r in caplog.records]
        assert failures[0].exc_info is not None
    await bot.execute("ALTER TABLE saved_items_gone RENAME TO saved_items")
