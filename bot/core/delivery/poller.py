"""One poll: fetch every configured feed and store what it returned.

Feeds are independent: one failing feed is logged and recorded, and the others go on.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Protocol

from bot.core.clock import Clock, utc_now
from bot.core.delivery.admin_log import Report
from bot.core.errors import SourceError, StoreUnwritable
from bot.core.hf.source import daily_dates
from bot.core.models import Fetched, IngestResult, Paper, PollRecord

log = logging.getLogger(__name__)

UNREACHABLE_AFTER = timedelta(hours=1)  # how long every feed fails before admins hear of it

STORE_RETRY_FIRST = timedelta(seconds=2)  # then doubling while the store stays unwritable
STORE_RETRY_MAX = timedelta(minutes=10)

Ingest = Callable[[Sequence[Paper], datetime], Awaitable[IngestResult]]


class PaperSource(Protocol):
    async def daily(self, day: date | None = None, *, sort: str | None = None) -> list[Paper]: ...

    async def paper(self, paper_id: str) -> Paper | None: ...

    async def search(self, query: str, *, limit: int = 20) -> list[Paper]: ...


class PollLog(Protocol):
    async def record_poll(self, record: PollRecord) -> None: ...


class Poller:
    """Fetches the configured feeds and hands their papers to `ingest` (store + matching)."""

    def __init__(
        self,
        source: PaperSource,
        ingest: Ingest,
        poll_log: PollLog,
        feeds: Sequence[str],
        *,
        interval_seconds: float,
        clock: Clock = utc_now,
        may_poll: Callable[[], Awaitable[bool]] | None = None,
        report: Report | None = None,
    ) -> None:
        self._source = source
        self._report = report  # every server's admin log: Hugging Face down for long, and back
        self._down_since: datetime | None = None
        self._down_told = False
        self._may_poll = may_poll  # in a fleet, only the process holding the poll lock polls
        self._ingest = ingest
        self._log = poll_log
        self._feeds = tuple(feeds)
        self._interval = timedelta(seconds=interval_seconds)
        self._clock = clock
        self._store_retry = STORE_RETRY_FIRST
        self._store_retry_at: datetime | None = None

    async def poll(self) -> list[PollRecord]:
        """Poll every feed once; never raises for a feed's failure.

        While the store cannot write (a full disk) polls back off, doubling up to ten minutes,
        and say nothing more: the store's health logged the state once.
        """
        now = self._clock()
        if self._store_retry_at is not None and now < self._store_retry_at:
            return []
        if self._may_poll is not None and not await self._may_poll():
            return []
        try:
            records = [await self.poll_feed(feed) for feed in self._feeds]
        except StoreUnwritable:
            self._store_retry_at = now + self._store_retry
            self._store_retry = min(self._store_retry * 2, STORE_RETRY_MAX)
            return []
        self._store_retry, self._store_retry_at = STORE_RETRY_FIRST, None
        await self._watch_source(records, now)
        return records

    async def _watch_source(self, records: list[PollRecord], now: datetime) -> None:
        """Tell the admin logs once when every feed has failed for UNREACHABLE_AFTER, and once
        when Hugging Face answers again."""
        if not records:
            return
        if all(r.error for r in records):
            self._down_since = self._down_since or now
            if not self._down_told and now - self._down_since >= UNREACHABLE_AFTER:
                self._down_told = True
                if self._report is not None:
                    await self._report(
                        None,
                        "Hugging Face has been unreachable since "
                        f"{self._down_since:%Y-%m-%d %H:%M} UTC: {records[0].error}. paperbot "
                        "keeps polling and will say when it answers again.",
                    )
            return
        if self._down_told and self._report is not None and self._down_since is not None:
            hours = (now - self._down_since).total_seconds() / 3600
            await self._report(
                None, f"Hugging Face answers again, after {hours:.1f} hours unreachable."
            )
        self._down_since, self._down_told = None, False

    async def poll_feed(self, feed: str) -> PollRecord:
        started = self._clock()
        seen = new = 0
        error: str | None = None
        skipped: list[str] = []
        try:
            papers = await self._fetch(feed, started)
            skipped = papers.skipped
            result = await self._ingest(papers, self._clock())
            seen, new = result.seen, result.new
        except StoreUnwritable:
            raise
        except Exception as exc:
            error = str(exc) or exc.__class__.__name__
            log.warning(
                "poll of feed %r failed: %s; next attempt at %s",
                feed,
                error,
                (started + self._interval).strftime("%Y-%m-%d %H:%M:%S UTC"),
                exc_info=not _expected(exc),
            )
        else:
            log.info("polled feed %r: %d papers, %d new", feed, seen, new)
        record = PollRecord(feed, started, self._clock(), seen, new, error, tuple(skipped))
        await self._log.record_poll(record)
        return record

    async def _fetch(self, feed: str, now: datetime) -> Fetched:
        return await fetch_feed(self._source, feed, now)


async def fetch_feed(source: PaperSource, feed: str, now: datetime) -> Fetched:
    """The papers of one feed: `trending`, or `daily` (today's list and yesterday's), and
    why each item that could not be read was skipped."""
    if feed == "trending":
        return Fetched(*_read(await source.daily(sort="trending")))
    if feed == "daily":
        papers: dict[str, Paper] = {}
        skipped: list[str] = []
        for day in daily_dates(now):
            found, why = _read(await source.daily(day))
            skipped += why
            for paper in found:
                papers.setdefault(paper.id, paper)
        return Fetched(papers.values(), skipped)
    raise ValueError(f"unknown feed {feed!r}")


def _read(papers: list[Paper]) -> tuple[list[Paper], list[str]]:
    return papers, list(getattr(papers, "skipped", ()))


def _expected(exc: Exception) -> bool:
    return isinstance(exc, SourceError)
