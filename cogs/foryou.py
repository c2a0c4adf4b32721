"""/foryou: recent papers ranked by what you saved, privately, pages of 5 with Save buttons."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.errors import UserError
from bot.core.foryou import DEFAULT_DAYS, DIGEST_SIZE, MAX_DAYS, ForYouService
from bot.ui import library
from bot.ui.format import page_of
from bot.ui.views import Pager, SaveFactory
from cogs.common import open_dm

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
        digest="Also get your top 10 by DM, daily or weekly (or stop it)",
        hour="The digest's hour (UTC, 0-23)",
    )
    async def foryou(
        self,
        interaction: Interaction,
        list_name: app_commands.Range[str, 1, 50] | None = None,
        days: app_commands.Range[int, 1, MAX_DAYS] = DEFAULT_DAYS,
        digest: Literal["daily", "weekly", "off"] | None = None,
        hour: app_commands.Range[int, 0, 23] | None = None,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        user_id = interaction.user.id
        if digest is None and hour is not None:
            raise UserError("`hour` goes with `digest: daily` or `digest: weekly`.")
        note = ""
        if digest == "off":
            await self._foryou.stop_digest(user_id)
            await interaction.followup.send("Stopped your /foryou digest.", ephemeral=True)
            return
        elif digest is not None:
            if hour is None:
                raise UserError("Say at which `hour` (UTC, 0-23) the digest should come.")
            dm = await open_dm(interaction)
            first = await self._foryou.set_digest(
                user_id, dm, hour=hour, weekly=digest == "weekly", list_raw=list_name
            )
            note = (
                f"Your top {DIGEST_SIZE} will come by DM {digest} at {hour:02d}:00 UTC, the "
                f"first <t:{int(first.timestamp())}:R>. Stop it with `/foryou digest: off`."
            )
        found = await self._foryou.rank(user_id, list_name, days)
        pages = library.page_count(len(found.recommendations))

        async def load(page: int) -> tuple[discord.Embed, Sequence[str], int]:
            shown = page_of(found.recommendations, page)
            return library.foryou_page(found, page), [r.paper.id for r in shown], pages

        pager = Pager(interaction.user.id, load, self._save)
        embed = await pager.first()
        await interaction.followup.send(content=note, embed=embed, view=pager, ephemeral=True)
