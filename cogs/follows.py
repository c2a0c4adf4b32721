"""/follow add | list | remove | pause | resume | test: a person's own topics, by DM.

Usable in a server, in the bot's DM and, installed on the user, anywhere; every answer is
private. After any command, a person whose DMs Discord refused is told so, once.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import reply_ephemeral
from bot.core.feedback import FeedbackService, Voter
from bot.core.follows import FollowService
from bot.core.models import DM_GUILD, TopicOptions
from bot.ui import follows as follow_replies
from bot.ui.views import VoteControls
from cogs.common import answer_test, list_choices, open_dm, parse_topic_id

Interaction = discord.Interaction[Any]


@app_commands.allowed_installs(guilds=True, users=True)
@app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
class FollowsCog(
    commands.GroupCog, group_name="follow", group_description="Topics sent to you by DM"
):
    def __init__(
        self, follows: FollowService, feedback: FeedbackService, votes: VoteControls
    ) -> None:
        self._follows = follows
        self._feedback = feedback
        self._votes = votes
        super().__init__()

    @app_commands.command(name="add", description="Get new papers matching a query by DM")
    @app_commands.describe(
        query='Words, "phrases", OR, -exclusions, title:/abstract:/author:/keyword:',
        digest_hour="Collect papers into one daily DM at this hour (UTC, 0-23)",
        min_upvotes="Send a paper only once it has this many upvotes",
        like="One of your saved lists: its papers are the follow's first 👍 (alone: by example)",
    )
    async def add(
        self,
        interaction: Interaction,
        query: app_commands.Range[str, 1, 300] | None = None,
        digest_hour: app_commands.Range[int, 0, 23] | None = None,
        min_upvotes: app_commands.Range[int, 0, 100000] = 0,
        like: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        examples = await self._feedback.examples_from(interaction.user.id, like) if like else None
        dm = await open_dm(interaction)
        added = await self._follows.add(
            user_id=interaction.user.id,
            dm_channel_id=dm,
            text=query,
            options=TopicOptions(min_upvotes=min_upvotes, digest_hour=digest_hour),
            like=examples,
        )
        await interaction.followup.send(embed=follow_replies.follow_added(added), ephemeral=True)

    @app_commands.command(name="list", description="Your follows")
    async def list_follows(self, interaction: Interaction) -> None:
        follows, person = await self._follows.follows(interaction.user.id)
        await interaction.response.send_message(
            embed=follow_replies.follow_list(follows, person), ephemeral=True
        )

    @app_commands.command(name="remove", description="Stop following a topic")
    @app_commands.describe(follow="The follow to remove")
    async def remove(self, interaction: Interaction, follow: str) -> None:
        removed = await self._follows.remove(interaction.user.id, parse_topic_id(follow))
        await interaction.response.send_message(
            follow_replies.follow_removed(removed), ephemeral=True
        )

    @app_commands.command(name="pause", description="Pause all your follows")
    async def pause(self, interaction: Interaction) -> None:
        await self._follows.pause(interaction.user.id)
        await interaction.response.send_message(follow_replies.follows_paused(), ephemeral=True)

    @app_commands.command(name="resume", description="Resume your follows")
    async def resume(self, interaction: Interaction) -> None:
        await self._follows.resume(interaction.user.id)
        await interaction.response.send_message(follow_replies.follows_resumed(), ephemeral=True)

    @app_commands.command(
        name="test", description="Try a query on recent papers, or ask why a paper was not sent"
    )
    @app_commands.describe(
        query="The query to try",
        paper="A paper id or link: does the query (or each of your follows) match it, and why?",
    )
    async def test(
        self,
        interaction: Interaction,
        query: app_commands.Range[str, 1, 300] | None = None,
        paper: app_commands.Range[str, 1, 200] | None = None,
    ) -> None:
        await answer_test(
            interaction,
            query,
            paper,
            self._follows.test,
            lambda: self._follows.why(interaction.user.id, paper or "", query),
            self._votes.teaching,
        )

    @app_commands.command(
        name="teach", description="Teach a follow a paper it should have sent, or never should"
    )
    @app_commands.describe(
        follow="The follow to teach",
        paper="A paper id or link",
        relevant="True: send papers like this; false: never papers like this",
    )
    async def teach(
        self,
        interaction: Interaction,
        follow: str,
        paper: app_commands.Range[str, 1, 200],
        relevant: bool,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        text = await self._feedback.teach(
            guild_id=DM_GUILD,
            topic_id=parse_topic_id(follow),
            paper=paper,
            relevant=relevant,
            voter=Voter(interaction.user.id, lambda _channel: False),
        )
        await interaction.followup.send(text, ephemeral=True)

    @add.autocomplete("like")
    async def like_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return list_choices(await self._feedback.list_names(interaction.user.id), current)

    @remove.autocomplete("follow")
    @teach.autocomplete("follow")
    async def follow_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        found = await self._follows.choices(interaction.user.id, current)
        return [
            app_commands.Choice(name=f"#{t.id}: {t.query}"[:100], value=str(t.id)) for t in found
        ]

    @commands.Cog.listener()
    async def on_app_command_completion(
        self, interaction: Interaction, command: app_commands.Command[Any, ..., Any]
    ) -> None:
        """Whatever the command, a person whose DMs were refused hears it once, privately."""
        reason = await self._follows.untold_refusal(interaction.user.id)
        if reason is not None:
            await reply_ephemeral(interaction, follow_replies.refused_notice(reason))
