"""/saved ...: a member's private reading lists. Every answer is ephemeral."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.matching.text import inert
from bot.core.paper_ids import parse_paper_id
from bot.core.saved import SavedService
from bot.core.search import SearchService
from bot.ui import library
from bot.ui.views import Confirm, Pager
from cogs.common import list_choices, paper_choices

Interaction = discord.Interaction[Any]
ListName = app_commands.Range[str, 1, 50]


@app_commands.allowed_installs(guilds=True, users=True)
@app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
class SavedCog(commands.GroupCog, group_name="saved", group_description="Your saved papers"):
    def __init__(self, saved: SavedService, search: SearchService) -> None:
        self._saved = saved
        self._search = search
        super().__init__()

    async def _reply(self, interaction: Interaction, text: str) -> None:
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(name="add", description="Save a paper to one of your lists")
    @app_commands.rename(list_name="list")
    @app_commands.describe(
        paper="arXiv id or link",
        list_name="Which list (default: Reading list)",
        note="A note for yourself",
    )
    async def add(
        self,
        interaction: Interaction,
        paper: str,
        list_name: ListName | None = None,
        note: app_commands.Range[str, 1, 1000] | None = None,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        found = await self._search.show(paper)
        name, added = await self._saved.save(interaction.user.id, found, list_name, note)
        verb = "Saved" if added else "Already saved; note updated" if note else "Already saved"
        await interaction.followup.send(
            f"{verb}: **{inert(found.title)}** in “{inert(name)}”.", ephemeral=True
        )

    @app_commands.command(name="remove", description="Remove a paper from one of your lists")
    @app_commands.rename(list_name="list")
    async def remove(
        self, interaction: Interaction, paper: str, list_name: ListName | None = None
    ) -> None:
        name = await self._saved.remove(interaction.user.id, _paper_id(paper), list_name)
        await self._reply(interaction, f"Removed {_paper_id(paper)} from “{inert(name)}”.")

    @app_commands.command(name="list", description="The papers in one of your lists")
    @app_commands.rename(list_name="list")
    async def show_list(
        self,
        interaction: Interaction,
        list_name: ListName | None = None,
        status: Literal["unread", "read", "all"] = "all",
    ) -> None:
        user_id = interaction.user.id
        wanted = None if status == "all" else status
        first = await self._saved.page(user_id, list_name, wanted, 0)

        async def load(page: int) -> tuple[discord.Embed, Sequence[str], int]:
            current = await self._saved.page(user_id, first.list_name, wanted, page)
            return library.saved_page(current, status), [], current.pages

        pager = Pager(user_id, load, None)
        embed = await pager.first()
        await interaction.response.send_message(embed=embed, view=pager, ephemeral=True)

    @app_commands.command(name="lists", description="Your lists and how many papers each holds")
    async def lists(self, interaction: Interaction) -> None:
        found = await self._saved.lists(interaction.user.id)
        await interaction.response.send_message(embed=library.saved_lists(found), ephemeral=True)

    @app_commands.command(name="mark", description="Mark a saved paper read or unread")
    @app_commands.rename(list_name="list")
    async def mark(
        self,
        interaction: Interaction,
        paper: str,
        status: Literal["read", "unread"],
        list_name: ListName | None = None,
    ) -> None:
        count = await self._saved.mark(interaction.user.id, _paper_id(paper), status, list_name)
        await self._reply(
            interaction,
            f"Marked {_paper_id(paper)} {status} in {count} list{'s' if count != 1 else ''}.",
        )

    @app_commands.command(name="note", description="Write a note on a saved paper")
    @app_commands.rename(list_name="list")
    async def note(
        self,
        interaction: Interaction,
        paper: str,
        text: app_commands.Range[str, 1, 1000],
        list_name: ListName | None = None,
    ) -> None:
        await self._saved.note(interaction.user.id, _paper_id(paper), text, list_name)
        await self._reply(interaction, f"Noted on {_paper_id(paper)}.")

    @app_commands.command(name="rename", description="Rename one of your lists")
    @app_commands.rename(list_name="list")
    async def rename(
        self, interaction: Interaction, list_name: ListName, new_name: ListName
    ) -> None:
        old, new = await self._saved.rename(interaction.user.id, list_name, new_name)
        await self._reply(interaction, f"Renamed “{inert(old)}” to “{inert(new)}”.")

    @app_commands.command(name="delete", description="Delete one of your lists (asks first)")
    @app_commands.rename(list_name="list")
    async def delete(self, interaction: Interaction, list_name: ListName) -> None:
        user_id = interaction.user.id
        name = await self._saved.check_exists(user_id, list_name)

        async def confirmed() -> str:
            count = await self._saved.delete(user_id, name)
            return f"Deleted “{inert(name)}” and its {count} paper{'s' if count != 1 else ''}."

        await interaction.response.send_message(
            f"Delete your list “{inert(name)}” and everything in it? This cannot be undone.",
            view=Confirm(user_id, confirmed),
            ephemeral=True,
        )

    @app_commands.command(name="export", description="Download a list for your reference manager")
    @app_commands.rename(list_name="list")
    async def export(
        self,
        interaction: Interaction,
        format: Literal["bibtex", "markdown", "csv", "json"],
        list_name: ListName | None = None,
    ) -> None:
        filename, data, count = await self._saved.export(interaction.user.id, list_name, format)
        await interaction.response.send_message(
            f"{count} paper{'s' if count != 1 else ''}, as {format}.",
            file=discord.File(io.BytesIO(data), filename=filename),
            ephemeral=True,
        )

    @add.autocomplete("paper")
    @remove.autocomplete("paper")
    @mark.autocomplete("paper")
    @note.autocomplete("paper")
    async def paper_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await paper_choices(self._search, current)

    @add.autocomplete("list_name")
    @remove.autocomplete("list_name")
    @show_list.autocomplete("list_name")
    @mark.autocomplete("list_name")
    @note.autocomplete("list_name")
    @rename.autocomplete("list_name")
    @delete.autocomplete("list_name")
    @export.autocomplete("list_name")
    async def list_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return list_choices(await self._saved.list_names(interaction.user.id), current)


def _paper_id(text: str) -> str:
    return parse_paper_id(text)
