"""/foryou: recent papers ranked by what you saved, privately, pages of 5 with Save buttons."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import render_library
from bot.core.foryou import DEFAULT_DAYS, MAX_DAYS, ForYouService
from bot.views import Pager, SaveFactory

Interaction = discord.Interaction[Any]


class ForYouCog(commands.Cog):
    def __init__(self, foryou: ForYouService, save: SaveFactory) -> None:
        self._foryou = foryou
        self._save = save
        super().__init__()

    @app_commands.command(name="foryou", description="Recent papers like the ones you saved")
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    @app_commands.rename(list_name="list")
    @app_commands.describe(
        list_name="Learn from one of your lists (default: all of them)",
        days=f"How far back to look, in days (default {DEFAULT_DAYS}, at most {MAX_DAYS})",
    )
    async def foryou(
        self,
        interaction: Interaction,
        list_name: app_commands.Range[str, 1, 50] | None = None,
        days: app_commands.Range[int, 1, MAX_DAYS] = DEFAULT_DAYS,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        found = await self._foryou.rank(interaction.user.id, list_name, days)
        pages = render_library.page_count(len(found.recommendations))

        async def load(page: int) -> tuple[discord.Embed, Sequence[str], int]:
            shown = found.recommendations[page * 5 : (page + 1) * 5]
            return render_library.foryou_page(found, page), [r.paper.id for r in shown], pages

        pager = Pager(interaction.user.id, load, self._save)
        embed = await pager.first()
        await interaction.followup.send(embed=embed, view=pager, ephemeral=True)
