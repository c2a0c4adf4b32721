from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.core.store import Store
from tests.support.fake_hf import FakeHF
from tests.support.postgres import PostgresServer

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One throw-away PostgreSQL server for the whole run (started on first use)."""
    server = PostgresServer()
    try:
        server.start()
        # First asked for inside a test's event loop: the template is made on a thread's own.
        with ThreadPoolExecutor(1) as thread:
            thread.submit(asyncio.run, server.prepare_template()).result()
        yield server
    finally:
        server.stop()


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """The store, once on each backend: every test that takes it runs on both."""
    if request.param == "sqlite":
        async with await Store.open(tmp_path / "paperbot.db") as opened:
            yield opened
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    url = await server.new_database()
    try:
        async with await Store.open(url) as opened:
            yield opened
    finally:
        await server.drop_database(url)


@pytest.fixture
async def fake_hf() -> AsyncIterator[FakeHF]:
    async with FakeHF() as fake:
        yield fake
