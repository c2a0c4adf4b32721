"""The Hugging Face papers API over HTTP, with timeouts, retries and polite pacing."""

from __future__ import annotations

import asyncio
import logging
import random
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qs, urlsplit

import aiohttp

from bot.core.clock import utc_now
from bot.core.errors import SourceError
from bot.core.hf.parser import parse_body, parse_paper_body
from bot.core.models import Fetched, Paper

log = logging.getLogger(__name__)

MAX_PAGES = 20
_RATELIMIT_RESET = re.compile(r"(?:^|[;,\s])t=(\d+)")

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 60.0
    timeout: float = 20.0


@dataclass(frozen=True, slots=True)
class _Response:
    status: int
    body: bytes
    headers: Mapping[str, str]


class HFSource:
    """Client for `/api/daily_papers`, `/api/papers/{id}` and `/api/papers/search`."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        endpoint: str,
        *,
        version: str,
        policy: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._session = session
        self._endpoint = endpoint.rstrip("/")
        self._user_agent = user_agent(version)
        self._policy = policy or RetryPolicy()
        self._sleep = sleep

    async def daily(self, day: date | None = None, *, sort: str | None = None) -> Fetched:
        """All papers of one Daily Papers day (or the trending list), following `Link` pages,
        and why each item that could not be read was skipped."""
        params: dict[str, str] = {"limit": "100"}
        if day is not None:
            params["date"] = day.isoformat()
        if sort is not None:
            params["sort"] = sort
        papers = Fetched()
        seen: set[str] = set()
        for _page in range(MAX_PAGES):
            response = await self._get("/api/daily_papers", params)
            if response.status == 400 and day is not None:
                # HF answers 400 for a date it has not reached yet (its day rolls over in New
                # York): that day simply has no papers so far.
                log.debug("HF has no list for %s yet", day)
                return papers
            self._raise_for_status(response, "/api/daily_papers")
            batch = parse_body(response.body)
            papers.skipped.extend(batch.skipped)
            for paper in batch.papers:
                if paper.id not in seen:
                    seen.add(paper.id)
                    papers.append(paper)
            next_page = _next_page(response.headers)
            if next_page is None:
                break
            params = {**params, "p": next_page}
        return papers

    async def paper(self, paper_id: str) -> Paper | None:
        """One paper by canonical id, or None when Hugging Face does not know it."""
        response = await self._get(f"/api/papers/{paper_id}", {})
        if response.status == 404:
            return None
        self._raise_for_status(response, "/api/papers/{id}")
        return parse_paper_body(response.body)

    async def search(self, query: str, *, limit: int = 20) -> list[Paper]:
        """Hugging Face's own paper search (q is cut to the 250 characters it accepts)."""
        params = {"q": query[:250], "limit": str(max(1, min(limit, 120)))}
        response = await self._get("/api/papers/search", params)
        self._raise_for_status(response, "/api/papers/search")
        return parse_body(response.body).papers

    async def fetch_list(self, url: str) -> list[Paper]:
        """GET an absolute URL whose body has the daily_papers shape (for `paperbot preview`)."""
        response = await self._get(url, {})
        self._raise_for_status(response, url)
        return parse_body(response.body).papers

    async def _get(self, path: str, params: Mapping[str, str]) -> _Response:
        policy = self._policy
        url = path if "://" in path else self._endpoint + path
        timeout = aiohttp.ClientTimeout(total=policy.timeout)
        last_problem = "no attempt made"
        for attempt in range(1, policy.attempts + 1):
            wait: float | None = None
            try:
                async with self._session.get(
                    url, params=params, timeout=timeout, headers={"User-Agent": self._user_agent}
                ) as resp:
                    body = await _read_capped(resp, path)
                    response = _Response(resp.status, body, dict(resp.headers))
            except (aiohttp.ClientError, TimeoutError) as exc:
                last_problem = _describe_exception(exc)
            else:
                if response.status == 429 or response.status >= 500:
                    last_problem = f"HTTP {response.status}"
                    wait = _server_wait(response.headers)
                else:
                    return response
            if attempt == policy.attempts:
                break
            delay = self._backoff(attempt)
            if wait is not None:
                delay = max(delay, wait)
            delay = min(delay, policy.max_delay)
            log.warning(
                "HF %s failed (%s), attempt %d of %d; retrying in %.1fs",
                path,
                last_problem,
                attempt,
                policy.attempts,
                delay,
            )
            await self._sleep(delay)
        raise SourceError(
            f"Hugging Face {path} failed after {policy.attempts} attempts: {last_problem}"
        )

    def _backoff(self, attempt: int) -> float:
        base = self._policy.base_delay * 2.0 ** (attempt - 1)
        # Jitter keeps many bots (or feeds) from retrying in lockstep.
        return base / 2 + random.uniform(0, base / 2)

    @staticmethod
    def _raise_for_status(response: _Response, what: str) -> None:
        if response.status >= 400:
            raise SourceError(f"Hugging Face {what} answered HTTP {response.status}")


# The most an answer may weigh: a day of Daily Papers is about 100 KB a page, so this is
# hundreds of times what Hugging Face sends; a larger body is refused, read no further than
# this (documented in docs/settings.md).
MAX_ANSWER_BYTES = 32 * 1024 * 1024


async def _read_capped(resp: aiohttp.ClientResponse, path: str) -> bytes:
    """The body, streamed, refused past `MAX_ANSWER_BYTES` (a `SourceError`, not retried)."""
    declared = resp.content_length
    if declared is not None and declared > MAX_ANSWER_BYTES:
        raise SourceError(_too_large(path, declared))
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(1 << 16):
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise SourceError(_too_large(path, size))
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(path: str, size: int) -> str:
    def mb(n: int) -> str:
        return f"{n / (1024 * 1024):.1f} MB"

    return (
        f"Hugging Face {path} sent an answer over paperbot's {mb(MAX_ANSWER_BYTES)} cap "
        f"({mb(size)} or more); it was not read"
    )


def user_agent(version: str) -> str:
    """How paperbot introduces itself to an API: its name, version and what it is."""
    return f"paperbot/{version} (+self-hosted Discord bot; aiohttp)"


def _describe_exception(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    return f"{exc.__class__.__name__}: {exc}" if str(exc) else exc.__class__.__name__


def _server_wait(headers: Mapping[str, str]) -> float | None:
    """Seconds the server asked us to wait, from `Retry-After` or the `RateLimit` headers."""
    lowered = {k.lower(): v for k, v in headers.items()}
    retry_after = lowered.get("retry-after")
    if retry_after:
        value = retry_after.strip()
        if value.replace(".", "", 1).isdigit():
            return float(value)
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            return max(float((when - utc_now()).total_seconds()), 0.0)
    reset = lowered.get("ratelimit-reset")
    if reset and reset.strip().isdigit():
        return float(reset.strip())
    ratelimit = lowered.get("ratelimit")
    if ratelimit:
        match = _RATELIMIT_RESET.search(ratelimit)
        if match:
            return float(match.group(1))
    return None


def _next_page(headers: Mapping[str, str]) -> str | None:
    """The `p` of the `Link: <...>; rel="next"` header, if the server announced a next page."""
    link = {k.lower(): v for k, v in headers.items()}.get("link")
    if not link:
        return None
    for part in link.split(","):
        if 'rel="next"' not in part and "rel=next" not in part:
            continue
        target = part.split(";", 1)[0].strip().strip("<>")
        values = parse_qs(urlsplit(target).query).get("p")
        if values and values[0].isdigit():
            return values[0]
    return None


def daily_dates(now: datetime) -> list[date]:
    """The Daily Papers days worth polling: today and yesterday (which still fills up), in UTC."""
    today = now.astimezone(UTC).date()
    return [today, today - timedelta(days=1)]
