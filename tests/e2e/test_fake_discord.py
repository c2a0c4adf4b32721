"""The fake Discord enforces what real Discord enforces (so the bot's tests mean something)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.support.fake_discord import FakeDiscord

AUTH = {"Authorization": "Bot test-token.fake.discord"}


@pytest.fixture
async def raw() -> AsyncIterator[tuple[FakeDiscord, aiohttp.ClientSession]]:
    async with FakeDiscord(time_scale=0.1) as fake, aiohttp.ClientSession(headers=AUTH) as http:
        yield fake, http


async def post(
    http: aiohttp.ClientSession, fake: FakeDiscord, channel: str, body: dict
) -> aiohttp.ClientResponse:  # type: ignore[type-arg]
    url = f"{fake.api_base}/channels/{fake.channel(channel).id}/messages"
    async with http.post(url, json=body) as resp:
        await resp.read()
        return resp


async def test_channel_bucket_is_five_per_window_with_headers(
    raw: tuple[FakeDiscord, aiohttp.ClientSession],
) -> None:
    fake, http = raw
    statuses = []
    for _ in range(6):
        resp = await post(http, fake, "papers", {"content": "hi"})
        statuses.append(resp.status)
    assert statuses == [200] * 5 + [429]
    assert resp.headers["Via"] == "1.1 google"
    assert resp.headers["Content-Type"] == "application/json"
    assert len(fake.posts("papers")) == 5


async def test_hidden_channel_is_403_and_deleted_channel_404(
    raw: tuple[FakeDiscord, aiohttp.ClientSession],
) -> None:
    fake, http = raw
    assert (await post(http, fake, "secret", {"content": "x"})).status == 403
    fake.delete_channel("ml-news")
    assert (await post(http, fake, "ml-news", {"content": "x"})).status == 404


async def test_size_limits_are_400(raw: tuple[FakeDiscord, aiohttp.ClientSession]) -> None:
    fake, http = raw
    assert (await post(http, fake, "general", {"content": "x" * 2001})).status == 400
    assert (await post(http, fake, "general", {"embeds": [{"title": "t" * 257}]})).status == 400
    big = {
        "embeds": [{"description": "d" * 4000, "fields": [{"name": "n", "value": "v" * 1000}] * 3}]
    }
    assert (await post(http, fake, "general", big)).status == 400


async def test_unknown_endpoints_are_404_and_listed(
    raw: tuple[FakeDiscord, aiohttp.ClientSession],
) -> None:
    fake, http = raw
    async with http.get(f"{fake.api_base}/guilds/1/bans") as resp:
        assert resp.status == 404
    assert fake.unknown == ["GET /guilds/1/bans"]
    fake.unknown.clear()


async def test_a_wrong_token_is_401(raw: tuple[FakeDiscord, aiohttp.ClientSession]) -> None:
    fake, _ = raw
    async with aiohttp.ClientSession() as anon, anon.get(f"{fake.api_base}/users/@me") as resp:
        assert resp.status == 401


async def test_injected_failures_answer_once(
    raw: tuple[FakeDiscord, aiohttp.ClientSession],
) -> None:
    fake, http = raw
    fake.fail_next("/messages", status=500, times=1)
    assert (await post(http, fake, "general", {"content": "a"})).status == 500
    assert (await post(http, fake, "general", {"content": "a"})).status == 200


async def test_first_callback_after_three_seconds_is_unknown_interaction(
    raw: tuple[FakeDiscord, aiohttp.ClientSession],
) -> None:
    import time

    from tests.support.fake_discord import InteractionRecord

    fake, http = raw
    late = InteractionRecord(
        "1", "tok-late", 2, fake.channel("general").id, "5", time.monotonic() - 3.5
    )
    fresh = InteractionRecord(
        "2", "tok-fresh", 2, fake.channel("general").id, "5", time.monotonic()
    )
    fake.interactions.update({"1": late, "2": fresh})
    body = {"type": 4, "data": {"content": "hello"}}
    async with http.post(f"{fake.api_base}/interactions/1/tok-late/callback", json=body) as resp:
        assert resp.status == 404
        assert (await resp.json())["code"] == 10062
    async with http.post(
        f"{fake.api_base}/interactions/2/tok-fresh/callback?with_response=1", json=body
    ) as resp:
        answer = await resp.json()
        assert answer["resource"]["message"]["content"] == "hello"
    async with http.post(f"{fake.api_base}/interactions/2/tok-fresh/callback", json=body) as resp:
        assert (await resp.json())["code"] == 40060
