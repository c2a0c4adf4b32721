"""Whether the database takes writes, said once per change of state.

A full disk or a read-only file is not a bug in one command: it stops sending and polling
until an admin frees space. The store reports each write's outcome here; the log gets one line
when writes start failing and one when they work again, and `/paperbot status` shows the state.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from datetime import datetime

from bot.core.clock import Clock, utc_now

log = logging.getLogger(__name__)

# SQLite's primary result codes that mean "this write cannot happen here, now".
_WRITE_FAILURES = {
    13: "disk full",  # SQLITE_FULL
    10: "disk I/O error",  # SQLITE_IOERR
    8: "the database file is read-only",  # SQLITE_READONLY
    14: "cannot open the database file",  # SQLITE_CANTOPEN
}


def unwritable_reason(error: sqlite3.Error) -> str | None:
    """What kept a write from happening, or None when the error is something else (a bug)."""
    code = getattr(error, "sqlite_errorcode", None)
    if code is None:
        return None
    return _WRITE_FAILURES.get(code & 0xFF)


class StoreHealth:
    def __init__(self, clock: Clock = utc_now) -> None:
        self._clock = clock
        self.problem: str | None = None
        self.since: datetime | None = None
        # Told of each change: the problem, or None once writes work again (the admin logs).
        self.listeners: list[Callable[[str | None], None]] = []

    def failed(self, reason: str) -> None:
        if self.problem != reason:
            log.error("database is not writable: %s; sending and polling paused", reason)
            self.problem, self.since = reason, self._clock()
            self._tell(reason)

    def ok(self) -> None:
        if self.problem is not None:
            log.warning("database is writable again; sending and polling resume")
            self.problem = self.since = None
            self._tell(None)

    def _tell(self, problem: str | None) -> None:
        for listener in self.listeners:
            try:
                listener(problem)
            except Exception:
                log.exception("a store health listener failed")
