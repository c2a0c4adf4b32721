"""A local fake of the Hugging Face papers API: a real aiohttp server on 127.0.0.1.

It serves `/api/daily_papers` (date, sort, p, limit, Link paging), `/api/papers/{id}` and
`/api/papers/search` over an editable list of items in the API's own shape, and can be switched
to fail the way the real service does: 500s, 429 with Retry-After, slow answers, an HTML error
page, truncated JSON.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from aiohttp import web

_counter = itertools.count(1)


def make_item(
    paper_id: str | None = None,
    title: str = "A paper about nothing in particular",
    abstract: str = "We study nothing in particular and find it interesting.",
    *,
    upvotes: int = 1,
    day: date | None = None,
    authors: tuple[str, ...] = ("Ada Lovelace", "Alan Turing"),
    keywords: tuple[str, ...] = (),
    github: str | None = None,
    stars: int | None = None,
    ai_summary: str | None = None,
) -> dict[str, Any]:
    """A daily_papers item in the real API's shape."""
    n = next(_counter)
    pid = paper_id or f"2611.{n:05d}"
    stamp = f"{(day or datetime.now(UTC).date()).isoformat()}T00:00:00.000Z"
    paper: dict[str, Any] = {
        "id": pid,
        "authors": [
            {"_id": f"a{n}{i}", "name": name, "hidden": False} for i, name in enumerate(authors)
        ],
        "publishedAt": stamp,
        "submittedOnDailyAt": stamp,
        "title": title,
        "summary": abstract,
        "upvotes": upvotes,
        "discussionId": f"d{n}",
        "ai_keywords": list(keywords),
    }
    if ai_summary:
        paper["ai_summary"] = ai_summary
    if github:
        paper["githubRepo"] = github
        paper["githubStars"] = stars or 0
    return {
        "paper": paper,
        "publishedAt": stamp,
        "title": title,
        "summary": abstract,
        "thumbnail": f"https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/{pid}.png",
        "numComments": 0,
        "isAuthorParticipating": False,
    }


@dataclass
class FakeHF:
    """Start with `await fake.start()`; `fake.url` is then its base URL (HF_ENDPOINT)."""

    items: list[dict[str, Any]] = field(default_factory=list)
    # Failure switches. `fail_times` counts requests still to fail; -1 fails every request.
    fail_status: int = 500
    fail_times: int = 0
    retry_after: float | None = None
    delay: float = 0.0
    body_mode: str = "ok"  # ok | html | truncated | object
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    url: str = ""

    def __post_init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self._request_event = asyncio.Event()

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/api/daily_papers", self._daily)
        app.router.add_get("/api/papers/search", self._search)
        app.router.add_get("/api/papers/{paper_id}", self._paper)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeHF:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- switches -------------------------------------------------------------------------------

    def fail(self, times: int = -1, status: int = 500, retry_after: float | None = None) -> None:
        self.fail_times, self.fail_status, self.retry_after = times, status, retry_after

    def recover(self) -> None:
        self.fail_times, self.body_mode, self.delay = 0, "ok", 0.0

    def add(self, *items: dict[str, Any]) -> None:
        self.items.extend(items)

    async def wait_for_requests(self, count: int, timeout: float = 10.0) -> None:
        async def reached() -> None:
            while len(self.requests) < count:
                self._request_event.clear()
                await self._request_event.wait()

        await asyncio.wait_for(reached(), timeout)

    # -- handlers -------------------------------------------------------------------------------

    async def _gate(self, request: web.Request) -> web.Response | None:
        self.requests.append((request.path, dict(request.query)))
        self._request_event.set()
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail_times:
            if self.fail_times > 0:
                self.fail_times -= 1
            headers = {}
            if self.retry_after is not None:
                headers["Retry-After"] = f"{self.retry_after:g}"
            return web.Response(status=self.fail_status, text="upstream trouble", headers=headers)
        if self.body_mode == "html":
            return web.Response(
                text="<!DOCTYPE html><html><body>502 Bad Gateway</body></html>",
                content_type="text/html",
            )
        if self.body_mode == "truncated":
            body = json.dumps(self.items)
            return web.Response(
                text=body[: max(len(body) // 2, 3)], content_type="application/json"
            )
        if self.body_mode == "object":
            return web.json_response({"error": "Invalid request"})
        if self.body_mode == "chunked":  # no Content-Length: only reading it says its size
            stream = web.StreamResponse(headers={"Content-Type": "application/json"})
            stream.enable_chunked_encoding()
            await stream.prepare(request)
            body = json.dumps(self.items).encode()
            for start in range(0, len(body), 1024):
                await stream.write(body[start : start + 1024])
            await stream.write_eof()
            return stream  # type: ignore[return-value]
        return None

    async def _daily(self, request: web.Request) -> web.Response:
        refused = await self._gate(request)
        if refused is not None:
            return refused
        query = request.query
        items = list(self.items)
        if "date" in query:
            try:
                wanted = date.fromisoformat(query["date"])
            except ValueError:
                return web.json_response({"error": "Invalid date"}, status=400)
            if wanted > datetime.now(UTC).date():
                return web.json_response({"error": "Date is in the future"}, status=400)
            items = [i for i in items if _day_of(i) == wanted.isoformat()]
        if query.get("sort") == "trending":
            items.sort(key=lambda i: -int(i["paper"].get("upvotes", 0)))
        limit = min(max(int(query.get("limit", "50")), 1), 100)
        page = int(query.get("p", "0"))
        chunk = items[page * limit : (page + 1) * limit]
        headers = {}
        if (page + 1) * limit < len(items):
            nxt = request.url.update_query({"p": str(page + 1)})
            headers["Link"] = f'<{nxt}>; rel="next"'
        return web.json_response(copy.deepcopy(chunk), headers=headers)

    async def _paper(self, request: web.Request) -> web.Response:
        refused = await self._gate(request)
        if refused is not None:
            return refused
        wanted = request.match_info["paper_id"]
        for item in self.items:
            if item["paper"]["id"] == wanted:
                return web.json_response(copy.deepcopy(item["paper"]))
        return web.json_response({"error": "Paper not found"}, status=404)

    async def _search(self, request: web.Request) -> web.Response:
        refused = await self._gate(request)
        if refused is not None:
            return refused
        words = request.query.get("q", "").lower().split()
        found = [
            item
            for item in self.items
            if words
            and all(
                w in (item["paper"]["title"] + " " + item["paper"].get("summary", "")).lower()
                for w in words
            )
        ]
        limit = int(request.query.get("limit", "20"))
        return web.json_response(copy.deepcopy(found[:limit]))


def _day_of(item: dict[str, Any]) -> str:
    paper = item.get("paper", {})
    stamp = paper.get("submittedOnDailyAt") or item.get("publishedAt") or ""
    return str(stamp)[:10]
