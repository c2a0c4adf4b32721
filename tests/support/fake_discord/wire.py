"""Discord's wire as the fake speaks it: permission bits, limits, the records it keeps, and
the small helpers of its answers. See ../shared/discord-wire-notes.md for the facts."""

from __future__ import annotations

import itertools
import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

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
