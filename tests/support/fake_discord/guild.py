"""The guild the fake keeps: roles, members, channels, forums, DMs and permissions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tests.support.fake_discord.wire import (
    ADMINISTRATOR,
    ALL_PERMISSIONS,
    BOT_PERMS,
    EVERYONE_PERMS,
    MANAGE_CHANNELS,
    MANAGE_MESSAGES,
    VIEW_CHANNEL,
    Channel,
    snowflake,
    user_payload,
)


class GuildState:
    """A part of `FakeDiscord` (its state lives in `FakeDiscord.__init__`)."""

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
