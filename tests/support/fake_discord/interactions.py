"""Slash commands, autocomplete and clicks as INTERACTION_CREATE events built from the commands the
bot synced, and every callback, original response and followup the bot answers with (within
Discord's 3-second deadline)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web

from tests.support.fake_discord.wire import (
    BOT_PERMS,
    CALLBACK_DEADLINE,
    EPHEMERAL,
    EVERYONE_PERMS,
    USER_APP_PERMS,
    Channel,
    InteractionRecord,
    Recorded,
    Unavailable,
    _flat,
    _invalid,
    _json,
    _public,
    _Refusal,
    snowflake,
)


class Interactions:
    """A part of `FakeDiscord` (its state lives in `FakeDiscord.__init__`)."""

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

    async def choose(
        self, user: str, message: dict[str, Any], custom_id: str, values: list[str]
    ) -> InteractionRecord:
        """Pick `values` in the select `custom_id` on `message`, as `user`."""
        items = [c for row in message.get("components", []) for c in row.get("components", [])]
        (select,) = [c for c in items if c.get("custom_id") == custom_id and c["type"] == 3]
        offered = {o["value"] for o in select["options"]}
        if not set(values) <= offered:
            raise KeyError(f"{values!r} are not all options of {custom_id!r}")
        written = self._message_times.get(message["id"], 0.0)
        settle = written + self.click_settle - time.monotonic()
        if settle > 0:
            await asyncio.sleep(settle)
        data = {"custom_id": custom_id, "component_type": 3, "values": values}
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
