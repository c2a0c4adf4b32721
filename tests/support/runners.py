"""The bot run against the local fakes: in this process (`RunningBot`) or as `python -m bot
run` in a subprocess (`BotProcess`), with helpers to read its database from outside."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bot.app import run_bot
from bot.config import Settings
from bot.core.matching.query import parse
from bot.core.models import TopicOptions
from bot.core.store import Store
from bot.core.store.driver import to_iso
from bot.core.store.postgres import positional
from bot.core.store.topics import TopicStore
from tests.support.fake_discord import FakeDiscord, InteractionRecord
from tests.support.fake_hf import FakeHF

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-token.fake.discord"
POLL_SECONDS = 0.3  # an in-process bot polls the fake Hugging Face this often


def bot_settings(discord: FakeDiscord, hf: FakeHF, db: Path | str, **overrides: Any) -> Settings:
    settings = Settings(
        discord_token=TOKEN,
        db_path=db,
        poll_seconds=POLL_SECONDS,
        hf_endpoint=hf.url,
        discord_api_base=discord.api_base,
        discord_gateway_url=discord.gateway_url,
        log_level="DEBUG",
        send_rate=200.0,
        identify_seconds=0.05,  # the fake does not enforce Discord's 5 s IDENTIFY window
    )
    return replace(settings, **overrides)


async def eventually(predicate: Any, timeout: float = 15.0, what: str = "condition") -> Any:
    """Re-check `predicate()` every 20 ms until it is truthy (for state outside the fakes)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if loop.time() > deadline:
            raise TimeoutError(f"{what} did not happen within {timeout} s")
        await asyncio.sleep(0.02)


@dataclass
class RunningBot:
    """The bot running in this process, on the test's event loop."""

    discord: FakeDiscord
    hf: FakeHF
    settings: Settings
    _task: asyncio.Task[int] | None = None
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    # The bot's clock runs this far ahead of the real one (to reach a digest hour).
    offset: timedelta = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    @property
    def db(self) -> Path | str:
        """The bot's database: a SQLite file, or a PostgreSQL URL."""
        return self.settings.db_path

    async def start(self, *, wait_ready: bool = True) -> None:
        self._stop = asyncio.Event()
        ready_before = self.discord.ready_sent
        self._task = asyncio.create_task(run_bot(self.settings, stop=self._stop, clock=self.now))
        if wait_ready:
            await self.discord.wait_until(
                lambda: self.discord.ready_sent > ready_before or self._task.done(),  # type: ignore[union-attr]
                timeout=15,
            )
            if self._task.done():
                raise RuntimeError(
                    f"the bot stopped at start-up with exit code {self._task.result()}"
                )

    async def stop(self) -> int:
        assert self._task is not None
        self._stop.set()
        done, _ = await asyncio.wait({self._task}, timeout=15)
        if not done:
            for task in asyncio.all_tasks():
                task.print_stack()
        code = await asyncio.wait_for(self._task, 1)
        self._task = None
        return code

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def command(
        self, user: str, channel: str, command: str, options: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Run a slash command and return the message it answered with."""
        record = await self.discord.slash(user, channel, command, options)
        return await self.discord.wait_response(record)

    async def interaction(
        self, user: str, channel: str, command: str, options: dict[str, Any] | None = None
    ) -> InteractionRecord:
        record = await self.discord.slash(user, channel, command, options)
        await self.discord.wait_callback(record)
        return record

    async def polls(self, count: int = 1, timeout: float = 15.0) -> None:
        """Wait until `count` polls of every feed, each begun after this call, have been
        logged, and the outbox has handled everything then due: whatever changed before the
        call was polled whole, and what it owed is posted (or failed) by the time this
        returns, so that "nothing more was posted" means something."""
        wanted = count * len(self.settings.feeds)
        after = to_iso(self.now())
        sql = "SELECT count(*) FROM poll_log WHERE started_at > ?"
        await self.wait_for_db(sql, lambda r: r[0][0] >= wanted, timeout, (after,))
        await self.settled(timeout)

    async def settled(self, timeout: float = 15.0) -> None:
        """Wait until no delivery is due and unsent (a digest before its hour, a retry not yet
        due and a paused channel's deliveries wait, as they should)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            (due,) = self.query(
                "SELECT count(*) FROM deliveries WHERE sent_at IS NULL AND gave_up_at IS NULL "
                "AND next_attempt_at <= ?",
                (to_iso(self.now()),),
            )[0]
            if due == 0:
                return
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{due} deliveries still due after {timeout} s")
            await asyncio.sleep(0.02)

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Read the bot's database from outside, as an admin would (a read never waits)."""
        assert _is_read(sql), "a write waits for the bot's writer: use `await bot.execute()`"
        return query_db(self.db, sql, params)

    async def execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Write to the bot's database from outside. In a thread: the write waits for the
        bot's own transaction to end, which needs this event loop to go on meanwhile."""
        return await asyncio.to_thread(query_db, self.db, sql, params)

    async def wait_for_db(
        self, sql: str, predicate: Any, timeout: float = 15.0, params: tuple[Any, ...] = ()
    ) -> list[tuple[Any, ...]]:
        """Poll the database until `predicate(rows)` holds (the bot writes on its own schedule)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            try:
                rows = self.query(sql, params)
            except (sqlite3.OperationalError, asyncpg.UndefinedTableError):
                rows = []
            if predicate(rows):
                return rows
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{sql!r} never satisfied the condition; last rows: {rows}")
            await asyncio.sleep(0.05)


def query_db(db: Path | str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Run SQL (with SQLite's `?` parameters) on a bot's database, SQLite file or PostgreSQL."""
    if isinstance(db, str):
        with ThreadPoolExecutor(1) as thread:  # its own connection and event loop
            return thread.submit(asyncio.run, _pg_query(db, sql, params)).result()
    conn = sqlite3.connect(db, timeout=10, isolation_level=None)
    try:
        if _is_read(sql):
            return list(conn.execute(sql, params))
        # A write waits for the bot's writer up front (BEGIN IMMEDIATE), as the bot's own do:
        # a write begun as a read would be refused at once if the bot wrote meanwhile.
        conn.execute("BEGIN IMMEDIATE")
        rows = list(conn.execute(sql, params))
        conn.execute("COMMIT")
        return rows
    finally:
        conn.close()


def _is_read(sql: str) -> bool:
    return sql.lstrip().upper().startswith(("SELECT", "WITH", "PRAGMA"))


async def _pg_query(url: str, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    conn = await asyncpg.connect(url)
    try:
        return [tuple(r) for r in await conn.fetch(positional(sql), *params)]
    finally:
        await conn.close()


async def seed_topics(db: Path | str, guild_id: str, topics: list[tuple[str, str]]) -> None:
    """Subscribe channels directly in the database (for tests about delivery, not commands)."""
    now = datetime.now(UTC) - timedelta(hours=1)
    async with await Store.open(db) as store:
        topic_store = TopicStore(store)
        for channel_id, text in topics:
            query = parse(text)
            await topic_store.add_topic(
                guild_id=int(guild_id),
                channel_id=int(channel_id),
                query=query.text,
                canonical=query.canonical,
                options=TopicOptions(),
                created_by=1,
                now=now,
            )


@dataclass
class BotProcess:
    """`python -m bot run`, exactly as a user runs it, in a subprocess."""

    env: dict[str, str]
    cwd: Path
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        out = self.log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=self.cwd,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        out.close()

    async def wait(self, timeout: float = 20.0) -> int:
        assert self.proc is not None
        proc = self.proc
        return await asyncio.wait_for(asyncio.to_thread(proc.wait), timeout)

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def output(self) -> str:
        return self.log.read_text("utf-8", "replace") if self.log.exists() else ""

    async def use(self, backend: str, request: pytest.FixtureRequest) -> Path | str:
        """Run on `backend`: the SQLite file it was given, or a new PostgreSQL database."""
        if backend == "postgresql":
            self.env["PAPERBOT_DB"] = await request.getfixturevalue("postgres").new_database()
            return self.env["PAPERBOT_DB"]
        return Path(self.env["PAPERBOT_DB"])

    def ensure_stopped(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def process_env(
    discord: FakeDiscord, hf: FakeHF, db: Path | str, **overrides: str
) -> dict[str, str]:
    """The environment of `python -m bot run` against the fakes, `overrides` last."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PAPERBOT_", "DISCORD_", "HF_"))
    }
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "DISCORD_TOKEN": TOKEN,
            "DISCORD_API_BASE": discord.api_base,
            "DISCORD_GATEWAY_URL": discord.gateway_url,
            "HF_ENDPOINT": hf.url,
            "PAPERBOT_DB": str(db),
            "PAPERBOT_POLL_SECONDS": "1",
            "LOG_LEVEL": "DEBUG",
            "PAPERBOT_SEND_RATE": "200",
            "PAPERBOT_IDENTIFY_SECONDS": "0.05",
        }
    )
    env.update(overrides)
    return env
