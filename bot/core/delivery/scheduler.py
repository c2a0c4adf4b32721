"""The one owner of background work: interval jobs and long-running tasks.

Interval jobs run on APScheduler with `max_instances=1`, so a slow poll is never overlapped by the
next one; tasks are kept in a set so that none is garbage-collected mid-flight and all are
cancelled on shutdown.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)


class Scheduler:
    def __init__(self) -> None:
        self._aps = AsyncIOScheduler(timezone=UTC)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._started = False

    def every(
        self,
        seconds: float,
        job: Callable[[], Awaitable[Any]],
        *,
        name: str,
        start_now: bool = True,
    ) -> None:
        """Run `job` every `seconds`; a run still going when the next is due makes it skip."""
        first = datetime.now(UTC) if start_now else datetime.now(UTC) + timedelta(seconds=seconds)
        self._aps.add_job(
            self._tracked(job, name),
            "interval",
            seconds=seconds,
            id=name,
            name=name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=max(1, int(seconds)),
            next_run_time=first,
        )

    def next_run(self, name: str) -> datetime | None:
        job = self._aps.get_job(name)
        when = job.next_run_time if job is not None else None
        return when if isinstance(when, datetime) else None

    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        """Start a background task that is logged if it fails and cancelled on shutdown."""
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def start(self) -> None:
        if not self._started:
            self._aps.start()
            self._started = True

    async def shutdown(self) -> None:
        if self._started:
            self._aps.shutdown(wait=False)
            self._started = False
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        # Let APScheduler's own running job coroutines see their cancellation.
        await asyncio.sleep(0)

    def _tracked(
        self, job: Callable[[], Awaitable[Any]], name: str
    ) -> Callable[[], Awaitable[None]]:
        """Wrap a job so that shutdown can cancel a run in progress and wait for it."""

        async def run() -> None:
            task = asyncio.current_task()
            if task is not None:
                self._tasks.add(task)
            try:
                await job()
            except asyncio.CancelledError:
                # Shutdown cancelled this run; its transaction was rolled back. Returning
                # normally keeps APScheduler from reporting it as a crash.
                log.info("job %s stopped by shutdown", name)
            except Exception:
                log.exception("scheduled job %s failed", name)
            finally:
                if task is not None:
                    self._tasks.discard(task)

        return run

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed", task.get_name(), exc_info=task.exception())
