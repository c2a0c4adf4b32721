"""What several cogs share: reading a topic option, opening a person's DM, the paper
autocomplete, and the one answer of /topic test and /follow test."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import app_commands

from bot.core.errors import UserError
from bot.core.matching.why import Verdict
from bot.core.search import SearchService
from bot.core.topics import TopicTest
from bot.ui import follows as follow_replies
from bot.ui import topics as topic_replies

Interaction = discord.Interaction[Any]


def parse_topic_id(value: str) -> int:
    digits = value.strip().lstrip("#")
    if not digits.isdigit() or not digits.isascii():
        raise UserError("Pick a topic from the list (or type its number).")
    return int(digits)


async def open_dm(interaction: Interaction) -> int:
    """The id of the DM channel between the person and paperbot (Discord keeps one)."""
    try:
        dm = await interaction.user.create_dm()
    except discord.HTTPException as exc:
        raise UserError(
            f"Discord would not open a DM between you and paperbot ({exc.status}). "
            + follow_replies.HOW_TO_FIX
        ) from exc
    return dm.id


async def paper_choices(search: SearchService, current: str) -> list[app_commands.Choice[str]]:
    found = await search.complete(current)
    return [
        app_commands.Choice(name=f"{title[:85]} ({paper_id})"[:100], value=paper_id)
        for paper_id, title in found
    ]


def list_choices(names: list[str], current: str) -> list[app_commands.Choice[str]]:
    """A person's saved lists for autocomplete, filtered by what was typed."""
    wanted = current.lower()
    return [app_commands.Choice(name=n, value=n) for n in names if wanted in n.lower()][:25]


async def answer_test(
    interaction: Interaction,
    query: str | None,
    paper: str | None,
    test: Callable[[str], Awaitable[TopicTest]],
    why: Callable[[], Awaitable[list[Verdict]]],
    teaching: Callable[[list[Verdict]], discord.ui.View | None] = lambda _verdicts: None,
) -> None:
    """/topic test and /follow test: a query tried on recent papers, or a paper explained."""
    if query is None and paper is None:
        raise UserError("Give a `query` to try, a `paper` to check, or both.")
    await interaction.response.defer(ephemeral=True, thinking=True)
    if paper is None:
        assert query is not None
        result = await test(query)
        await interaction.followup.send(embed=topic_replies.topic_test(result), ephemeral=True)
        return
    verdicts = await why()
    embed = topic_replies.verdicts(verdicts)
    view = teaching(verdicts)
    if view is None:
        await interaction.followup.send(embed=embed, ephemeral=True)
    else:
        await interaction.followup.send(embed=embed, view=view, ephemeral=True)
