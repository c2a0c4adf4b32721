"""`/paperbot status`: how the bot is doing, for anyone, privately. `/paperbot log`: where it
reports changes of state, for a server's admins."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.delivery.admin_log import Post
from bot.core.errors import UserError
from bot.core.status import StatusSource
from bot.core.store.guild_settings import GuildSettingsStore
from bot.ui.status import status_embed

FIRST_LINE = (
    "paperbot will report here, once per change: a channel paused and why, posting resumed, "
    "deliveries given up, Hugging Face unreachable for over an hour and back, its store not "
    "writable. (Set by {who} with `/paperbot log`.)"
)


class StatusCog(commands.GroupCog, group_name="paperbot", group_description="About paperbot"):
    def __init__(
        self,
        status: StatusSource,
        log_settings: GuildSettingsStore | None = None,
        post: Post | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._status = status
        self._log_settings = log_settings
        self._post = post
        self._clock = clock
        super().__init__()

    @app_commands.command(name="status", description="Version, uptime, polls and papers stored")
    async def status(self, interaction: discord.Interaction[Any]) -> None:
        # Counting a large outbox can take a moment: answer Discord's deadline first.
        await interaction.response.defer(ephemeral=True, thinking=True)
        status = await self._status.status(datetime.now(UTC), interaction.guild_id)
        await interaction.followup.send(embed=status_embed(status), ephemeral=True)

    @app_commands.command(name="log", description="Where paperbot reports problems (Manage Server)")
    @app_commands.describe(channel="The channel for paperbot's reports; leave it out to stop them")
    async def log(
        self, interaction: discord.Interaction[Any], channel: discord.TextChannel | None = None
    ) -> None:
        guild_id = interaction.guild_id
        if guild_id is None or interaction.guild is None:
            raise app_commands.NoPrivateMessage()
        if not interaction.permissions.manage_guild:
            raise UserError("You need the Manage Server permission to choose paperbot's log.")
        assert self._log_settings is not None
        assert self._post is not None
        if channel is None:
            await self._log_settings.set_log_channel(guild_id, None, self._clock())
            await interaction.response.send_message(
                "paperbot no longer reports to a log channel here.", ephemeral=True
            )
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            await self._post(channel.id, FIRST_LINE.format(who=interaction.user.mention))
        except discord.HTTPException as exc:
            raise UserError(
                f"paperbot cannot post in {channel.mention} ({exc.status}): give it View Channel "
                "and Send Messages there, then try again."
            ) from exc
        await self._log_settings.set_log_channel(guild_id, channel.id, self._clock())
        await interaction.followup.send(
            f"paperbot will report to {channel.mention}, once per change of state.",
            ephemeral=True,
        )
