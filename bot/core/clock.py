"""The one source of "now": every service takes a `Clock`, so tests and benches can move time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, in UTC (timezone-aware)."""
    return datetime.now(UTC)
