"""/forget me: erase everything paperbot keeps about the person asking, after a confirmation."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.follows import FollowService
from bot.ui import follows as follow_replies
from bot.ui.views import Confirm

Interaction = discord.Interaction[Any]


@app_commands.allowed_installs(guilds=True, users=True)
@app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
class PrivacyCog(commands.GroupCog, group_name="forget", group_description="Your data"):
    def __init__(self, follows: FollowService) -> None:
        self._follows = follows
        super().__init__()

    @app_commands.command(name="me", description="Erase all your follows, lists and DM history")
    async def me(self, interaction: Interaction) -> None:
        user_id = interaction.user.id
        held = await self._follows.held(user_id)
        if held.nothing:
            await interaction.response.send_message(
                "paperbot keeps nothing about you: no follows, saved lists or DM history.",
                ephemeral=True,
            )
            return

        async def confirmed() -> str:
            return follow_replies.forgotten(await self._follows.forget(user_id))

        await interaction.response.send_message(
            follow_replies.forget_prompt(held), view=Confirm(user_id, confirmed), ephemeral=True
        )
