from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.store import Store
from tests.e2e.fake_hf import FakeHF

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(tmp_path / "paperbot.db") as opened:
        yield opened


@pytest.fixture
async def fake_hf() -> AsyncIterator[FakeHF]:
    async with FakeHF() as fake:
        yield fake
