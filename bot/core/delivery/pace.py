"""How fast and when the outbox sends: one pace for every sender at once, and the wake-up
that any service raises when it queued something."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Pace:
    """How fast the outbox sends: messages per second overall, and the retry backoff."""

    per_second: float = 40.0
    backoff_base: float = 30.0
    backoff_max: float = 3600.0


class Throttle:
    """One pace for every sender at once: sends start at least `1 / rate` seconds apart."""

    def __init__(self, rate: float, sleep: Sleep) -> None:
        self._gap = 1.0 / rate
        self._sleep = sleep
        self._next = 0.0

    def set_rate(self, rate: float) -> None:
        self._gap = 1.0 / rate

    async def wait(self) -> None:
        now = asyncio.get_running_loop().time()
        slot = max(now, self._next)
        self._next = slot + self._gap
        if slot > now:
            await self._sleep(slot - now)


class Wakeup:
    """Something was queued: any service calls it, and the outbox, waiting between batches,
    looks at once rather than at its next timer. Built first, handed to both."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def __call__(self) -> None:
        self._event.set()

    def clear(self) -> None:
        self._event.clear()

    async def wait(self, seconds: float) -> None:
        """Until woken, or `seconds` at most."""
        # asyncio.timeout, not wait_for: on Python 3.11, wait_for can swallow a cancellation
        # that arrives as the wait ends, and the loop would then outlive shutdown.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._event.wait()
