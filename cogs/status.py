"""`/paperbot status`: how the bot is doing, for anyone, privately."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.core.status import StatusSource


class StatusCog(commands.GroupCog, group_name="paperbot", group_description="About paperbot"):
    def __init__(self, status: StatusSource) -> None:
        self._status = status
        super().__init__()

    @app_commands.command(name="status", description="Version, uptime, polls and papers stored")
    async def status(self, interaction: discord.Interaction[Any]) -> None:
        # Counting a large outbox can take a moment: answer Discord's deadline first.
        await interaction.response.defer(ephemeral=True, thinking=True)
        status = await self._status.status(datetime.now(UTC), interaction.guild_id)
        await interaction.followup.send(embed=render.status_embed(status), ephemeral=True)
