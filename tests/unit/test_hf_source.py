"""The HF client against a real local HTTP server (tests/e2e/fake_hf.py)."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from bot import __version__
from bot.core.errors import SourceError
from bot.core.hf import source as source_module
from bot.core.hf.source import HFSource, RetryPolicy
from tests.support.fake_hf import FakeHF, make_item


class RecordedSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as opened:
        yield opened


def client(
    session: aiohttp.ClientSession, fake: FakeHF, sleep: RecordedSleep, **policy: float
) -> HFSource:
    options = {"attempts": 4, "base_delay": 0.5, "timeout": 2.0, **policy}
    return HFSource(
        session, fake.url, version=__version__, policy=RetryPolicy(**options), sleep=sleep
    )  # type: ignore[arg-type]


async def test_daily_follows_link_pages(session: aiohttp.ClientSession, fake_hf: FakeHF) -> None:
    fake_hf.add(*(make_item(title=f"Paper {i}") for i in range(250)))
    papers = await client(session, fake_hf, RecordedSleep()).daily(datetime.now(UTC).date())
    assert len(papers) == 250
    assert [q.get("p") for _, q in fake_hf.requests] == [None, "1", "2"]
    assert all(q["limit"] == "100" for _, q in fake_hf.requests)


async def test_trending_asks_for_sort_trending(
    session: aiohttp.ClientSession, fake_hf: FakeHF
) -> None:
    fake_hf.add(make_item(upvotes=3), make_item(upvotes=30))
    papers = await client(session, fake_hf, RecordedSleep()).daily(sort="trending")
    assert [p.upvotes for p in papers] == [30, 3]
    assert fake_hf.requests[0][1]["sort"] == "trending"
    assert "date" not in fake_hf.requests[0][1]


async def test_a_future_day_is_an_empty_list_not_an_error(
    session: aiohttp.ClientSession, fake_hf: FakeHF
) -> None:
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    assert await client(session, fake_hf, RecordedSleep()).daily(tomorrow) == []


async def test_500s_are_retried_with_growing_backoff(
    session: aiohttp.ClientSession, fake_hf: FakeHF
) -> None:
    fake_hf.add(make_item())
    fake_hf.fail(times=3, status=500)
    sleep = RecordedSleep()
    papers = await client(session, fake_hf, sleep).daily(sort="trending")
    assert len(papers) == 1
    assert len(fake_hf.requests) == 4
    assert len(sleep.delays) == 3
    # Jittered exponential backoff: each delay lies in [base/2, base] for base = 0.5 * 2**n.
    for n, delay in enumerate(sleep.delays):
        base = 0.5 * 2**n
        assert base / 2 <= delay <= base


async def test_429_honours_retry_after(session: aiohttp.ClientSession, fake_hf: FakeHF) -> None:
    fake_hf.add(make_item())
    fake_hf.fail(times=1, status=429, retry_after=7)
    sleep = RecordedSleep()
    await client(session, fake_hf, sleep).daily(sort="trending")
    assert sleep.delays == [7.0]


async def test_gives_up_after_the_last_attempt_with_the_cause(
    session: aiohttp.ClientSession, fake_hf: FakeHF
) -> None:
    fake_hf.fail(times=-1, status=503)
    with pytest.raises(SourceError, match=r"failed after 4 attempts: HTTP 503"):
        await client(session, fake_hf, RecordedSleep()).daily(sort="trending")
    assert len(fake_hf.requests) == 4


async def test_a_slow_answer_times_out_and_is_retried(
    session: aiohttp.ClientSession, fake_hf: FakeHF
) -> None:
    fake_hf.delay = 0.5
    with pytest.raises(SourceError, match="timed out"):
        await client(session, fake_hf, RecordedSleep(), attempts=2, timeout=0.1).daily(
            sort="trending"
        )
    assert len(fake_hf.requests) == 2


async def test_connection_refused_is_retried_then_reported(session: aiohttp.ClientSession) -> None:
    fake = FakeHF()
    await fake.start()
    await fake.close()  # nothing listens on that port any more
    sleep = RecordedSleep()
    with pytest.raises(SourceError, match="ClientConnectorError"):
        await client(session, fake, sleep, attempts=3).daily(sort="trending")
    assert len(sleep.delays) == 2


@pytest.mark.parametrize(
    ("mode", "message"), [("html", "HTML page"), ("truncated", "not JSON"), ("object", "JSON list")]
)
async def test_garbage_bodies_are_source_errors(
    session: aiohttp.ClientSession, fake_hf: FakeHF, mode: str, message: str
) -> None:
    fake_hf.add(make_item())
    fake_hf.body_mode = mode
    with pytest.raises(SourceError, match=message):
        await client(session, fake_hf, RecordedSleep()).daily(sort="trending")


async def test_sends_a_user_agent_naming_paperbot(session: aiohttp.ClientSession) -> None:
    seen: list[str] = []

    async def handler(request: aiohttp.web.Request) -> aiohttp.web.Response:
        seen.append(request.headers["User-Agent"])
        return aiohttp.web.json_response([])

    app = aiohttp.web.Application()
    app.router.add_get("/api/daily_papers", handler)
    runner = aiohttp.web.AppRunner(app)
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        await HFSource(session, f"http://127.0.0.1:{port}", version=__version__).daily(
            sort="trending"
        )
    finally:
        await runner.cleanup()
    assert seen == [f"paperbot/{__version__} (+self-hosted Discord bot; aiohttp)"]


async def test_paper_and_search(session: aiohttp.ClientSession, fake_hf: FakeHF) -> None:
    fake_hf.add(make_item("2501.00042", title="Mamba state space models"))
    hf = client(session, fake_hf, RecordedSleep())
    paper = await hf.paper("2501.00042")
    assert paper is not None
    assert paper.title == "Mamba state space models"
    assert await hf.paper("2501.99999") is None
    assert [p.id for p in await hf.search("state space")] == ["2501.00042"]


@pytest.mark.parametrize("mode", ["ok", "chunked"])
async def test_an_answer_past_the_cap_is_refused_unread(
    session: aiohttp.ClientSession, fake_hf: FakeHF, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The cap, made small for the test (32 MB in use), with or without a declared length.
    monkeypatch.setattr(source_module, "MAX_ANSWER_BYTES", 8192)
    fake_hf.add(*(make_item(f"2611.{n:05d}", "x" * 200) for n in range(40)))
    fake_hf.body_mode = mode
    sleep = RecordedSleep()
    with pytest.raises(SourceError, match=r"over paperbot's 0\.0 MB cap"):
        await client(session, fake_hf, sleep).daily(sort="trending")
    assert sleep.delays == [], "a body too large is refused at once, not retried"

    fake_hf.items = fake_hf.items[:5]  # under the cap: read as ever, streamed or not
    papers = await client(session, fake_hf, sleep).daily(sort="trending")
    assert len(papers) == 5
