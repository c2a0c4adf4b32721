"""/papers search | show | trending, with autocomplete on every paper option."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.search import SearchService
from bot.ui import cards, library
from bot.ui.format import page_of
from bot.ui.views import Pager, SaveFactory
from cogs.common import paper_choices

Interaction = discord.Interaction[Any]


@app_commands.allowed_installs(guilds=True, users=True)
@app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
class PapersCog(commands.GroupCog, group_name="papers", group_description="Find papers"):
    def __init__(self, search: SearchService, save: SaveFactory) -> None:
        self._search = search
        self._save = save
        super().__init__()

    @app_commands.command(name="search", description="Search every stored paper")
    @app_commands.describe(
        query='Words, "phrases", OR, -exclusions, title:/abstract:/author:/keyword:',
        sort="Order of the results",
        public="Show the results to the channel (default: only you)",
    )
    async def search(
        self,
        interaction: Interaction,
        query: app_commands.Range[str, 1, 300],
        sort: Literal["relevance", "upvotes", "newest"] = "relevance",
        public: bool = False,
    ) -> None:
        await interaction.response.defer(ephemeral=not public, thinking=True)
        result = await self._search.search(query, sort)
        if not result.papers:
            await interaction.followup.send(library.no_results(result), ephemeral=True)
            return
        pages = library.page_count(len(result.papers))

        async def load(page: int) -> tuple[discord.Embed, Sequence[str], int]:
            shown = page_of(result.papers, page)
            return library.search_page(result, page), [p.id for p in shown], pages

        pager = Pager(
            interaction.user.id,
            load,
            self._save,
            refusal="Only the person who searched can turn these pages.",
        )
        embed = await pager.first()
        await interaction.followup.send(embed=embed, view=pager, ephemeral=not public)

    @app_commands.command(name="show", description="One paper's full card")
    @app_commands.describe(
        paper="arXiv id, or a Hugging Face or arXiv link", public="Show it to the channel"
    )
    async def show(self, interaction: Interaction, paper: str, public: bool = False) -> None:
        await interaction.response.defer(ephemeral=not public, thinking=True)
        found = await self._search.show(paper)
        view = discord.ui.View(timeout=None)
        view.add_item(self._save(found.id, "Save"))
        await interaction.followup.send(
            embed=cards.paper_embed(found),
            view=cards.paper_links(found, view),
            ephemeral=not public,
        )

    @app_commands.command(name="trending", description="The most upvoted stored papers")
    @app_commands.describe(period="today, this week or this month")
    async def trending(
        self, interaction: Interaction, period: Literal["today", "week", "month"] = "today"
    ) -> None:
        papers = await self._search.trending(period)
        pages = library.page_count(len(papers))

        async def load(page: int) -> tuple[discord.Embed, Sequence[str], int]:
            shown = page_of(papers, page)
            return library.trending_page(papers, period, page), [p.id for p in shown], pages

        pager = Pager(interaction.user.id, load, self._save)
        embed = await pager.first()
        await interaction.response.send_message(embed=embed, view=pager, ephemeral=True)

    @show.autocomplete("paper")
    async def paper_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await paper_choices(self._search, current)
