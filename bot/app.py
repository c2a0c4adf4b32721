"""The composition root: builds every service, runs the bot, and closes it all in order."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path

import aiohttp
import discord
import yarl

from bot.client import PaperBot
from bot.config import Settings
from bot.core.delivery.admin_log import AdminLog
from bot.core.delivery.fleet import FLEET_CHANNEL, Fleet, describe_shards
from bot.core.delivery.ingest import OUTBOX_CHANNEL
from bot.core.delivery.outbox import Outbox, Pace
from bot.core.delivery.poller import Clock, Poller, utc_now
from bot.core.delivery.scheduler import Scheduler
from bot.core.errors import StoreOpenError
from bot.core.follows import FollowService
from bot.core.foryou import ForYouService
from bot.core.hf.source import HFSource, RetryPolicy
from bot.core.matching.vocabulary import english
from bot.core.saved import SavedService
from bot.core.search import SearchService
from bot.core.status import StatusSource
from bot.core.store import Store
from bot.core.store.deliveries import DeliveryStore
from bot.core.store.follows import FollowStore
from bot.core.store.foryou import ForYouStore
from bot.core.store.guild_settings import GuildSettingsStore
from bot.core.store.saved import SavedStore
from bot.core.store.search import SearchStore
from bot.core.store.sqlite import ProcessLock
from bot.core.store.topics import TopicStore
from bot.core.topics import TopicService
from bot.transport.forums import forum_post_guard
from bot.transport.sender import DiscordTransport
from bot.ui.views import save_button_class
from cogs.follows import FollowsCog
from cogs.foryou import ForYouCog
from cogs.papers import PapersCog
from cogs.privacy import PrivacyCog
from cogs.saved import SavedCog
from cogs.status import StatusCog
from cogs.topics import TopicsCog

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
POLL_JOB = "poll"
HEARTBEAT_JOB = "heartbeat"
DIGEST_CHECK_SECONDS = 300  # how often due /foryou digests are looked for

TOKEN_INVALID_CLOSE = 4004  # the gateway's "authentication failed"
GATEWAY_CHECK_SECONDS = 10.0

TOKEN_REJECTED = (
    "Discord rejected DISCORD_TOKEN. Copy the token again from the Developer Portal "
    "(Bot > Reset Token) into .env; see README.md, section 'Create the Discord application'."
)


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
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    lock = ProcessLock(settings.db_path) if isinstance(settings.db_path, Path) else None
    if lock is not None and settings.shard_ids is not None:
        return _fail(
            "PAPERBOT_SHARDS splits the shards among several processes, which needs "
            "PostgreSQL (PAPERBOT_DB=postgresql://...); on SQLite one process serves them all",
            EXIT_USAGE,
        )
    try:
        if store is None:
            try:
                if lock is not None:
                    lock.acquire()
                store = await Store.open(settings.db_path)
            except StoreOpenError as exc:
                return _fail(str(exc), exc.exit_code)
        async with aiohttp.ClientSession() as http, store:
            # The English word list takes a fifth of a second to read, partly in C with the
            # GIL held: read it now, before the bot answers anyone, not during a poll.
            await asyncio.to_thread(english)
            scheduler = Scheduler()
            try:
                bot, outbox, fleet = build(settings, http, store, scheduler, clock)
                await store.db.listen(OUTBOX_CHANNEL, outbox.wake)  # another process queued

                def recount() -> None:  # another process joined: count the fleet again
                    scheduler.spawn(fleet.beat(), name="heartbeat")

                await store.db.listen(FLEET_CHANNEL, recount)
                try:
                    return await _serve(bot, outbox, settings, scheduler, stop)
                finally:
                    with contextlib.suppress(Exception):  # the others see it go silent anyway
                        await fleet.leave()
            finally:
                await scheduler.shutdown()
    finally:
        if lock is not None:
            lock.release()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(sig)


async def _gateway_problem(url: str) -> str | None:
    """Why the gateway cannot be reached (opened and closed again, nothing sent), or None."""
    try:
        async with (
            asyncio.timeout(GATEWAY_CHECK_SECONDS),
            aiohttp.ClientSession() as session,
            session.ws_connect(url, timeout=aiohttp.ClientWSTimeout(ws_close=2)) as ws,
        ):
            await ws.close()
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        return _reason(exc)
    return None


def _reason(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text.splitlines()[0][:200]


def retry_policy(poll_seconds: int) -> RetryPolicy:
    """Retries inside one poll stay well within the poll interval."""
    return RetryPolicy(base_delay=min(1.0, poll_seconds / 10), max_delay=min(60.0, poll_seconds))


def build(
    settings: Settings,
    http: aiohttp.ClientSession,
    store: Store,
    scheduler: Scheduler,
    clock: Clock = utc_now,
) -> tuple[PaperBot, Outbox, Fleet]:
    """Wire the services together; the one place that knows every concrete class."""
    source = HFSource(http, settings.hf_endpoint, policy=retry_policy(settings.poll_seconds))
    fleet = Fleet(
        store,
        shards=describe_shards(
            list(settings.shard_ids) if settings.shard_ids else None, settings.shard_count
        ),
        heartbeat=settings.heartbeat_seconds,
        identify_seconds=settings.identify_seconds,
        on_size=lambda size: outbox.share(size),
        clock=clock,
    )
    topic_store = TopicStore(store)
    log_settings = GuildSettingsStore(store)

    async def post_line(channel_id: int, text: str) -> None:
        await transport.post_line(channel_id, text)

    admin_log = AdminLog(log_settings, post_line)

    def store_changed(problem: str | None) -> None:
        line = (
            f"paperbot cannot write to its store ({problem}): posting and polling are paused "
            "until it can."
            if problem
            else "paperbot's store takes writes again: posting and polling resume."
        )
        scheduler.spawn(admin_log.report(None, line), name="admin log")

    store.health.listeners.append(store_changed)
    deliveries = DeliveryStore(
        store,
        holder=fleet.process,
        lease_seconds=settings.lease_seconds,
        sole=store.dialect == "sqlite",  # one process per SQLite file (ProcessLock)
    )
    search_store = SearchStore(store)
    search = SearchService(store, search_store, source, clock=clock)
    topics = TopicService(
        store,
        topic_store,
        deliveries,
        words=search_store,
        find_paper=search.show,
        on_queued=lambda: outbox.wake(),
        clock=clock,
        report=admin_log.report,
    )
    poller = Poller(
        source,
        topics.ingest,
        store,
        settings.feeds,
        interval_seconds=settings.poll_seconds,
        clock=clock,
        may_poll=fleet.may_poll,
        report=admin_log.report,
    )
    scheduler.every(settings.poll_seconds, poller.poll, name=POLL_JOB)
    scheduler.every(settings.heartbeat_seconds, fleet.beat, name=HEARTBEAT_JOB)
    status = StatusSource(
        store,
        settings.feeds,
        clock(),
        lambda: scheduler.next_run(POLL_JOB),
        deliveries,
        store.health,
        fleet.members,
    )
    follows = FollowService(topics, FollowStore(store), deliveries, clock=clock)
    saved_store = SavedStore(store)
    saved = SavedService(saved_store, clock=clock)
    foryou = ForYouService(
        store,
        saved_store,
        ForYouStore(store),
        FollowStore(store),
        deliveries,
        on_queued=lambda: outbox.wake(),
        clock=clock,
    )
    # Any process may run it: each digest is claimed before it is queued.
    scheduler.every(
        min(settings.poll_seconds, DIGEST_CHECK_SECONDS),
        foryou.send_due_digests,
        name="foryou digests",
    )
    save_button = save_button_class(saved, search.show)
    bot = PaperBot(
        meta=store,
        cogs=[
            StatusCog(status, log_settings, post_line, clock),
            TopicsCog(topics),
            FollowsCog(follows),
            PrivacyCog(follows),
            PapersCog(search, save_button),
            SavedCog(saved, search),
            ForYouCog(foryou, save_button),
        ],
        dynamic_items=[save_button],
        dev_guild=settings.dev_guild,
        shard_ids=list(settings.shard_ids) if settings.shard_ids else None,
        shard_count=settings.shard_count,
        before_identify=fleet.before_identify,
        http_trace=forum_post_guard(),
    )
    transport = DiscordTransport(bot, save_button)
    outbox = Outbox(
        deliveries,
        transport,
        pace=Pace(per_second=settings.send_rate, backoff_base=settings.retry_seconds),
        clock=clock,
        report=admin_log.report,
    )
    return bot, outbox, fleet


def _fail(message: str, code: int) -> int:
    print(f"paperbot: {message}", file=sys.stderr)
    return code


async def _serve(
    bot: PaperBot, outbox: Outbox, settings: Settings, scheduler: Scheduler, stop: asyncio.Event
) -> int:
    assert settings.discord_token
    api = settings.discord_api_base or "https://discord.com/api"
    gateway = settings.discord_gateway_url or str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    async with bot:
        try:
            await bot.login(settings.discord_token)
        except discord.LoginFailure:
            return _fail(TOKEN_REJECTED, EXIT_USAGE)
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            return _fail(f"cannot reach Discord at {api}: {_reason(exc)}; check the network", 1)
        except discord.HTTPException as exc:
            return _fail(f"Discord answered {exc.status} at start: {exc.text}; try again later", 1)
        # Once connected, discord.py rides out outages by itself; at start, an unreachable
        # gateway is said once instead of retried forever.
        problem = await _gateway_problem(gateway)
        if problem is not None:
            return _fail(f"cannot reach Discord's gateway at {gateway}: {problem}", EXIT_FAILURE)
        # Background work starts only once Discord has accepted the token.
        scheduler.start()
        scheduler.spawn(outbox.run(), name="outbox")
        runner = asyncio.create_task(bot.connect(), name="discord")
        stopper = asyncio.create_task(stop.wait(), name="stop")
        done, _pending = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        if runner in done:
            error = runner.exception()
            if isinstance(error, discord.ConnectionClosed) and error.code == TOKEN_INVALID_CLOSE:
                # The token was revoked (or reset) while the bot ran.
                return _fail(TOKEN_REJECTED, EXIT_USAGE)
            if isinstance(error, discord.PrivilegedIntentsRequired):
                return _fail(
                    "Discord refused an intent paperbot did not ask for; reset the bot's "
                    "intents in the Developer Portal (none are needed)",
                    EXIT_USAGE,
                )
            if error is not None:
                return _fail(f"the Discord connection failed: {_reason(error)}", EXIT_FAILURE)
            return EXIT_OK
        log.info("shutting down")
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await runner
        return EXIT_OK
