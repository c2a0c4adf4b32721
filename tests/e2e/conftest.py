"""Fixtures that run the real bot against the local fake Discord and fake Hugging Face.

A feature's end-to-end test needs only `bot` (in-process) or `bot_process` (a real subprocess);
the runners themselves are in `tests/support/runners.py`, shared with the benches:

    async def test_status_answers(bot: RunningBot) -> None:
        await bot.start()
        reply = await bot.command("member", "papers", "paperbot status")
        assert "Papers stored" in str(reply["embeds"])
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.fake_discord import FakeDiscord
from tests.support.fake_hf import FakeHF
from tests.support.runners import BotProcess, RunningBot, bot_settings, process_env


@pytest.fixture
async def discord_fake() -> AsyncIterator[FakeDiscord]:
    """The fake Discord, with rate limits on and time scaled ten times faster."""
    async with FakeDiscord(time_scale=0.1) as fake:
        yield fake
        assert fake.unknown == [], (
            f"the bot called endpoints the fake does not know: {fake.unknown}"
        )


@pytest.fixture
async def bot(
    discord_fake: FakeDiscord, fake_hf: FakeHF, tmp_path: Path
) -> AsyncIterator[RunningBot]:
    """The bot in this process, on SQLite: a feature behaves the same on either engine, which
    the store tests check query by query; end-to-end tests that are about storage (the fleet,
    a crash or a stop mid fan-out, copying, leases) run on PostgreSQL too."""
    running = RunningBot(
        discord_fake, fake_hf, bot_settings(discord_fake, fake_hf, tmp_path / "bot.db")
    )
    yield running
    if running._task is not None:
        assert await running.stop() == 0


@pytest.fixture
def bot_process(discord_fake: FakeDiscord, fake_hf: FakeHF, tmp_path: Path) -> Any:
    env = process_env(discord_fake, fake_hf, tmp_path / "data" / "bot.db")
    process = BotProcess(env, tmp_path, tmp_path / "bot.log")
    yield process
    process.ensure_stopped()
