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
import itertools
import json
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

# Permission bits (https://discord.com/developers/docs/topics/permissions).
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_HISTORY = 1 << 16
USE_APP_COMMANDS = 1 << 31
MANAGE_CHANNELS = 1 << 4
MANAGE_MESSAGES = 1 << 13
ADMINISTRATOR = 1 << 3
ALL_PERMISSIONS = (1 << 50) - 1
EVERYONE_PERMS = (
    VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | READ_HISTORY | USE_APP_COMMANDS
)
CREATE_PUBLIC_THREADS = 1 << 35
SEND_MESSAGES_IN_THREADS = 1 << 38
BOT_PERMS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | CREATE_PUBLIC_THREADS
    | SEND_MESSAGES_IN_THREADS
)
# What a user-installed app may do where the bot is not (answer its own interactions).
USER_APP_PERMS = SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES
MENTION_EVERYONE = 1 << 17
_ROLE_MENTION = re.compile(r"<@&(\d+)>")

EPHEMERAL = 1 << 6
CALLBACK_DEADLINE = 3.0
CHANNEL_LIMIT, CHANNEL_WINDOW = 5, 5.0
GLOBAL_LIMIT, GLOBAL_WINDOW = 50, 1.0
# Discord checks a nonce for uniqueness "in the past few minutes".
NONCE_WINDOW = 300.0

_ids = itertools.count(1_300_000_000_000_000_000)


def snowflake() -> str:
    return str(next(_ids))


def user_payload(user_id: str, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": user_id,
        "username": name,
        "global_name": name,
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
        "flags": 0,
    }


@dataclass
class Recorded:
    """One request as the fake received it, with the status it answered."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    files: list[tuple[str, bytes]]
    status: int = 200
    at: float = field(default_factory=time.monotonic)


@dataclass
class InteractionRecord:
    """An interaction the fake sent, and everything the bot answered to it."""

    id: str
    token: str
    kind: int
    channel_id: str
    user_id: str
    created: float
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    original: dict[str, Any] | None = None
    followups: list[dict[str, Any]] = field(default_factory=list)
    message_id: str | None = None  # for a component interaction: the message clicked

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The original response (as last edited) followed by every followup."""
        return ([self.original] if self.original else []) + self.followups


@dataclass
class Channel:
    id: str
    name: str
    hidden_from_bot: bool = False
    deleted: bool = False
    kind: int = 0  # 0 guild text, 1 DM, 3 group DM, 11 public thread, 15 forum
    parent_id: str = ""  # a thread's channel
    archive_minutes: int = 0  # a thread's auto-archive duration
    tags: list[dict[str, Any]] = field(default_factory=list)  # a forum's available tags
    applied_tags: list[str] = field(default_factory=list)  # a forum post's tags
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    archived_at: str = ""  # a thread's archive time, once archived
    guild_id: str = ""  # "" is the home guild (the one with members, roles and commands)
    # Member overwrites: user id → (allowed, denied) permission bits in this channel only.
    overwrites: dict[str, tuple[int, int]] = field(default_factory=dict)


class FakeDiscord:
    """Start with `await fake.start()`; `api_base` and `gateway_url` then point at it."""

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

    # -- the guild --------------------------------------------------------------------------------

    def _build_guild(self, extra_channels: int) -> None:
        g = self.guild_id
        self.roles[g] = self._role(g, "@everyone", EVERYONE_PERMS, 0)
        admin_role, bot_role = snowflake(), snowflake()
        self.roles[admin_role] = self._role(
            admin_role, "Admin", MANAGE_CHANNELS | MANAGE_MESSAGES, 2
        )
        self.roles[bot_role] = self._role(bot_role, "paperbot", BOT_PERMS, 1)
        for name, roles in (
            ("owner", []),
            ("admin", [admin_role]),
            ("member", []),
            ("member2", []),
        ):
            uid = snowflake()
            self.users[name] = user_payload(uid, name)
            self.member_roles[uid] = roles
        self.owner_id = self.users["owner"]["id"]
        self.member_roles[self.app_id] = [bot_role]
        for name in ("general", "papers", "ml-news"):
            self.add_channel(name)
        self.add_channel("secret", hidden_from_bot=True)
        for n in range(extra_channels):
            self.add_channel(f"feed-{n:03d}")

    @staticmethod
    def _role(role_id: str, name: str, perms: int, position: int) -> dict[str, Any]:
        return {
            "id": role_id,
            "name": name,
            "permissions": str(perms),
            "position": position,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "flags": 0,
            "icon": None,
            "unicode_emoji": None,
        }

    def add_role(self, name: str, *, mentionable: bool) -> str:
        """A role of the home guild that no one holds, mentionable by anyone or not."""
        role_id = snowflake()
        self.roles[role_id] = self._role(role_id, name, 0, 1)
        self.roles[role_id]["mentionable"] = mentionable
        return role_id

    def add_forum(self, name: str, tags: Sequence[str] = ()) -> Channel:
        """A forum channel of the home guild, with these tags."""
        forum = Channel(snowflake(), name, kind=15)
        forum.tags = [self._tag(t) for t in tags]
        self.channels[forum.id] = forum
        return forum

    @staticmethod
    def _tag(name: str) -> dict[str, Any]:
        return {
            "id": snowflake(),
            "name": name,
            "moderated": False,
            "emoji_id": None,
            "emoji_name": None,
        }

    async def channel_changed(self, channel: Channel) -> None:
        """Tell the bot that a channel changed (its overwrites, say), as Discord does."""
        await self.dispatch("CHANNEL_UPDATE", self._channel_payload(channel))

    def posts_in_forum(self, name: str) -> list[Channel]:
        forum = self.channel(name).id
        return [c for c in self.channels.values() if c.kind == 11 and c.parent_id == forum]

    def add_channel(self, name: str, *, hidden_from_bot: bool = False) -> Channel:
        channel = Channel(snowflake(), name, hidden_from_bot)
        self.channels[channel.id] = channel
        return channel

    def add_guild(self, shard: int, shard_count: int, channels: int) -> tuple[str, list[Channel]]:
        """A guild on `shard` of `shard_count` ((id >> 22) % count), with text channels."""
        k = (int(snowflake()) >> 22) + 1
        k += (shard - k) % shard_count
        guild_id = str((k << 22) | (len(self.extra_guilds) + 1))
        self.extra_guilds.append(guild_id)
        self.roles[guild_id] = self._role(guild_id, "@everyone", EVERYONE_PERMS, 0)
        made = []
        for n in range(channels):
            channel = Channel(snowflake(), f"g{guild_id[-4:]}-{n:03d}", guild_id=guild_id)
            self.channels[channel.id] = channel
            made.append(channel)
        return guild_id, made

    def guilds(self) -> list[str]:
        return [self.guild_id, *self.extra_guilds]

    @staticmethod
    def shard_for(guild_id: str | None, shard_count: int) -> int:
        """Discord's rule: a guild's events go to (guild_id >> 22) % shard_count; DMs to 0."""
        return (int(guild_id) >> 22) % shard_count if guild_id else 0

    def deny_bot(self, channel_name: str, permissions: int) -> None:
        """Take permissions from the bot in one channel (an overwrite)."""
        channel = self.channel(channel_name)
        allowed, denied = channel.overwrites.get(self.app_id, (0, 0))
        channel.overwrites[self.app_id] = (allowed & ~permissions, denied | permissions)

    def grant(self, user: str, channel_name: str, permissions: int) -> None:
        """Give a member permissions in one channel only (a member overwrite)."""
        channel = self.channel(channel_name)
        uid = self.users[user]["id"]
        allowed, denied = channel.overwrites.get(uid, (0, 0))
        channel.overwrites[uid] = (allowed | permissions, denied)

    def channel(self, name: str) -> Channel:
        for channel in self.channels.values():
            if channel.name == name:
                return channel
        raise KeyError(name)

    def delete_channel(self, name: str) -> None:
        self.channel(name).deleted = True

    def user(self, name: str) -> dict[str, Any]:
        return self.users[name]

    def _channel_payload(self, channel: Channel, position: int = 0) -> dict[str, Any]:
        overwrites = [
            {"id": uid, "type": 1, "allow": str(allow), "deny": str(deny)}
            for uid, (allow, deny) in channel.overwrites.items()
        ]
        if channel.hidden_from_bot:
            overwrites.append(
                {"id": self.app_id, "type": 1, "allow": "0", "deny": str(VIEW_CHANNEL)}
            )
        extra: dict[str, Any] = {}
        if channel.kind == 15:
            extra = {
                "available_tags": channel.tags,
                "default_auto_archive_duration": 4320,
                "default_reaction_emoji": None,
                "default_thread_rate_limit_per_user": 0,
                "default_sort_order": None,
                "default_forum_layout": 0,
            }
        return {
            **extra,
            "id": channel.id,
            "type": channel.kind if channel.kind == 15 else 0,
            "name": channel.name,
            "position": position,
            "guild_id": channel.guild_id or self.guild_id,
            "permission_overwrites": overwrites,
            "nsfw": False,
            "topic": None,
            "parent_id": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
        }

    def _member_payload(self, user: dict[str, Any]) -> dict[str, Any]:
        return {
            "user": user,
            "roles": self.member_roles.get(user["id"], []),
            "joined_at": "2026-01-01T00:00:00.000000+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
            "nick": None,
            "avatar": None,
            "premium_since": None,
            "pending": False,
        }

    def _guild_payload(self, guild_id: str | None = None) -> dict[str, Any]:
        guild_id = guild_id or self.guild_id
        home = guild_id == self.guild_id
        if home:
            members = [self._member_payload(u) for u in self.users.values()]
            roles = [r for rid, r in self.roles.items() if rid not in self.extra_guilds]
        else:  # a guild of channels only: the bot, and the owner
            members = [self._member_payload(self.users["owner"])]
            bot_roles = self.member_roles.get(self.app_id, [])
            roles = [self.roles[guild_id], *(self.roles[r] for r in bot_roles)]
        members.append(self._member_payload(self.bot_user))
        visible = [
            c
            for c in self.channels.values()
            if not c.deleted and c.kind in (0, 15) and (c.guild_id or self.guild_id) == guild_id
        ]
        return {
            "id": guild_id,
            "name": "Paper Lab" if home else f"Guild {guild_id[-4:]}",
            "owner_id": self.owner_id,
            "roles": roles,
            "channels": [self._channel_payload(c, i) for i, c in enumerate(visible)],
            "members": members,
            "member_count": len(members),
            "unavailable": False,
            "large": False,
            "features": [],
            "emojis": [],
            "stickers": [],
            "threads": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "voice_states": [],
            "presences": [],
            "joined_at": "2026-01-01T00:00:00.000000+00:00",
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "system_channel_flags": 0,
            "icon": None,
            "banner": None,
            "splash": None,
            "discovery_splash": None,
            "description": None,
            "vanity_url_code": None,
            "afk_timeout": 300,
        }

    def permissions(self, user_id: str, channel: Channel | None) -> int:
        """A member's permissions in a channel, computed as Discord does."""
        if user_id == self.owner_id:
            return ALL_PERMISSIONS
        guild = channel.guild_id if channel is not None and channel.guild_id else self.guild_id
        perms = int(self.roles[guild]["permissions"])
        for role_id in self.member_roles.get(user_id, []):
            perms |= int(self.roles[role_id]["permissions"])
        if perms & ADMINISTRATOR:
            return ALL_PERMISSIONS
        if channel is not None and channel.hidden_from_bot and user_id == self.app_id:
            perms &= ~VIEW_CHANNEL
        if channel is not None and user_id in channel.overwrites:
            allowed, denied = channel.overwrites[user_id]
            perms = (perms & ~denied) | allowed
        return perms

    # -- lifecycle --------------------------------------------------------------------------------

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

    # -- switches ---------------------------------------------------------------------------------

    def fail_next(
        self,
        path: str = r".*",
        *,
        status: int = 500,
        times: int = 1,
        retry_after: float = 0.05,
        after: bool = False,
    ) -> None:
        """Answer the next `times` requests whose path matches `path` with `status`; with
        `after`, only once the request has done its work (Discord took it, but the answer that
        came back was an error)."""
        self._failures.append((re.compile(path), status, times, retry_after, after))

    def hold_next(self, path: str) -> None:
        """Do the next request whose path matches `path`, then hold its answer until
        `release_held()`: Discord took it, and the bot has not heard so."""
        self._holds.append(re.compile(path))
        self._released.clear()

    def release_held(self) -> None:
        self._released.set()

    # -- waiting ----------------------------------------------------------------------------------

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

    # -- interactions -----------------------------------------------------------------------------

    def _commands_for(self, guild: bool) -> list[dict[str, Any]]:
        commands = list(self.global_commands)
        if guild:
            commands += self.guild_commands.get(self.guild_id, [])
        return commands

    def _find_command(self, name: str) -> dict[str, Any]:
        for command in reversed(self._commands_for(True)):
            if command["name"] == name and command.get("type", 1) == 1:
                return command
        raise KeyError(f"no synced command named /{name}")

    def _options(
        self,
        definition: dict[str, Any],
        path: list[str],
        values: dict[str, Any],
        focused: str | None,
    ) -> list[dict[str, Any]]:
        if path:
            sub = next(o for o in definition.get("options", []) if o["name"] == path[0])
            return [
                {
                    "type": sub["type"],
                    "name": sub["name"],
                    "options": self._options(sub, path[1:], values, focused),
                }
            ]
        built = []
        known = {o["name"]: o for o in definition.get("options", [])}
        for name, value in values.items():
            if name not in known:
                raise KeyError(f"option {name!r} is not in the synced definition")
            option: dict[str, Any] = {"type": known[name]["type"], "name": name, "value": value}
            if name == focused:
                option["focused"] = True
            built.append(option)
        return built

    async def slash(
        self,
        user: str,
        channel: str,
        command: str,
        options: dict[str, Any] | None = None,
        *,
        focused: str | None = None,
    ) -> InteractionRecord:
        """Send a slash command (`"topic add"`) as `user` in `channel`, as Discord would."""
        names = command.split()
        definition = self._find_command(names[0])
        data: dict[str, Any] = {
            "id": definition["id"],
            "name": definition["name"],
            "type": 1,
            "options": self._options(definition, names[1:], options or {}, focused),
        }
        if definition.get("guild_id"):
            data["guild_id"] = definition["guild_id"]
        # Discord resolves role and channel options into the objects themselves.
        roles = {str(o["value"]) for o in _flat(data["options"]) if o["type"] == 8}
        channels = {str(o["value"]) for o in _flat(data["options"]) if o["type"] == 7}
        if roles or channels:
            author = self.users[user]["id"]
            data["resolved"] = {
                "roles": {r: self.roles[r] for r in roles},
                "channels": {
                    c: {
                        "id": c,
                        "type": self.channels[c].kind,
                        "name": self.channels[c].name,
                        "guild_id": self.channels[c].guild_id or self.guild_id,
                        "parent_id": None,
                        "permissions": str(self.permissions(author, self.channels[c])),
                    }
                    for c in channels
                },
            }
        kind = 4 if focused else 2
        return await self._interact(kind, user, channel, data)

    async def autocomplete(
        self, user: str, channel: str, command: str, options: dict[str, Any], focused: str
    ) -> InteractionRecord:
        return await self.slash(user, channel, command, options, focused=focused)

    async def click(self, user: str, message: dict[str, Any], custom_id: str) -> InteractionRecord:
        """Click the button `custom_id` on `message`, as `user`."""
        buttons = [c for row in message.get("components", []) for c in row.get("components", [])]
        if not any(b.get("custom_id") == custom_id for b in buttons):
            raise KeyError(f"no button {custom_id!r} on that message")
        # People are never faster than the bot reading its own response (see the wire notes).
        written = self._message_times.get(message["id"], 0.0)
        settle = written + self.click_settle - time.monotonic()
        if settle > 0:
            await asyncio.sleep(settle)
        data = {"custom_id": custom_id, "component_type": 2}
        channel = self.channels[message["channel_id"]].name
        return await self._interact(3, user, channel, data, message=message)

    async def _interact(
        self,
        kind: int,
        user: str,
        channel_name: str,
        data: dict[str, Any],
        *,
        message: dict[str, Any] | None = None,
    ) -> InteractionRecord:
        channel = self.channel(channel_name)
        author = self.users[user]
        context, install = self._context(user, channel)
        if kind in (2, 4):
            self._check_available(data["name"], context, install)
        record = InteractionRecord(
            snowflake(), f"tok-{snowflake()}", kind, channel.id, author["id"], time.monotonic()
        )
        self.interactions[record.id] = record
        payload: dict[str, Any] = {
            "id": record.id,
            "application_id": self.app_id,
            "type": kind,
            "token": record.token,
            "version": 1,
            "attachment_size_limit": 10 * 1024 * 1024,
            "data": data,
            "locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": self.guild_id},
        }
        if install == 1:  # through the person's own install of paperbot
            payload["authorizing_integration_owners"] = {"1": author["id"]}
        if channel.kind in (1, 3):
            payload["user"] = author
            payload["channel"] = {"id": channel.id, "type": channel.kind, "recipients": [author]}
            payload["context"] = context
            payload["app_permissions"] = str(BOT_PERMS if context == 1 else USER_APP_PERMS)
        elif channel is self.foreign:  # a server without paperbot: nothing of it is cached
            member = self._member_payload(author)
            member["permissions"] = str(EVERYONE_PERMS)
            payload["member"] = member
            payload["guild_id"] = self.foreign_guild_id
            payload["guild_locale"] = "en-US"
            payload["channel"] = {
                "id": channel.id,
                "type": 0,
                "guild_id": self.foreign_guild_id,
                "name": channel.name,
                "position": 0,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
            }
            payload["app_permissions"] = str(USER_APP_PERMS)
            payload["context"] = 0
        else:
            member = self._member_payload(author)
            member["permissions"] = str(self.permissions(author["id"], channel))
            payload["member"] = member
            payload["guild_id"] = self.guild_id
            payload["guild_locale"] = "en-US"
            payload["guild"] = {"id": self.guild_id, "locale": "en-US", "features": []}
            payload["channel"] = self._channel_payload(channel)
            payload["app_permissions"] = str(self.permissions(self.app_id, channel))
            payload["context"] = 0
        if message is not None:
            payload["message"] = _public(message)
            record.message_id = message["id"]
        await self.dispatch("INTERACTION_CREATE", payload)
        return record

    def _context(self, user: str, channel: Channel) -> tuple[int, int]:
        """The interaction's context (0 guild, 1 the bot's DM, 2 another private channel) and
        the install that authorizes it (0 the server's, 1 the person's own)."""
        if channel.kind == 1 and channel.name == f"dm-{user}":
            return 1, 0
        if channel.kind in (1, 3):
            return 2, 1
        return 0, (1 if channel is self.foreign else 0)

    def _check_available(self, name: str, context: int, install: int) -> None:
        """Discord offers a command only where its `contexts` and `integration_types` allow."""
        definition = self._find_command(name)
        contexts = definition.get("contexts") or [0, 1, 2]
        if definition.get("dm_permission") is False:
            contexts = [0]
        installs = definition.get("integration_types") or [0]
        if context not in contexts or install not in installs:
            raise Unavailable(f"Discord offers no /{name} here (context {context})")

    def group_dm(self, *users: str) -> Channel:
        """A group DM of `users` (paperbot is not in it: usable through a user install)."""
        name = "group-" + "-".join(users)
        try:
            return self.channel(name)
        except KeyError:
            channel = Channel(snowflake(), name, kind=3)
            self.channels[channel.id] = channel
            return channel

    def dm_channel(self, user: str) -> Channel:
        """The DM channel between `user` and the bot (created on first use)."""
        name = f"dm-{user}"
        try:
            return self.channel(name)
        except KeyError:
            channel = Channel(snowflake(), name, kind=1)
            self.channels[channel.id] = channel
            return channel

    # -- gateway ----------------------------------------------------------------------------------

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        if not self._sockets:
            raise RuntimeError("the bot is not connected to the fake gateway")
        self._seq += 1
        frame = {"op": 0, "t": event, "s": self._seq, "d": data}
        guild = data.get("guild_id") or (data.get("id") if event.startswith("GUILD_") else None)
        for ws in list(self._sockets):
            shard, count = self._shard_of.get(ws, (0, 1))
            if self.shard_for(guild, count) != shard:
                continue  # another session's shard
            with contextlib.suppress(ConnectionResetError):
                await ws.send_str(json.dumps(frame))

    async def ask_to_reconnect(self) -> None:
        """op 7 RECONNECT to every session: the bot comes back and resumes or identifies."""
        for ws in list(self._sockets):
            with contextlib.suppress(ConnectionResetError):
                await ws.send_str(json.dumps({"op": 7, "d": None}))

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}}))
        self._sockets.append(ws)
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                op = frame.get("op")
                if op == 1:
                    await ws.send_str(json.dumps({"op": 11}))
                elif op == 2:
                    await self._identify(ws, frame["d"])
                elif op == 6:
                    # No session resumption here: ask for a fresh IDENTIFY.
                    await ws.send_str(json.dumps({"op": 9, "d": False}))
        finally:
            if ws in self._sockets:
                self._sockets.remove(ws)
            self._shard_of.pop(ws, None)
        return ws

    async def _identify(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        if data.get("token", "").removeprefix("Bot ") not in self.valid_tokens:
            await ws.close(code=4004, message=b"Authentication failed.")
            return
        self.identifies += 1
        shard, count = data.get("shard") or (0, 1)
        self._shard_of[ws] = (shard, count)
        self.identify_log.append((time.monotonic(), shard, count))
        mine = [g for g in self.guilds() if self.shard_for(g, count) == shard]
        ready = {
            "v": 10,
            "user": {**self.bot_user, "verified": True, "mfa_enabled": False},
            "guilds": [{"id": g, "unavailable": True} for g in mine],
            "session_id": f"session-{snowflake()}",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": self.app_id, "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
        }
        if data.get("shard"):
            ready["shard"] = [shard, count]
        events = [("READY", ready), *(("GUILD_CREATE", self._guild_payload(g)) for g in mine)]
        for event, payload in events:
            if event == "GUILD_CREATE" and self.guilds_delay:
                await asyncio.sleep(self.guilds_delay)  # Discord sends servers as they load
            self._seq += 1
            await ws.send_str(json.dumps({"op": 0, "t": event, "s": self._seq, "d": payload}))
        self.ready_sent += 1
        await self._notify()

    # -- REST -------------------------------------------------------------------------------------

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

    async def _gateway_bot(self, rec: Recorded) -> web.Response:
        return _json(
            {
                "url": self.gateway_url,
                "shards": self.recommended_shards,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 1000 - self.identifies,
                    "reset_after": 86_400_000,
                    "max_concurrency": self.max_concurrency,
                },
            }
        )

    def _check_auth(self, request: web.Request, rec: Recorded) -> None:
        if rec.path.startswith(("/interactions/", "/webhooks/")):
            return  # interaction tokens are the credential there
        token = request.headers.get("Authorization", "").removeprefix("Bot ")
        if token not in self.valid_tokens:
            raise _Refusal(_json({"message": "401: Unauthorized", "code": 0}, 401))

    def _check_failures(self, rec: Recorded, *, after: bool = False) -> None:
        for index, (pattern, status, times, retry_after, late) in enumerate(self._failures):
            if times and late == after and pattern.search(rec.path):
                self._failures[index] = (pattern, status, times - 1, retry_after, late)
                if status == 429:
                    raise _Refusal(self._too_many(retry_after, is_global=False, scope="user"))
                raise _Refusal(_json({"message": "Internal Server Error", "code": 0}, status))

    def _scaled(self, seconds: float) -> float:
        return seconds * self.time_scale

    def _check_global_limit(self) -> None:
        if not self.ratelimits:
            return
        now = time.monotonic()
        start, count = self._global_window
        if now - start >= self._scaled(GLOBAL_WINDOW):
            start, count = now, 0
        if count >= GLOBAL_LIMIT:
            wait = self._scaled(GLOBAL_WINDOW) - (now - start)
            raise _Refusal(self._too_many(wait, is_global=True, scope="global"))
        self._global_window = (start, count + 1)

    def _channel_bucket(self, channel_id: str) -> dict[str, str]:
        """Take a token from the channel's 5-per-5-s message bucket; headers to send back."""
        window = self._scaled(CHANNEL_WINDOW)
        now = time.monotonic()
        start, count = self._channel_buckets.get(channel_id, (now, 0))
        if now - start >= window:
            start, count = now, 0
        if self.ratelimits and count >= CHANNEL_LIMIT:
            raise _Refusal(self._too_many(window - (now - start), is_global=False, scope="user"))
        count += 1
        self._channel_buckets[channel_id] = (start, count)
        reset_after = max(window - (now - start), 0.001)
        return {
            "X-RateLimit-Limit": str(CHANNEL_LIMIT),
            "X-RateLimit-Remaining": str(max(CHANNEL_LIMIT - count, 0)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": "fake-channel-messages",
        }

    @staticmethod
    def _too_many(retry_after: float, *, is_global: bool, scope: str) -> web.Response:
        retry_after = max(retry_after, 0.001)
        headers = {
            "Via": "1.1 google",
            "Retry-After": f"{retry_after:.3f}",
            "X-RateLimit-Scope": scope,
            "X-RateLimit-Limit": str(GLOBAL_LIMIT if is_global else CHANNEL_LIMIT),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset-After": f"{retry_after:.3f}",
            "X-RateLimit-Bucket": "fake-global" if is_global else "fake-channel-messages",
        }
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        body = {
            "message": "You are being rate limited.",
            "retry_after": retry_after,
            "global": is_global,
            "code": 0,
        }
        return _json(body, 429, headers)

    # -- handlers ---------------------------------------------------------------------------------

    async def _me(self, rec: Recorded) -> web.Response:
        return _json({**self.bot_user, "verified": True, "mfa_enabled": False})

    async def _application(self, rec: Recorded) -> web.Response:
        owner = self.users["owner"]
        return _json(
            {
                "id": self.app_id,
                "name": "paperbot",
                "description": "",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": owner,
                "verify_key": "00" * 32,
                "interactions_endpoint_url": None,
                "flags": 0,
                "team": None,
                "summary": "",
                "rpc_origins": [],
            }
        )

    def _stored_commands(
        self, body: list[dict[str, Any]], guild: str | None
    ) -> list[dict[str, Any]]:
        stored = []
        for command in body:
            entry = {
                "id": snowflake(),
                "application_id": self.app_id,
                "version": snowflake(),
                "type": 1,
                "default_member_permissions": None,
                "dm_permission": True,
                "nsfw": False,
                **command,
            }
            if guild is not None:
                entry["guild_id"] = guild
            stored.append(entry)
        return stored

    async def _sync_global(self, rec: Recorded) -> web.Response:
        self.global_commands = self._stored_commands(rec.body, None)
        self.command_syncs.append("global")
        return _json(self.global_commands)

    async def _list_global(self, rec: Recorded) -> web.Response:
        return _json(self.global_commands)

    async def _sync_guild(self, rec: Recorded, guild: str) -> web.Response:
        self.guild_commands[guild] = self._stored_commands(rec.body, guild)
        self.command_syncs.append(guild)
        return _json(self.guild_commands[guild])

    def _interaction(self, iid: str, token: str) -> InteractionRecord:
        record = self.interactions.get(iid)
        if record is None or record.token != token:
            raise _Refusal(_json({"message": "Unknown interaction", "code": 10062}, 404))
        return record

    def _by_token(self, token: str) -> InteractionRecord:
        for record in self.interactions.values():
            if record.token == token:
                return record
        raise _Refusal(_json({"message": "Unknown Webhook", "code": 10015}, 404))

    async def _callback(self, rec: Recorded, iid: str, token: str) -> web.Response:
        record = self._interaction(iid, token)
        if time.monotonic() - record.created > CALLBACK_DEADLINE:
            raise _Refusal(_json({"message": "Unknown interaction", "code": 10062}, 404))
        if record.callbacks:
            raise _Refusal(
                _json({"message": "Interaction has already been acknowledged.", "code": 40060}, 400)
            )
        kind = int(rec.body.get("type", 0))
        data = rec.body.get("data") or {}
        if kind not in (1, 4, 5, 6, 7, 8, 9):
            raise _Refusal(_invalid("type", f"unknown callback type {kind}"))
        if kind in (4, 7):
            self._validate_message(data, rec.files)
        record.callbacks.append({"type": kind, "data": data, "files": rec.files, "at": rec.at})
        message: dict[str, Any] | None = None
        if kind in (4, 5):
            message = self._message(record.channel_id, data, rec.files, interaction=record)
            if kind == 5:
                message["_loading"] = True
            record.original = message
        elif kind == 7:
            source = self._find_message(record)
            if source is not None:
                source.update(self._message_fields(data, rec.files))
                message = source
        interaction = {
            "id": record.id,
            "type": record.kind,
            "response_message_id": message["id"] if message else None,
            "response_message_loading": kind == 5,
            "response_message_ephemeral": bool(int(data.get("flags", 0) or 0) & EPHEMERAL),
        }
        resource: dict[str, Any] = {"type": kind}
        if message is not None:
            resource["message"] = _public(message)
        return _json({"interaction": interaction, "resource": resource})

    def _find_message(self, record: InteractionRecord) -> dict[str, Any] | None:
        """The message whose component was clicked, wherever the fake keeps it."""
        for message in self.messages.get(record.channel_id, []):
            if message["id"] == record.message_id:
                return message
        for other in self.interactions.values():
            for message in other.messages:
                if message["id"] == record.message_id:
                    return message
        return None

    async def _get_original(self, rec: Recorded, token: str) -> web.Response:
        record = self._by_token(token)
        if record.original is None:
            raise _Refusal(_json({"message": "Unknown Message", "code": 10008}, 404))
        return _json(_public(record.original))

    async def _edit_original(self, rec: Recorded, token: str) -> web.Response:
        record = self._by_token(token)
        self._validate_message(rec.body or {}, rec.files)
        if record.original is None:
            raise _Refusal(_json({"message": "Unknown Message", "code": 10008}, 404))
        record.original.update(self._message_fields(rec.body or {}, rec.files))
        record.original.pop("_loading", None)
        self._message_times[record.original["id"]] = time.monotonic()
        return _json(_public(record.original))

    async def _delete_original(self, rec: Recorded, token: str) -> web.Response:
        record = self._by_token(token)
        record.original = None
        return web.Response(status=204)

    async def _followup(self, rec: Recorded, token: str) -> web.Response:
        record = self._by_token(token)
        if not record.callbacks:
            raise _Refusal(_json({"message": "Unknown Webhook", "code": 10015}, 404))
        body = rec.body or {}
        self._validate_message(body, rec.files)
        if record.original is not None and record.original.get("_loading"):
            # The first followup after a deferral replaces the "thinking" message.
            record.original.update(self._message_fields(body, rec.files))
            record.original.pop("_loading", None)
            message = record.original
        else:
            message = self._message(record.channel_id, body, rec.files, interaction=record)
            record.followups.append(message)
        self._message_times[message["id"]] = time.monotonic()
        return _json(_public(message))

    async def _edit_followup(self, rec: Recorded, token: str, mid: str) -> web.Response:
        record = self._by_token(token)
        for message in record.messages:
            if message["id"] == mid:
                self._validate_message(rec.body or {}, rec.files)
                message.update(self._message_fields(rec.body or {}, rec.files))
                return _json(_public(message))
        raise _Refusal(_json({"message": "Unknown Message", "code": 10008}, 404))

    def _usable_channel(self, cid: str) -> Channel:
        channel = self.channels.get(cid)
        if channel is None or channel.deleted:
            raise _Refusal(_json({"message": "Unknown Channel", "code": 10003}, 404))
        if channel.hidden_from_bot:
            raise _Refusal(_json({"message": "Missing Access", "code": 50001}, 403))
        return channel

    async def _post_message(self, rec: Recorded, cid: str) -> web.Response:
        channel = self._usable_channel(cid)
        if channel.kind == 15:
            raise _Refusal(
                _json({"message": "Cannot send messages in a forum channel", "code": 50008}, 400)
            )
        if channel.kind == 1 and channel.name.removeprefix("dm-") in self.dms_closed:
            raise _Refusal(
                _json({"message": "Cannot send messages to this user", "code": 50007}, 403)
            )
        headers = self._channel_bucket(cid)
        body = rec.body or {}
        self._validate_message(body, rec.files)
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            # Discord: a second message by the same author with the same nonce within a few
            # minutes is not created; the first one is returned.
            seen = self._nonces.get(str(nonce))
            if seen is not None and time.monotonic() - seen[1] < self._scaled(NONCE_WINDOW):
                self.nonce_repeats.append(str(nonce))
                return _json(_public(seen[0]), headers=headers)
        message = self._message(cid, body, rec.files)
        if nonce is not None:
            message["nonce"] = str(nonce)
            self._nonces[str(nonce)] = (message, time.monotonic())
        self.messages.setdefault(cid, []).append(message)
        return _json(_public(message), headers=headers)

    async def _open_thread(self, rec: Recorded, cid: str, mid: str) -> web.Response:
        """A public thread on a message: needs Create Public Threads; one per message."""
        channel = self._usable_channel(cid)
        if not self.permissions(self.app_id, channel) & CREATE_PUBLIC_THREADS:
            raise _Refusal(_json({"message": "Missing Permissions", "code": 50013}, 403))
        if not any(m["id"] == mid for m in self.messages.get(cid, [])):
            raise _Refusal(_json({"message": "Unknown Message", "code": 10008}, 404))
        if any(c.id == mid for c in self.channels.values()):
            raise _Refusal(
                _json({"message": "A thread has already been created", "code": 160004}, 400)
            )
        body = rec.body or {}
        name = str(body.get("name", ""))
        if not 1 <= len(name) <= 100:
            raise _Refusal(_invalid("name", "Must be between 1 and 100 in length."))
        minutes = int(body.get("auto_archive_duration", 4320))
        thread = Channel(
            mid, name, kind=11, guild_id=channel.guild_id, parent_id=cid, archive_minutes=minutes
        )  # a thread on a message takes its id
        self.channels[mid] = thread
        return _json(self._thread_payload(thread))

    def _thread_payload(self, thread: Channel) -> dict[str, Any]:
        messages = len(self.messages.get(thread.id, []))
        return {
            "id": thread.id,
            "type": 11,
            "guild_id": thread.guild_id or self.guild_id,
            "parent_id": thread.parent_id,
            "name": thread.name,
            "owner_id": self.app_id,
            "applied_tags": thread.applied_tags,
            "member_count": 1,
            "message_count": messages,
            "rate_limit_per_user": 0,
            "flags": 0,
            "thread_metadata": {
                "archived": bool(thread.archived_at),
                "auto_archive_duration": thread.archive_minutes or 4320,
                "archive_timestamp": thread.archived_at or thread.created_at,
                "create_timestamp": thread.created_at,
                "locked": False,
            },
        }

    async def _active_threads(self, rec: Recorded, gid: str) -> web.Response:
        """The guild's threads that are not archived."""
        threads = [
            self._thread_payload(c)
            for c in self.channels.values()
            if c.kind == 11
            and not c.deleted
            and not c.archived_at
            and (c.guild_id or self.guild_id) == gid
        ]
        return _json({"threads": threads, "members": []})

    async def _archived_threads(self, rec: Recorded, cid: str) -> web.Response:
        """A channel's archived public threads, the most recently archived first (one page);
        Discord wants Read Message History for it."""
        channel = self._usable_channel(cid)
        if not self.permissions(self.app_id, channel) & READ_HISTORY:
            raise _Refusal(_json({"message": "Missing Access", "code": 50001}, 403))
        threads = sorted(
            (c for c in self.channels.values() if c.parent_id == cid and c.archived_at),
            key=lambda c: c.archived_at,
            reverse=True,
        )
        payload = [self._thread_payload(c) for c in threads]
        return _json({"threads": payload, "members": [], "has_more": False})

    async def _get_message(self, rec: Recorded, cid: str, mid: str) -> web.Response:
        channel = self._usable_channel(cid)
        parent = self.channels.get(channel.parent_id, channel)  # a thread's permissions
        if not self.permissions(self.app_id, parent) & READ_HISTORY:
            raise _Refusal(_json({"message": "Missing Access", "code": 50001}, 403))
        for message in self.messages.get(cid, []):
            if message["id"] == mid:
                return _json(_public(message))
        raise _Refusal(_json({"message": "Unknown Message", "code": 10008}, 404))

    def archive(self, thread: Channel) -> None:
        """Discord archives a quiet thread (a forum post included)."""
        thread.archived_at = datetime.now(UTC).isoformat()

    def forum_post_by_bot(self, forum_name: str, name: str, message: dict[str, Any]) -> Channel:
        """A post the bot made in a forum earlier (a thread and its first message)."""
        forum = self.channel(forum_name)
        thread = Channel(snowflake(), name, kind=11, guild_id=forum.guild_id, parent_id=forum.id)
        self.channels[thread.id] = thread
        first = self._message(thread.id, message, [])
        first["id"] = thread.id
        self.messages.setdefault(thread.id, []).append(first)
        return thread

    async def _forum_post(self, rec: Recorded, cid: str) -> web.Response:
        """A post in a forum: a thread whose first message is the given message."""
        forum = self._usable_channel(cid)
        if forum.kind != 15:
            raise _Refusal(_invalid("type", "Not a forum channel."))
        if not self.permissions(self.app_id, forum) & SEND_MESSAGES:
            raise _Refusal(_json({"message": "Missing Permissions", "code": 50013}, 403))
        body = rec.body or {}
        name = str(body.get("name", ""))
        if not 1 <= len(name) <= 100:
            raise _Refusal(_invalid("name", "Must be between 1 and 100 in length."))
        known = {t["id"] for t in forum.tags}
        applied = [str(t) for t in body.get("applied_tags") or []]
        if len(applied) > 5 or not set(applied) <= known:
            raise _Refusal(_invalid("applied_tags", "Unknown or too many tags."))
        first = body.get("message") or {}
        self._validate_message(first, rec.files)
        thread = Channel(snowflake(), name, kind=11, guild_id=forum.guild_id, parent_id=cid)
        thread.applied_tags = applied
        self.channels[thread.id] = thread
        message = self._message(thread.id, first, rec.files)
        message["id"] = thread.id  # a post's first message has the thread's id
        self.messages.setdefault(thread.id, []).append(message)
        return _json({**self._thread_payload(thread), "message": _public(message)})

    async def _edit_channel(self, rec: Recorded, cid: str) -> web.Response:
        """A forum's tags (Manage Channels): new ones get ids; 20 at most."""
        channel = self._usable_channel(cid)
        if not self.permissions(self.app_id, channel) & MANAGE_CHANNELS:
            raise _Refusal(_json({"message": "Missing Permissions", "code": 50013}, 403))
        tags = (rec.body or {}).get("available_tags")
        if tags is not None:
            if len(tags) > 20:
                raise _Refusal(_invalid("available_tags", "Must be 20 or fewer in length."))
            channel.tags = [
                {**self._tag(t["name"]), **({"id": str(t["id"])} if t.get("id") else {})}
                for t in tags
            ]
        return _json(self._channel_payload(channel))

    def threads_of(self, channel_name: str) -> list[Channel]:
        parent = self.channel(channel_name).id
        return [c for c in self.channels.values() if c.kind == 11 and c.parent_id == parent]

    async def _edit_message(self, rec: Recorded, cid: str, mid: str) -> web.Response:
        self._usable_channel(cid)
        for message in self.messages.get(cid, []):
            if message["id"] == mid:
                self._validate_message(rec.body or {}, rec.files)
                message.update(self._message_fields(rec.body or {}, rec.files))
                return _json(_public(message))
        raise _Refusal(_json({"message": "Unknown Message", "code": 10008}, 404))

    async def _get_channel(self, rec: Recorded, cid: str) -> web.Response:
        channel = self._usable_channel(cid)
        if channel.kind == 1:
            return _json({"id": channel.id, "type": 1, "recipients": []})
        return _json(self._channel_payload(channel))

    async def _open_dm(self, rec: Recorded) -> web.Response:
        recipient = str((rec.body or {}).get("recipient_id"))
        name = next((n for n, u in self.users.items() if u["id"] == recipient), None)
        if name is None:
            raise _Refusal(_json({"message": "Unknown User", "code": 10013}, 400))
        channel = self.dm_channel(name)
        return _json({"id": channel.id, "type": 1, "recipients": [self.users[name]]})

    # -- messages ---------------------------------------------------------------------------------

    def _message_fields(
        self, body: dict[str, Any], files: list[tuple[str, bytes]]
    ) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        for key in ("content", "embeds", "components", "allowed_mentions", "flags"):
            if key in body:
                fields[key] = (
                    body[key] if body[key] is not None else ([] if key != "content" else "")
                )
        if files:
            fields["attachments"] = [
                {
                    "id": snowflake(),
                    "filename": name,
                    "size": len(data),
                    "url": f"http://127.0.0.1:{self.port}/attachments/{name}",
                    "proxy_url": f"http://127.0.0.1:{self.port}/attachments/{name}",
                    "_data": data,
                }
                for name, data in files
            ]
        return fields

    def _pinged_roles(self, channel_id: str, message: dict[str, Any]) -> list[str]:
        """The roles Discord would ping: named in the content, allowed by allowed_mentions,
        and mentionable (or the bot may mention everyone)."""
        allowed = message.get("allowed_mentions")
        named = _ROLE_MENTION.findall(message.get("content") or "")
        channel = self.channels.get(channel_id)
        if not named or channel is None or channel.kind != 0 or channel is self.foreign:
            return []  # roles are pinged in the servers the bot is in only
        may_all = bool(self.permissions(self.app_id, channel) & MENTION_EVERYONE)
        pinged = []
        for role_id in named:
            listed = [str(r) for r in (allowed or {}).get("roles", [])]
            if (
                allowed is not None
                and "roles" not in allowed.get("parse", [])
                and (role_id not in listed)
            ):
                continue
            role = self.roles.get(role_id)
            if role is not None and (role.get("mentionable") or may_all):
                pinged.append(role_id)
        return pinged

    def _message(
        self,
        channel_id: str,
        body: dict[str, Any],
        files: list[tuple[str, bytes]],
        *,
        interaction: InteractionRecord | None = None,
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "id": snowflake(),
            "type": 20 if interaction else 0,
            "content": "",
            "channel_id": channel_id,
            "author": self.bot_user,
            "timestamp": "2026-11-26T00:00:00.000000+00:00",
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "components": [],
            "pinned": False,
            "flags": 0,
        }
        if channel_id in self.channels and self.channels[channel_id].kind == 0:
            message["guild_id"] = self.channels[channel_id].guild_id or self.guild_id
        message.update(self._message_fields(body, files))
        message["mention_roles"] = self._pinged_roles(channel_id, message)
        if interaction is not None:
            message["_interaction"] = interaction.id
        self._message_times[message["id"]] = time.monotonic()
        return message

    def _validate_message(self, body: dict[str, Any], files: list[tuple[str, bytes]]) -> None:
        content = body.get("content") or ""
        if len(content) > 2000:
            raise _Refusal(_invalid("content", "Must be 2000 or fewer in length."))
        embeds = body.get("embeds") or []
        if len(embeds) > 10:
            raise _Refusal(_invalid("embeds", "Must be 10 or fewer in length."))
        total = 0
        for embed in embeds:
            limits = {"title": 256, "description": 4096}
            for key, limit in limits.items():
                text = embed.get(key) or ""
                total += len(text)
                if len(text) > limit:
                    raise _Refusal(
                        _invalid(f"embeds.{key}", f"Must be {limit} or fewer in length.")
                    )
            fields = embed.get("fields") or []
            if len(fields) > 25:
                raise _Refusal(_invalid("embeds.fields", "Must be 25 or fewer in length."))
            for f in fields:
                if len(f.get("name", "")) > 256 or len(f.get("value", "")) > 1024:
                    raise _Refusal(_invalid("embeds.fields", "Field name or value too long."))
                if not f.get("name") or not f.get("value"):
                    raise _Refusal(_invalid("embeds.fields", "This field is required"))
                total += len(f.get("name", "")) + len(f.get("value", ""))
            footer = (embed.get("footer") or {}).get("text") or ""
            author = (embed.get("author") or {}).get("name") or ""
            if len(footer) > 2048 or len(author) > 256:
                raise _Refusal(_invalid("embeds", "Footer or author too long."))
            total += len(footer) + len(author)
        if total > 6000:
            raise _Refusal(_invalid("embeds", "Embed size exceeds maximum size of 6000"))
        rows = body.get("components") or []
        if len(rows) > 5:
            raise _Refusal(_invalid("components", "Must be 5 or fewer in length."))
        for row in rows:
            items = row.get("components") or []
            if len(items) > 5:
                raise _Refusal(_invalid("components", "Must be 5 or fewer in length."))
            for item in items:
                if len(item.get("label") or "") > 80:
                    raise _Refusal(_invalid("components.label", "Must be 80 or fewer in length."))
                if len(item.get("custom_id") or "") > 100:
                    raise _Refusal(_invalid("components.custom_id", "Must be 100 or fewer."))
        if not content and not embeds and not files and not rows and "content" in body:
            raise _Refusal(_json({"message": "Cannot send an empty message", "code": 50006}, 400))


def _flat(options: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every option of a command's payload, subcommands' options included."""
    found = []
    for option in options:
        found.append(option)
        found += _flat(option.get("options", []))
    return found


class Unavailable(KeyError):
    """Discord would not offer that command where it was asked for."""


class _Refusal(Exception):
    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # Exactly application/json: discord.py treats "application/json; charset=utf-8" as text.
    response = web.Response(body=json.dumps(data).encode(), status=status, headers=headers or {})
    response.headers["Content-Type"] = "application/json"
    return response


def _invalid(where: str, message: str) -> web.Response:
    return _json(
        {
            "message": "Invalid Form Body",
            "code": 50035,
            "errors": {where: {"_errors": [{"code": "BASE_TYPE_INVALID", "message": message}]}},
        },
        400,
    )


def _public(message: dict[str, Any]) -> dict[str, Any]:
    """The message as Discord would send it: without the fake's private bookkeeping."""
    public = {k: v for k, v in message.items() if not k.startswith("_")}
    if "attachments" in public:
        public["attachments"] = [
            {k: v for k, v in a.items() if not k.startswith("_")} for a in public["attachments"]
        ]
    return public
