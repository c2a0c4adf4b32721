"""`/paperbot status`: how the bot is doing, for anyone, privately. `/paperbot log`: where it
reports changes of state, for a server's admins."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.clock import Clock, utc_now
from bot.core.delivery.admin_log import AdminLog
from bot.core.errors import UserError
from bot.core.status import StatusSource
from bot.ui.status import status_embed


class StatusCog(commands.GroupCog, group_name="paperbot", group_description="About paperbot"):
    def __init__(self, status: StatusSource, admin_log: AdminLog, clock: Clock = utc_now) -> None:
        self._status = status
        self._admin_log = admin_log
        self._clock = clock
        super().__init__()

    @app_commands.command(name="status", description="Version, uptime, polls and papers stored")
    async def status(self, interaction: discord.Interaction[Any]) -> None:
        # Counting a large outbox can take a moment: answer Discord's deadline first.
        await interaction.response.defer(ephemeral=True, thinking=True)
        status = await self._status.status(self._clock(), interaction.guild_id)
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
        if channel is None:
            await self._admin_log.choose(guild_id, None, interaction.user.id, self._clock())
            await interaction.response.send_message(
                "paperbot no longer reports to a log channel here.", ephemeral=True
            )
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self._admin_log.choose(guild_id, channel.id, interaction.user.id, self._clock())
        await interaction.followup.send(
            f"paperbot will report to {channel.mention}, once per change of state.",
            ephemeral=True,
        )
