"""The poller with the real HF client against the fake HF server, and a real store."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from bot import __version__
from bot.core.delivery.poller import Poller
from bot.core.hf.source import HFSource, RetryPolicy
from bot.core.store import Store
from tests.support.fake_hf import FakeHF, make_item


async def no_sleep(_: float) -> None:
    return None


@pytest.fixture
async def source(fake_hf: FakeHF) -> AsyncIterator[HFSource]:
    async with aiohttp.ClientSession() as session:
        yield HFSource(
            session,
            fake_hf.url,
            version=__version__,
            policy=RetryPolicy(attempts=2),
            sleep=no_sleep,
        )


def poller(source: HFSource, store: Store, feeds: tuple[str, ...]) -> Poller:
    return Poller(source, store.upsert_papers, store, feeds, interval_seconds=600)


async def test_daily_polls_today_and_yesterday(
    source: HFSource, store: Store, fake_hf: FakeHF
) -> None:
    today = datetime.now(UTC).date()
    fake_hf.add(
        make_item(day=today),
        make_item(day=today - timedelta(days=1)),
        make_item(day=today - timedelta(days=2)),
    )
    (record,) = await poller(source, store, ("daily",)).poll()
    assert (record.papers_seen, record.papers_new, record.error) == (2, 2, None)
    assert await store.paper_count() == 2
    assert {q["date"] for _, q in fake_hf.requests} == {
        today.isoformat(),
        (today - timedelta(days=1)).isoformat(),
    }


async def test_a_failing_feed_does_not_stop_the_others(
    source: HFSource, store: Store, fake_hf: FakeHF
) -> None:
    fake_hf.add(make_item(upvotes=5))
    fake_hf.fail(times=2, status=500)  # both attempts of the first feed fail
    records = await poller(source, store, ("trending", "daily")).poll()
    assert records[0].feed == "trending"
    assert records[0].error is not None
    assert "HTTP 500" in records[0].error
    assert records[1].error is None
    assert records[1].papers_new == 1
    logged = {p.feed: p for p in await store.latest_polls()}
    assert logged["trending"].error == records[0].error


async def test_failure_is_logged_with_cause_and_next_attempt(
    source: HFSource, store: Store, fake_hf: FakeHF, caplog: pytest.LogCaptureFixture
) -> None:
    fake_hf.body_mode = "html"
    await poller(source, store, ("trending",)).poll()
    (line,) = [r.getMessage() for r in caplog.records if "poll of feed" in r.getMessage()]
    assert "HTML page" in line
    assert "next attempt at" in line


async def test_second_poll_counts_only_new_papers(
    source: HFSource, store: Store, fake_hf: FakeHF
) -> None:
    fake_hf.add(make_item())
    p = poller(source, store, ("trending",))
    await p.poll()
    fake_hf.add(make_item())
    (record,) = await p.poll()
    assert (record.papers_seen, record.papers_new) == (2, 1)
