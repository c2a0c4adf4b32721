"""The sender's loop over the outbox: packed, paced, retried with backoff, never silently dropped.

Matching writes deliveries; this loop sends what is due. Several papers due for one channel go
as one message (up to Discord's ten embeds); one paper alone gets the full card; a digest
channel gets its digest. Channels are served side by side, each in order, under one global
pace (`PAPERBOT_SEND_RATE`, a ceiling below Discord's 50 requests per second); discord.py
keeps each channel within its own bucket (5 messages per 5 s) from Discord's rate-limit
headers, waiting instead of being refused. A sent delivery is marked right after Discord
accepts it. Every message carries a nonce derived from its deliveries, so a repeat of it that
Discord already accepted (after a crash, or a record the store could not take) is dropped by
Discord itself. A forum post takes no nonce: a message that may already be there (an earlier
attempt failed, its channel was taken over from a process that died, or it was queued before
this process started) is sent with `posted_since`, and the transport looks for it first. A
refused channel (403) or a gone one (404) is paused with the reason; other failures are
retried with exponential backoff and, after the last attempt, kept as undeliverable for an
admin to see.

When the store cannot write (a full disk), nothing more is sent: what Discord accepted waits in
memory for its record, out of every batch, and the loop backs off until the store takes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

from bot.core.clock import Clock, utc_now
from bot.core.delivery.admin_log import Report
from bot.core.delivery.pace import Pace, Sleep, Throttle, Wakeup
from bot.core.errors import DeliveryFailed, StoreUnwritable
from bot.core.models import DM_GUILD, Delivery, Paper

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
DIGEST_ENTRIES = 10
THREAD_NAME = 100  # Discord's longest thread name
BUNDLE = 10  # papers in one message: Discord allows ten embeds
SENDERS = 16  # channels served at once
IDLE_WAIT = 30.0
BATCH_CHANNELS = 50  # channels one batch serves (its share of them, in a fleet)
FLEET_IDLE_WAIT = 2.0  # in a fleet, another process may have queued: look again this soon
ERROR_PAUSE = 5.0
STORE_RETRY_FIRST = 1.0  # then doubling while the store stays unwritable
STORE_RETRY_MAX = 30.0

Entry = tuple[Paper, Sequence[str]]  # a paper and the topics of the channel it matched


@dataclass(frozen=True, slots=True)
class ForumPost:
    """A message that is a forum post. Discord takes no nonce for those: `posted_since`, when
    set, says the post may already be there (an earlier attempt's answer was lost, or a process
    died between Discord's answer and the record), and that the bot's post made since then
    with the same papers is this message."""

    posted_since: datetime | None = None


class Transport(Protocol):
    """Sends one rendered message; returns its id or raises `DeliveryFailed`.

    `nonce` identifies the message: Discord drops a second message with the same nonce.
    `forum` marks a message that is a post of its own in a forum channel (see `ForumPost`).
    """

    async def send_card(
        self,
        channel_id: int,
        paper: Paper,
        topics: Sequence[str],
        *,
        nonce: str,
        mentions: Sequence[int] = (),
        forum: ForumPost | None = None,
    ) -> int: ...

    async def send_bundle(
        self,
        channel_id: int,
        entries: Sequence[Entry],
        *,
        nonce: str,
        mentions: Sequence[int] = (),
    ) -> int: ...

    async def send_digest(
        self,
        channel_id: int,
        papers: Sequence[Paper],
        more: int,
        topics: Sequence[str],
        *,
        nonce: str,
        mentions: Sequence[int] = (),
        forum: ForumPost | None = None,
    ) -> int: ...

    async def open_thread(self, channel_id: int, message_id: int, name: str) -> None: ...


class OutboxStore(Protocol):
    async def due_deliveries(self, now: datetime, channels: int = ...) -> list[Delivery]: ...

    async def next_due(self, now: datetime) -> datetime | None: ...

    async def release(self, channels: Sequence[int]) -> None: ...

    async def renew(self, channel_id: int, now: datetime) -> bool: ...

    async def mark_sent(self, ids: Sequence[int], message_id: int, now: datetime) -> None: ...

    async def mark_failed(
        self, ids: Sequence[int], error: str, next_attempt: datetime | None, now: datetime
    ) -> None: ...

    async def pause_channel(self, channel_id: int, reason: str, now: datetime) -> None: ...

    async def thread_refused(self, channel_id: int, reason: str) -> bool: ...

    async def thread_opened(self, channel_id: int) -> None: ...


def nonce_for(ids: Sequence[int]) -> str:
    """The message's nonce: the same for the same deliveries, at most Discord's 25 characters."""
    if len(ids) == 1:
        return f"pb{ids[0]}"
    digest = hashlib.sha256(",".join(map(str, sorted(ids))).encode()).hexdigest()
    return f"pbd{digest[:20]}"


@dataclass(frozen=True, slots=True)
class Message:
    """What one Discord message carries: a card, a bundle of papers, or a digest."""

    channel_id: int
    deliveries: tuple[Delivery, ...]
    kind: Literal["card", "bundle", "digest"]


def messages(due: Sequence[Delivery]) -> dict[int, list[Message]]:
    """Each channel's messages, in order: its digest (all its due digest papers), then its
    other papers ten at a time (one paper alone is a card)."""
    by_channel: dict[int, tuple[list[Delivery], list[Delivery]]] = {}
    for delivery in due:
        digest, instant = by_channel.setdefault(delivery.channel_id, ([], []))
        (digest if delivery.digest else instant).append(delivery)
    planned: dict[int, list[Message]] = {}
    for channel_id, (digest, instant) in by_channel.items():
        found = planned[channel_id] = []
        if digest:
            found.append(Message(channel_id, tuple(digest), "digest"))
        # A paper that gets a thread of its own (a forum post, or a thread on its card) is a
        # card of its own.
        found += [Message(channel_id, (d,), "card") for d in instant if d.thread or d.forum]
        bundled = [d for d in instant if not (d.thread or d.forum)]
        for start in range(0, len(bundled), BUNDLE):
            chunk = tuple(bundled[start : start + BUNDLE])
            found.append(Message(channel_id, chunk, "card" if len(chunk) == 1 else "bundle"))
    return planned


class Outbox:
    def __init__(
        self,
        store: OutboxStore,
        transport: Transport,
        *,
        wake: Wakeup | None = None,
        processes: Callable[[], int] = lambda: 1,
        pace: Pace | None = None,
        clock: Clock = utc_now,
        sleep: Sleep = asyncio.sleep,
        report: Report | None = None,
    ) -> None:
        self._store = store
        self._transport = transport
        self._report = report  # a server's admin log: pauses and give-ups
        self._pace = pace or Pace()
        self._clock = clock
        self._sleep = sleep
        self._throttle = Throttle(self._pace.per_second, sleep)
        self._wake = wake or Wakeup()
        # How many processes share the fleet's sending (the fleet counts them at each beat).
        self._processes = processes
        # Sent, but the store could not record it yet: delivery ids → Discord's message id.
        self._unrecorded: dict[tuple[int, ...], int] = {}
        self._store_retry = STORE_RETRY_FIRST
        self._started = clock()  # deliveries queued before this may have been sent by the dead

    async def run(self) -> None:
        """Drain forever (until cancelled). An unexpected error is logged, never fatal."""
        while True:
            self._wake.clear()
            try:
                sent = await self.drain()
            except StoreUnwritable:
                # The store's health logged it once; wait longer each time, without a trace.
                await self._sleep(self._store_retry)
                self._store_retry = min(self._store_retry * 2, STORE_RETRY_MAX)
                continue
            except Exception:
                log.exception("the outbox failed; trying again in %.0f s", ERROR_PAUSE)
                await self._sleep(ERROR_PAUSE)
                continue
            self._store_retry = STORE_RETRY_FIRST
            if sent:
                continue
            await self._idle()

    async def _idle(self) -> None:
        # In a fleet, another process may have queued: look again soon.
        wait = IDLE_WAIT if self._processes() <= 1 else FLEET_IDLE_WAIT
        due = await self._store.next_due(self._clock())
        if due is not None:
            wait = min(wait, max((due - self._clock()).total_seconds(), 0.05))
        await self._wake.wait(wait)

    async def drain(self) -> int:
        """Send one batch of due deliveries; returns how many messages went out.

        Raises `StoreUnwritable` while the store cannot record what was sent.
        """
        await self._record_unrecorded()
        channels = self._share()
        planned = messages(await self._store.due_deliveries(self._clock(), channels))
        senders = asyncio.Semaphore(SENDERS)
        stopped: list[StoreUnwritable] = []
        sent = 0

        async def serve(channel: list[Message]) -> None:
            nonlocal sent
            async with senders:
                for message in channel:
                    if stopped:
                        return
                    try:
                        # A long batch outlives its lease: keep it, or leave the channel to
                        # the process that took it over.
                        if not await self._store.renew(message.channel_id, self._clock()):
                            log.warning("channel %s was taken over; leaving it", message.channel_id)
                            return
                        outcome = await self._send(message)
                    except StoreUnwritable as exc:
                        stopped.append(exc)
                        return
                    if outcome == "sent":
                        sent += 1
                    elif outcome == "paused":
                        return

        try:
            await asyncio.gather(*(serve(channel) for channel in planned.values()))
        finally:
            # The channels are free for any process again (a lease left behind runs out).
            with contextlib.suppress(StoreUnwritable):
                await self._store.release(list(planned))
        if stopped:
            raise stopped[0]
        return sent

    def _share(self) -> int:
        """Send at `PAPERBOT_SEND_RATE / processes`, the fleet sharing one global limit; returns
        this process's share of a batch's channels, so that the others find work."""
        processes = max(self._processes(), 1)
        self._throttle.set_rate(self._pace.per_second / processes)
        return max(1, BATCH_CHANNELS // processes)

    async def _record_unrecorded(self) -> None:
        for ids, message_id in list(self._unrecorded.items()):
            await self._store.mark_sent(ids, message_id, self._clock())
            del self._unrecorded[ids]

    async def _send(self, message: Message) -> Literal["sent", "failed", "paused"]:
        group = message.deliveries
        first = group[0]
        ids = tuple(d.id for d in group)
        nonce = nonce_for(ids)
        # The roles the message's topics ping, each once (a digest or bundle pings once).
        mentions = sorted({role for d in group for role in d.mentions})
        await self._throttle.wait()
        try:
            if message.kind == "digest":
                papers = [d.paper for d in group]
                topics = sorted({t for d in group for t in d.topics})
                message_id = await self._transport.send_digest(
                    first.channel_id,
                    papers[:DIGEST_ENTRIES],
                    len(papers) - DIGEST_ENTRIES,
                    topics,
                    nonce=nonce,
                    mentions=mentions,
                    forum=self._forum_post(group),
                )
            elif message.kind == "bundle":
                entries = [(d.paper, d.topics) for d in group]
                message_id = await self._transport.send_bundle(
                    first.channel_id, entries, nonce=nonce, mentions=mentions
                )
            else:
                message_id = await self._transport.send_card(
                    first.channel_id,
                    first.paper,
                    first.topics,
                    nonce=nonce,
                    mentions=mentions,
                    forum=self._forum_post(group),
                )
        except DeliveryFailed as failure:
            return await self._failed(group, failure)
        try:
            await self._store.mark_sent(ids, message_id, self._clock())
        except StoreUnwritable:
            # Discord has it: never send it again, only record it once the store can.
            self._unrecorded[ids] = message_id
            raise
        if message.kind == "card" and first.thread and not first.forum:  # a post is a thread
            await self._thread(first, message_id)
        return "sent"

    def _forum_post(self, group: Sequence[Delivery]) -> ForumPost | None:
        return ForumPost(self._in_doubt(group)) if group[0].forum else None

    def _in_doubt(self, group: Sequence[Delivery]) -> datetime | None:
        """When Discord may already hold this message (an earlier attempt whose answer was
        lost; or a sender that may have died between Discord's answer and the record: its
        channel taken over from a dead process, or queued before this process started): the
        time it was queued. Else None."""
        queued = [d.queued_at for d in group if d.queued_at is not None]
        if not queued:
            return None
        if any(d.attempts or d.taken_over for d in group) or min(queued) < self._started:
            return min(queued)
        return None

    async def _thread(self, delivery: Delivery, message_id: int) -> None:
        """A public thread on the card, named after the paper. A refusal never fails nor
        repeats the post: the reason goes to the topics (and, once, to the admin log)."""
        name = delivery.paper.title[:THREAD_NAME] or delivery.paper.id
        try:
            await self._transport.open_thread(delivery.channel_id, message_id, name)
        except Exception as exc:
            if not isinstance(exc, DeliveryFailed):  # a bug: the post stands all the same
                log.exception("opening a thread in channel %s failed", delivery.channel_id)
                return
            refused = exc
            log.warning("no thread on a card in channel %s: %s", delivery.channel_id, refused)
            if await self._store.thread_refused(delivery.channel_id, refused.reason):
                await self._tell(
                    delivery.guild_id,
                    f"Could not open threads in <#{delivery.channel_id}>: {refused.reason}",
                )
            return
        await self._store.thread_opened(delivery.channel_id)

    async def _failed(
        self, group: Sequence[Delivery], failure: DeliveryFailed
    ) -> Literal["failed", "paused"]:
        first, now = group[0], self._clock()
        ids = [d.id for d in group]
        if failure.kind in ("forbidden", "gone"):
            await self._store.pause_channel(first.channel_id, failure.reason, now)
            log.warning("paused channel %s: %s", first.channel_id, failure.reason)
            await self._tell(
                first.guild_id,
                f"Paused posting in <#{first.channel_id}>: {failure.reason.rstrip('.')}. "
                "What it owes waits; `/topic resume` sends it once that is fixed.",
            )
            return "paused"
        attempts = first.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            await self._store.mark_failed(ids, failure.reason, None, now)
            log.error(
                "gave up on %d paper(s) for channel %s after %d attempts: %s",
                len(ids),
                first.channel_id,
                attempts,
                failure.reason,
            )
            await self._tell(
                first.guild_id,
                f"Gave up on {len(ids)} paper{'s' if len(ids) != 1 else ''} for "
                f"<#{first.channel_id}> after {attempts} attempts: {failure.reason}",
            )
            return "failed"
        retry_at = now + timedelta(seconds=self.backoff(attempts))
        await self._store.mark_failed(ids, failure.reason, retry_at, now)
        log.warning(
            "could not post %d paper(s) to channel %s (%s); attempt %d, next at %s",
            len(ids),
            first.channel_id,
            failure.reason,
            attempts,
            retry_at.strftime("%H:%M:%S"),
        )
        return "failed"

    async def _tell(self, guild_id: int, line: str) -> None:
        if self._report is not None and guild_id != DM_GUILD:  # a person's DMs: no server
            await self._report(guild_id, line)

    def backoff(self, attempts: int) -> float:
        base = min(self._pace.backoff_base * 2.0 ** (attempts - 1), self._pace.backoff_max)
        return base * random.uniform(0.8, 1.2)
