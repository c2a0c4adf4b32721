"""Several processes over one PostgreSQL database, coordinated by PostgreSQL itself.

- Each process says it is alive every `heartbeat` seconds (the fleet table); `/paperbot status`
  lists the living.
- Exactly one process polls Hugging Face: the holder of an advisory lock, kept on a connection
  of its own. When that process dies its connection closes, the server frees the lock, and the
  next process to try (each tries at every poll) takes over within one poll interval.
- The global send rate is shared: each process sends at `rate / living processes` (`size`,
  which the outbox reads).
- IDENTIFYs respect Discord's `max_concurrency` across processes: one per bucket
  (`shard_id % max_concurrency`) per 5 s, through an advisory lock held 5 s.

On SQLite there is one process: it always polls, and shares the rate with no one.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import timedelta

from bot.core.clock import Clock, utc_now
from bot.core.store import Store
from bot.core.store.fleet import FleetStore, Member

log = logging.getLogger(__name__)

POLL_LOCK = 0x706F6C6C  # "poll"
IDENTIFY_LOCK = 0x69640000  # + bucket
IDENTIFY_SECONDS = 5.0  # Discord allows max_concurrency IDENTIFYs per 5 s
HEARTBEAT_SECONDS = 5.0
FLEET_CHANNEL = "paperbot_fleet"  # notified when a process joins: the others count again
SILENT_BEATS = 3  # a process silent for this many heartbeats is gone


def describe_shards(shard_ids: list[int] | None, shard_count: int | None) -> str:
    if shard_ids is None or shard_count is None:
        return "all"
    ids = sorted(shard_ids)
    if ids == list(range(ids[0], ids[-1] + 1)):
        span = f"{ids[0]}" if len(ids) == 1 else f"{ids[0]}-{ids[-1]}"
    else:
        span = ",".join(map(str, ids))
    return f"{span} of {shard_count}"


class Fleet:
    def __init__(
        self,
        store: Store,
        *,
        shards: str = "all",
        heartbeat: float = HEARTBEAT_SECONDS,
        identify_seconds: float = IDENTIFY_SECONDS,
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._fleet = FleetStore(store)
        self._clock = clock
        self.heartbeat = heartbeat
        self.identify_seconds = identify_seconds
        self.started_at = clock()
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.process = f"{self.host}:{self.pid}:{int(self.started_at.timestamp() * 1000)}"
        self.shards = shards
        self.polling = False
        self.size = 1
        self._beats = 0

    def _silence(self) -> timedelta:
        return timedelta(seconds=self.heartbeat * SILENT_BEATS)

    async def beat(self) -> None:
        """Heartbeat; learn how many processes live, and share the send rate among them."""
        now = self._clock()
        await self._fleet.beat(
            Member(
                self.process,
                self.host,
                self.pid,
                self.shards,
                self.polling,
                self.started_at,
                now,
            )
        )
        self._beats += 1
        if self._beats == 1:  # joining: the others share the rate with this one at once
            await self._store.db.notify(FLEET_CHANNEL)
        size = max(len(await self._fleet.members(now - self._silence())), 1)
        if size != self.size:
            log.info("the fleet now has %d processes; each sends at 1/%d of the rate", size, size)
        self.size = size

    async def members(self) -> list[Member]:
        return await self._fleet.members(self._clock() - self._silence())

    async def may_poll(self) -> bool:
        """True when this process is the one that polls (taking over if the last one died)."""
        polling = await self._store.db.hold_lock(POLL_LOCK)
        if polling != self.polling:
            self.polling = polling
            log.info("this process %s polls Hugging Face", "now" if polling else "no longer")
            await self.beat()
        return polling

    async def before_identify(self, shard_id: int, max_concurrency: int) -> None:
        """Wait for this shard's IDENTIFY slot, shared by every process of the fleet."""
        bucket = shard_id % max(max_concurrency, 1)
        await self._store.db.gate(IDENTIFY_LOCK + bucket, self.identify_seconds)

    async def leave(self) -> None:
        await self._fleet.leave(self.process, self._clock() - self._silence())
