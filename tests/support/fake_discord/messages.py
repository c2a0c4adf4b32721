"""Channels' messages: posts (with their nonces, limits and pings), threads, forum posts and their
tags, DMs."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.support.fake_discord.wire import (
    _ROLE_MENTION,
    CREATE_PUBLIC_THREADS,
    MANAGE_CHANNELS,
    MENTION_EVERYONE,
    NONCE_WINDOW,
    READ_HISTORY,
    SEND_MESSAGES,
    Channel,
    InteractionRecord,
    Recorded,
    _invalid,
    _json,
    _public,
    _Refusal,
    snowflake,
)


class Messages:
    """A part of `FakeDiscord` (its state lives in `FakeDiscord.__init__`)."""

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
