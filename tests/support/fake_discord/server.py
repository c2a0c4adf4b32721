"""A local fake of Discord: REST API v10 and the gateway, on one aiohttp server on 127.0.0.1.

The real, unmodified discord.py client talks to it (through `DISCORD_API_BASE` and
`DISCORD_GATEWAY_URL`). It keeps one guild with roles, members and text channels, records every
request in order, builds INTERACTION_CREATE events from the commands the bot synced, and enforces
what real Discord enforces that matters to paperbot: the 3-second first-callback deadline, size
limits, per-channel and global rate limits (with a time scale for fast tests), 403 on a channel the
bot cannot see and 404 on a deleted one. An endpoint it does not know answers 404 and is listed in
`unknown`, which the fixtures check after every test.

See ../shared/discord-wire-notes.md for the facts behind each behaviour.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from aiohttp import web

from tests.support.fake_discord.gateway import Gateway
from tests.support.fake_discord.guild import GuildState
from tests.support.fake_discord.interactions import Interactions
from tests.support.fake_discord.messages import Messages
from tests.support.fake_discord.ratelimits import RateLimits
from tests.support.fake_discord.wire import (
    Channel,
    InteractionRecord,
    Recorded,
    _json,
    _Refusal,
    snowflake,
    user_payload,
)


class FakeDiscord(GuildState, RateLimits, Gateway, Interactions, Messages):
    def __init__(
        self,
        *,
        ratelimits: bool = True,
        time_scale: float = 1.0,
        extra_channels: int = 0,
        click_settle: float = 0.1,
    ) -> None:
        self.ratelimits = ratelimits
        self.time_scale = time_scale
        self.click_settle = click_settle
        self.app_id = snowflake()
        self.bot_user = user_payload(self.app_id, "paperbot", bot=True)
        self.valid_tokens = {"test-token.fake.discord"}
        self.guild_id = snowflake()
        self.extra_guilds: list[str] = []  # guilds holding only channels, on chosen shards
        self.recommended_shards = 1  # GET /gateway/bot
        self.max_concurrency = 1
        self.identify_log: list[tuple[float, int, int]] = []  # (monotonic, shard, count)
        self.roles: dict[str, dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.member_roles: dict[str, list[str]] = {}
        self.channels: dict[str, Channel] = {}
        self._build_guild(extra_channels)
        # A server the bot is not in (members reach paperbot there by installing it on their
        # account), and people who closed their DMs (posting to them is refused with 50007).
        self.foreign_guild_id = snowflake()
        self.foreign = Channel(snowflake(), "elsewhere", guild_id=self.foreign_guild_id)
        self.channels[self.foreign.id] = self.foreign
        self.dms_closed: set[str] = set()

        self.requests: list[Recorded] = []
        self.unknown: list[str] = []
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[str, list[dict[str, Any]]] = {}
        self.command_syncs: list[str] = []  # "global" or a guild id, in order
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.interactions: dict[str, InteractionRecord] = {}
        self.identifies = 0
        self.ready_sent = 0

        self._failures: list[tuple[re.Pattern[str], int, int, float, bool]] = []
        self._holds: list[re.Pattern[str]] = []
        self.guilds_delay = 0.0  # seconds between READY and each GUILD_CREATE
        self._released = asyncio.Event()
        self._channel_buckets: dict[str, tuple[float, int]] = {}
        self._global_window: tuple[float, int] = (0.0, 0)
        self._message_times: dict[str, float] = {}
        self._nonces: dict[str, tuple[dict[str, Any], float]] = {}
        self.nonce_repeats: list[str] = []  # messages Discord dropped as repeats of a nonce
        self._changed = asyncio.Condition()
        self._sockets: list[web.WebSocketResponse] = []
        self._shard_of: dict[web.WebSocketResponse, tuple[int, int]] = {}
        self._seq = 0
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    async def start(self) -> FakeDiscord:
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_get("/", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        self.release_held()
        for ws in list(self._sockets):
            with contextlib.suppress(Exception):
                await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def wait_until(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Wait until `predicate()` is truthy (re-checked on every request); return its value."""

        async def check() -> Any:
            async with self._changed:
                while True:
                    value = predicate()
                    if value:
                        return value
                    await self._changed.wait()

        return await asyncio.wait_for(check(), timeout)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for_request(
        self, method: str, path: str, *, count: int = 1, timeout: float = 10.0
    ) -> list[Recorded]:
        pattern = re.compile(path)

        def found() -> list[Recorded]:
            hits = [r for r in self.requests if r.method == method and pattern.search(r.path)]
            return hits if len(hits) >= count else []

        result: list[Recorded] = await self.wait_until(found, timeout)
        return result

    async def wait_ready(self, timeout: float = 10.0) -> None:
        """Until the bot has identified and received its guild."""
        target = self.ready_sent + 1 if self.ready_sent == 0 else self.ready_sent
        await self.wait_until(lambda: self.ready_sent >= target, timeout)

    async def wait_messages(
        self, channel_name: str, count: int, timeout: float = 10.0
    ) -> list[dict[str, Any]]:
        cid = self.channel(channel_name).id
        result: list[dict[str, Any]] = await self.wait_until(
            lambda: self.messages.get(cid, []) if len(self.messages.get(cid, [])) >= count else [],
            timeout,
        )
        return result

    async def wait_callback(
        self, record: InteractionRecord, timeout: float = 10.0
    ) -> dict[str, Any]:
        callbacks: list[dict[str, Any]] = await self.wait_until(lambda: record.callbacks, timeout)
        return callbacks[0]

    async def wait_response(
        self, record: InteractionRecord, timeout: float = 10.0
    ) -> dict[str, Any]:
        """The first message the interaction produced (after a deferral, its edit or followup)."""

        def answered() -> dict[str, Any] | None:
            if record.original is not None and not record.original.get("_loading"):
                return record.original
            return record.followups[0] if record.followups else None

        result: dict[str, Any] = await self.wait_until(answered, timeout)
        return result

    def papers_posted(self, channel_name: str) -> list[str]:
        """The paper ids of every card shown in a channel, a bundle's cards each, in order."""
        return [
            embed["url"].rsplit("/", 1)[1]
            for message in self.posts(channel_name)
            for embed in message.get("embeds", [])
            if "/papers/" in embed.get("url", "")
        ]

    def posts(self, channel_name: str) -> list[dict[str, Any]]:
        return list(self.messages.get(self.channel(channel_name).id, []))

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body, files = await self._read_body(request)
        record = Recorded(request.method, path, dict(request.query), body, files)
        self.requests.append(record)
        try:
            response = await self._answer(request, record)
        except _Refusal as refusal:
            response = refusal.response
        record.status = response.status
        await self._notify()
        held = next((p for p in self._holds if p.search(path)), None)
        if held is not None and response.status < 300:
            # Done, but the answer waits (for a bot that dies before it hears it).
            self._holds.remove(held)
            await self._released.wait()
        return response

    async def _read_body(self, request: web.Request) -> tuple[Any, list[tuple[str, bytes]]]:
        if not request.body_exists:
            return None, []
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            payload = json.loads(str(form.get("payload_json", "{}")))
            files = []
            for key, value in form.items():
                if key.startswith("files[") and isinstance(value, web.FileField):
                    files.append((value.filename, value.file.read()))
            return payload, files
        raw = await request.read()
        try:
            return json.loads(raw), []
        except ValueError:
            return raw.decode("utf-8", "replace"), []

    async def _answer(self, request: web.Request, rec: Recorded) -> web.Response:
        self._check_auth(request, rec)
        is_callback = rec.path.startswith("/interactions/")
        self._check_failures(rec)
        if not is_callback:
            self._check_global_limit()
        for method, pattern, handler in self._routes():
            if rec.method == method:
                match = pattern.fullmatch(rec.path)
                if match:
                    answer: web.Response = await handler(rec, **match.groupdict())
                    self._check_failures(rec, after=True)
                    return answer
        self.unknown.append(f"{rec.method} {rec.path}")
        return _json({"message": "404: Not Found", "code": 0}, 404)

    def _routes(self) -> Iterable[tuple[str, re.Pattern[str], Callable[..., Any]]]:
        app = re.escape(self.app_id)
        table = [
            ("GET", r"/users/@me", self._me),
            ("GET", r"/gateway/bot", self._gateway_bot),
            ("GET", r"/oauth2/applications/@me", self._application),
            ("PUT", rf"/applications/{app}/commands", self._sync_global),
            ("GET", rf"/applications/{app}/commands", self._list_global),
            ("PUT", rf"/applications/{app}/guilds/(?P<guild>\d+)/commands", self._sync_guild),
            ("POST", r"/interactions/(?P<iid>\d+)/(?P<token>[^/]+)/callback", self._callback),
            ("GET", rf"/webhooks/{app}/(?P<token>[^/]+)/messages/@original", self._get_original),
            ("PATCH", rf"/webhooks/{app}/(?P<token>[^/]+)/messages/@original", self._edit_original),
            (
                "DELETE",
                rf"/webhooks/{app}/(?P<token>[^/]+)/messages/@original",
                self._delete_original,
            ),
            ("POST", rf"/webhooks/{app}/(?P<token>[^/]+)", self._followup),
            (
                "PATCH",
                rf"/webhooks/{app}/(?P<token>[^/]+)/messages/(?P<mid>\d+)",
                self._edit_followup,
            ),
            ("POST", r"/channels/(?P<cid>\d+)/messages", self._post_message),
            (
                "POST",
                r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)/threads",
                self._open_thread,
            ),
            ("POST", r"/channels/(?P<cid>\d+)/threads", self._forum_post),
            ("GET", r"/guilds/(?P<gid>\d+)/threads/active", self._active_threads),
            (
                "GET",
                r"/channels/(?P<cid>\d+)/threads/archived/public",
                self._archived_threads,
            ),
            ("GET", r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)", self._get_message),
            ("PATCH", r"/channels/(?P<cid>\d+)", self._edit_channel),
            ("PATCH", r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)", self._edit_message),
            ("GET", r"/channels/(?P<cid>\d+)", self._get_channel),
            ("POST", r"/users/@me/channels", self._open_dm),
        ]
        return [(m, re.compile(p), h) for m, p, h in table]
