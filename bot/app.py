"""The composition root: opens the resources, builds the client, the services over it and its
commands over them, runs the bot, and closes it all in order.

It reads top to bottom: what others need is built first (the outbox's wake-up, the fleet, the
client), so nothing refers to an object that does not exist yet.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import discord
import yarl
from discord.ext import commands

from bot import __version__
from bot.client import PaperBot
from bot.config import Settings
from bot.core.clock import Clock, utc_now
from bot.core.delivery.admin_log import AdminLog
from bot.core.delivery.fleet import FLEET_CHANNEL, Fleet, describe_shards
from bot.core.delivery.ingest import OUTBOX_CHANNEL, Ingest
from bot.core.delivery.outbox import Outbox
from bot.core.delivery.pace import Pace, Wakeup
from bot.core.delivery.planner import Planner
from bot.core.delivery.poller import Poller
from bot.core.delivery.scheduler import Scheduler
from bot.core.errors import StoreOpenError
from bot.core.feedback import FeedbackService
from bot.core.follows import FollowService
from bot.core.foryou import ForYouService
from bot.core.hf.source import HFSource, RetryPolicy
from bot.core.matching.vocabulary import VocabularyCache, english
from bot.core.saved import SavedService
from bot.core.search import SearchService
from bot.core.status import StatusSource
from bot.core.store import Store
from bot.core.store.deliveries import DeliveryStore
from bot.core.store.feedback import FeedbackStore
from bot.core.store.follows import FollowStore
from bot.core.store.foryou import ForYouStore
from bot.core.store.guild_settings import GuildSettingsStore
from bot.core.store.saved import SavedStore
from bot.core.store.search import SearchStore
from bot.core.store.sqlite import ProcessLock
from bot.core.store.topics import TopicStore
from bot.core.topics import TopicService
from bot.exits import EXIT_USAGE, fail
from bot.transport.forums import forum_post_guard
from bot.transport.sender import DiscordTransport
from bot.ui.views import VoteControls, save_button_class
from cogs.follows import FollowsCog
from cogs.foryou import ForYouCog
from cogs.papers import PapersCog
from cogs.privacy import PrivacyCog
from cogs.saved import SavedCog
from cogs.status import StatusCog
from cogs.topics import TopicsCog

log = logging.getLogger(__name__)

POLL_JOB = "poll"
HEARTBEAT_JOB = "heartbeat"
DIGEST_CHECK_SECONDS = 300  # how often due /foryou digests are looked for


def point_discord_at(settings: Settings) -> None:
    """Redirect discord.py to another REST base and gateway (a local fake, in tests)."""
    if settings.discord_api_base:
        discord.http.Route.BASE = settings.discord_api_base
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


async def run_bot(
    settings: Settings,
    *,
    stop: asyncio.Event | None = None,
    clock: Clock = utc_now,
    store: Store | None = None,
) -> int:
    """Run until Discord disconnects for good, `stop` is set, or SIGINT/SIGTERM arrives.

    `clock` is the one source of "now" for polling, matching, digests and the outbox (tests
    move it forward to reach a digest hour). `store` is opened from `settings.db_path` unless
    one is given (a bench compares store settings); it is closed either way.
    """
    assert settings.discord_token, "run_bot needs a token; the CLI checks for it"
    point_discord_at(settings)
    stop = stop or asyncio.Event()
    lock = ProcessLock(settings.db_path) if isinstance(settings.db_path, Path) else None
    if lock is not None and settings.shard_ids is not None:
        return fail(
            "PAPERBOT_SHARDS splits the shards among several processes, which needs "
            "PostgreSQL (PAPERBOT_DB=postgresql://...); on SQLite one process serves them all",
            EXIT_USAGE,
        )
    # Closed in the reverse order: background work, the fleet's row, the HTTP session, the
    # store, the lock, the signal handlers.
    async with AsyncExitStack() as resources:
        resources.enter_context(_stop_on_signals(stop))
        try:
            store = store or await _open_store(settings, lock, resources)
        except StoreOpenError as exc:
            return fail(str(exc), exc.exit_code)
        await resources.enter_async_context(store)
        http = await resources.enter_async_context(aiohttp.ClientSession())
        # The English word list takes a fifth of a second to read, partly in C with the GIL
        # held: read it now, before the bot answers anyone, not during a poll.
        await asyncio.to_thread(english)
        scheduler = Scheduler()
        resources.push_async_callback(scheduler.shutdown)
        fleet = build_fleet(settings, store, clock)
        bot = build_client(settings, store, fleet)
        services = build_services(settings, http, store, scheduler, fleet, bot, clock)
        bot.install(build_cogs(services, clock), dynamic_items=services.dynamic_items)
        await _listen(store, services.wake, fleet, scheduler)
        resources.push_async_callback(_leave, fleet)

        def start_background_work() -> None:  # once Discord has accepted the token
            scheduler.start()
            scheduler.spawn(services.outbox.run(), name="outbox")

        return await bot.serve(
            settings.discord_token,
            stop,
            api=settings.discord_api_base or "https://discord.com/api",
            gateway=settings.discord_gateway_url
            or str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY),
            on_login=start_background_work,
        )
    raise AssertionError("unreachable")  # mypy: the stack above returns on every path


async def _open_store(
    settings: Settings, lock: ProcessLock | None, resources: AsyncExitStack
) -> Store:
    """The store of `PAPERBOT_DB`, behind the SQLite file's process lock (kept until exit)."""
    if lock is not None:
        lock.acquire()
        resources.callback(lock.release)
    return await Store.open(settings.db_path)


async def _listen(store: Store, wake: Wakeup, fleet: Fleet, scheduler: Scheduler) -> None:
    """What the other processes of a fleet tell this one, through PostgreSQL's NOTIFY."""
    await store.db.listen(OUTBOX_CHANNEL, wake)  # another process queued deliveries

    def count_again() -> None:  # another process joined
        scheduler.spawn(fleet.beat(), name="heartbeat")

    await store.db.listen(FLEET_CHANNEL, count_again)


@contextlib.contextmanager
def _stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    try:
        yield
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(sig)


async def _leave(fleet: Fleet) -> None:
    with contextlib.suppress(Exception):  # the others see it go silent anyway
        await fleet.leave()


def retry_policy(poll_seconds: float) -> RetryPolicy:
    """Retries inside one poll stay well within the poll interval."""
    return RetryPolicy(base_delay=min(1.0, poll_seconds / 10), max_delay=min(60.0, poll_seconds))


def build_fleet(settings: Settings, store: Store, clock: Clock) -> Fleet:
    """This process among the others over the same database (alone, on SQLite)."""
    shards = list(settings.shard_ids) if settings.shard_ids else None
    return Fleet(
        store,
        shards=describe_shards(shards, settings.shard_count),
        heartbeat=settings.heartbeat_seconds,
        identify_seconds=settings.identify_seconds,
        clock=clock,
    )


def build_client(settings: Settings, store: Store, fleet: Fleet) -> PaperBot:
    """The Discord client; its commands are installed once the services exist."""
    return PaperBot(
        meta=store,
        dev_guild=settings.dev_guild,
        shard_ids=list(settings.shard_ids) if settings.shard_ids else None,
        shard_count=settings.shard_count,
        before_identify=fleet.before_identify,
        http_trace=forum_post_guard(),
    )


@dataclass(frozen=True)
class Services:
    """Everything the commands and the background work use; built by `build_services`."""

    wake: Wakeup
    topics: TopicService
    feedback: FeedbackService
    votes: VoteControls
    follows: FollowService
    search: SearchService
    saved: SavedService
    foryou: ForYouService
    status: StatusSource
    admin_log: AdminLog
    outbox: Outbox
    save_button: type[discord.ui.DynamicItem[Any]]

    @property
    def dynamic_items(self) -> list[type[discord.ui.DynamicItem[Any]]]:
        """The controls that outlive a restart: Save, 👍 / 👎."""
        return [self.save_button, *self.votes.items]


def build_services(
    settings: Settings,
    http: aiohttp.ClientSession,
    store: Store,
    scheduler: Scheduler,
    fleet: Fleet,
    client: PaperBot,
    clock: Clock = utc_now,
) -> Services:
    """The core's services over the store and the client, and their scheduled jobs; the one
    place that knows every concrete class."""
    wake = Wakeup()  # anything queued wakes the outbox
    source = HFSource(
        http, settings.hf_endpoint, version=__version__, policy=retry_policy(settings.poll_seconds)
    )
    search_store, saved_store = SearchStore(store), SavedStore(store)
    search = SearchService(store, search_store, source, clock=clock)
    saved = SavedService(saved_store, clock=clock)
    save_button = save_button_class(saved, search.show)
    topic_store, people, feedback_store = (
        TopicStore(store),
        FollowStore(store),
        FeedbackStore(store),
    )
    feedback = FeedbackService(
        store, topic_store, feedback_store, find_paper=search.show, saved=saved_store, clock=clock
    )
    votes = VoteControls(feedback)
    transport = DiscordTransport(client, save_button, votes)
    admin_log = _admin_log(store, transport, scheduler)
    deliveries = _deliveries(settings, store, fleet)
    vocabulary = VocabularyCache(search_store)
    planner = Planner(topic_store, vocabulary, feedback_store)
    topics = TopicService(
        store, topic_store, deliveries, planner, vocabulary, find_paper=search.show,
        on_queued=wake, clock=clock, report=admin_log.report,
    )  # fmt: skip
    poller = _poller(settings, source, Ingest(store, planner, wake), store, fleet, admin_log, clock)
    foryou = ForYouService(
        store, saved_store, ForYouStore(store), people, deliveries, on_queued=wake, clock=clock
    )
    _schedule(settings, scheduler, poller, fleet, foryou)
    return Services(
        wake=wake,
        topics=topics,
        feedback=feedback,
        votes=votes,
        follows=FollowService(topics, people, deliveries, clock=clock),
        search=search,
        saved=saved,
        foryou=foryou,
        status=_status(settings, store, scheduler, deliveries, fleet, clock),
        admin_log=admin_log,
        outbox=_outbox(settings, deliveries, transport, wake, fleet, admin_log, clock),
        save_button=save_button,
    )


def _deliveries(settings: Settings, store: Store, fleet: Fleet) -> DeliveryStore:
    """The outbox's rows, leased channel by channel to this process of the fleet."""
    return DeliveryStore(
        store,
        holder=fleet.process,
        lease_seconds=settings.lease_seconds,
        sole=store.dialect == "sqlite",  # one process per SQLite file (ProcessLock)
    )


def _poller(
    settings: Settings,
    source: HFSource,
    ingest: Ingest,
    store: Store,
    fleet: Fleet,
    admin_log: AdminLog,
    clock: Clock,
) -> Poller:
    """The poll of every feed; in a fleet, only the holder of the poll lock polls."""
    return Poller(
        source,
        ingest,
        store,
        settings.feeds,
        interval_seconds=settings.poll_seconds,
        clock=clock,
        may_poll=fleet.may_poll,
        report=admin_log.report,
    )


def _outbox(
    settings: Settings,
    deliveries: DeliveryStore,
    transport: DiscordTransport,
    wake: Wakeup,
    fleet: Fleet,
    admin_log: AdminLog,
    clock: Clock,
) -> Outbox:
    """The sender's loop: paced at this process's share of the fleet's send rate."""
    return Outbox(
        deliveries,
        transport,
        wake=wake,
        processes=lambda: fleet.size,
        pace=Pace(per_second=settings.send_rate, backoff_base=settings.retry_seconds),
        clock=clock,
        report=admin_log.report,
    )


def _status(
    settings: Settings,
    store: Store,
    scheduler: Scheduler,
    deliveries: DeliveryStore,
    fleet: Fleet,
    clock: Clock,
) -> StatusSource:
    """What /paperbot status reads: polls, the outbox, the store's health, the fleet."""
    return StatusSource(
        store,
        settings.feeds,
        clock(),
        lambda: scheduler.next_run(POLL_JOB),
        deliveries,
        store.health,
        fleet.members,
        version=__version__,
    )


def _admin_log(store: Store, transport: DiscordTransport, scheduler: Scheduler) -> AdminLog:
    """Each server's admin log, which also hears when the store stops and starts taking writes."""
    admin_log = AdminLog(GuildSettingsStore(store), transport.post_line)

    def store_changed(problem: str | None) -> None:
        scheduler.spawn(admin_log.report(None, _store_line(problem)), name="admin log")

    store.health.listeners.append(store_changed)
    return admin_log


def _schedule(
    settings: Settings, scheduler: Scheduler, poller: Poller, fleet: Fleet, foryou: ForYouService
) -> None:
    """The interval jobs; they start once Discord has accepted the token."""
    scheduler.every(settings.poll_seconds, poller.poll, name=POLL_JOB)
    scheduler.every(settings.heartbeat_seconds, fleet.beat, name=HEARTBEAT_JOB)
    # Any process may run it: each digest is claimed before it is queued.
    scheduler.every(
        min(settings.poll_seconds, DIGEST_CHECK_SECONDS),
        foryou.send_due_digests,
        name="foryou digests",
    )


def build_cogs(services: Services, clock: Clock) -> list[commands.Cog]:
    """The slash commands, each handed only the services it uses."""
    save = services.save_button
    return [
        StatusCog(services.status, services.admin_log, clock),
        TopicsCog(services.topics, services.feedback, services.votes),
        FollowsCog(services.follows, services.feedback, services.votes),
        PrivacyCog(services.follows),
        PapersCog(services.search, save),
        SavedCog(services.saved, services.search),
        ForYouCog(services.foryou, save),
    ]


def _store_line(problem: str | None) -> str:
    """The admin log's line for a change of the store's health."""
    if problem:
        return (
            f"paperbot cannot write to its store ({problem}): posting and polling are paused "
            "until it can."
        )
    return "paperbot's store takes writes again: posting and polling resume."
