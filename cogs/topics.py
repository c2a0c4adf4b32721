"""/topic add | list | remove | resume | test: a channel's subscriptions, for its admins."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.errors import UserError
from bot.core.feedback import FeedbackService, Voter
from bot.core.models import TopicChanges, TopicOptions
from bot.core.topics import TopicService
from bot.ui import topics as topic_replies
from bot.ui.views import VoteControls
from cogs.common import answer_test, list_choices, parse_topic_id

Interaction = discord.Interaction[Any]


def _may_manage(interaction: Interaction) -> Callable[[int], bool]:
    """Whether the person has Manage Channels in a given channel of this server (its
    overwrites included), from the cached guild: the topic's channel decides, not this one."""
    member, guild = interaction.user, interaction.guild

    def check(channel_id: int) -> bool:
        if guild is None or not isinstance(member, discord.Member):
            return False
        channel = guild.get_channel(channel_id)
        if channel is None:  # deleted: the server-wide permission decides
            return member.guild_permissions.manage_channels
        return channel.permissions_for(member).manage_channels

    return check


def _pingable(interaction: Interaction, role: discord.Role | None) -> int | None:
    """The role's id, if paperbot can ping it; else a message saying how to make it so."""
    if role is None:
        return None
    if role.is_default():
        raise UserError("paperbot pings a role, never @everyone.")
    if not role.mentionable and not interaction.app_permissions.mention_everyone:
        raise UserError(
            f"paperbot cannot ping @{role.name}: the role is not mentionable. Allow it in Server "
            f'Settings > Roles > {role.name} > "Allow anyone to @mention this role", then '
            "try again."
        )
    return role.id


def _cannot_deliver(interaction: Interaction, channel_id: int, *, thread: bool) -> str | None:
    """What paperbot lacks to deliver a topic's papers in its channel, said when the topic is
    added or changed. The topic is kept: its first paper would pause the channel, and
    `/topic resume` sends what waited once the permissions are fixed."""
    guild = interaction.guild
    channel = guild.get_channel(channel_id) if guild is not None else None
    if channel_id == interaction.channel_id:  # Discord says what paperbot may do here
        perms, where = interaction.app_permissions, "this channel"
    elif channel is not None and guild is not None and guild.me is not None:
        perms, where = channel.permissions_for(guild.me), f"<#{channel_id}>"
    else:
        return None
    forum = isinstance(channel, discord.ForumChannel)
    # In the order Discord implies them: without View Channel nothing else counts, and
    # without Send Messages, Embed Links does not.
    needed = [
        ("View Channel", perms.view_channel),
        ("Create Posts" if forum else "Send Messages", perms.send_messages),
        ("Embed Links", perms.embed_links),
    ]
    if forum:  # to look for a post whose answer was lost before posting it again
        needed.append(("Read Message History", perms.read_message_history))
    lacking = next((name for name, has in needed if not has), None)
    if lacking is not None:
        return (
            f"paperbot lacks {lacking} in {where}: grant it (the channel's or paperbot's role "
            "permissions) before a paper arrives, or posting there pauses until you do and "
            "run `/topic resume`."
        )
    if thread and not forum and not perms.create_public_threads:
        return (
            f"paperbot lacks Create Public Threads in {where}: papers will be posted without "
            "threads until it has it."
        )
    return None


def _where(interaction: Interaction) -> tuple[int, int]:
    if interaction.guild_id is None or interaction.channel_id is None:
        raise app_commands.NoPrivateMessage()
    return interaction.guild_id, interaction.channel_id


@app_commands.guild_only()
class TopicsCog(commands.GroupCog, group_name="topic", group_description="Channel topic feeds"):
    def __init__(
        self, topics: TopicService, feedback: FeedbackService, votes: VoteControls
    ) -> None:
        self._topics = topics
        self._feedback = feedback
        self._votes = votes
        super().__init__()

    @app_commands.command(name="add", description="Post new papers matching a query here")
    @app_commands.describe(
        query='Words, "phrases", OR, -exclusions, title:/abstract:/author:/keyword:',
        min_upvotes="Post a paper only once it has this many upvotes",
        backfill="Also post this many of the newest stored matching papers now (0-10)",
        digest_hour="Collect papers into one daily digest at this hour (UTC, 0-23)",
        mention="Ping this role with each post (a digest pings once)",
        thread="Open a public thread on each posted paper, for discussion",
        channel="The channel the topic is for, a forum included (default: this one)",
        like="One of your saved lists: its papers are the topic's first 👍 (alone: by example)",
    )
    async def add(
        self,
        interaction: Interaction,
        query: app_commands.Range[str, 1, 300] | None = None,
        min_upvotes: app_commands.Range[int, 0, 100000] = 0,
        backfill: app_commands.Range[int, 0, 10] = 0,
        digest_hour: app_commands.Range[int, 0, 23] | None = None,
        mention: discord.Role | None = None,
        thread: bool = False,
        channel: discord.TextChannel | discord.ForumChannel | None = None,
        like: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        guild_id, here = _where(interaction)
        channel_id = channel.id if channel is not None else here
        # Manage Channels where the topic will post, which may not be where this was typed.
        if not _may_manage(interaction)(channel_id):
            if channel is None:
                raise app_commands.MissingPermissions(["manage_channels"])
            raise UserError(
                f"You need the Manage Channels permission in <#{channel_id}> to add topics there."
            )
        role_id = _pingable(interaction, mention)
        forum = isinstance(channel, discord.ForumChannel)
        warning = _cannot_deliver(interaction, channel_id, thread=thread)
        await interaction.response.defer(ephemeral=True, thinking=True)
        examples = await self._feedback.examples_from(interaction.user.id, like) if like else None
        added = await self._topics.add(
            guild_id=guild_id,
            channel_id=channel_id,
            user_id=interaction.user.id,
            text=query,
            options=TopicOptions(
                min_upvotes=min_upvotes,
                digest_hour=digest_hour,
                mention_role_id=role_id,
                thread=thread and not forum,  # a forum post is a thread already
                forum=forum,
            ),
            backfill=backfill,
            like=examples,
        )
        embed = topic_replies.topic_added(added, here=channel_id == here, warning=warning)
        await interaction.followup.send(embed=embed, ephemeral=True)

    @app_commands.command(name="list", description="The topics of this channel or server")
    @app_commands.describe(
        everywhere="List every channel's topics in this server",
        channel="List another channel's topics (a forum, say)",
    )
    async def list_topics(
        self,
        interaction: Interaction,
        everywhere: bool = False,
        channel: discord.TextChannel | discord.ForumChannel | None = None,
    ) -> None:
        guild_id, here = _where(interaction)
        channel_id = channel.id if channel is not None else here
        found = await self._topics.topics_of(guild_id, None if everywhere else channel_id)
        counts = await self._feedback.counts(found)
        embed = topic_replies.topic_list(found, everywhere=everywhere, feedback=counts)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="remove", description="Stop following a topic")
    @app_commands.describe(
        topic="The topic to remove",
        channel="The channel it is for, a forum included (narrows the list to its topics)",
    )
    async def remove(
        self,
        interaction: Interaction,
        topic: str,
        channel: discord.TextChannel | discord.ForumChannel | None = None,
    ) -> None:
        guild_id, _channel = _where(interaction)
        removed = await self._topics.remove(
            guild_id,
            parse_topic_id(topic),
            _may_manage(interaction),
            channel_id=channel.id if channel is not None else None,
        )
        await interaction.response.send_message(
            topic_replies.topic_removed(removed), ephemeral=True
        )

    @app_commands.command(name="edit", description="Change a topic in place, keeping its history")
    @app_commands.describe(
        topic="The topic to change",
        query="Its new query",
        min_upvotes="Post a paper only once it has this many upvotes",
        digest_hour="Collect its papers into one daily digest at this hour (UTC, 0-23)",
        at_once="Post each paper at once again (no digest)",
        mention="Ping this role with each post",
        no_mention="Stop pinging a role",
        thread="Open a public thread on each posted paper (or stop)",
        learn_from="Whose 👍 / 👎 teach it: people with Manage Channels here, or every member",
    )
    @app_commands.choices(
        learn_from=[app_commands.Choice(name=n, value=n) for n in ("managers", "everyone")]
    )
    async def edit(
        self,
        interaction: Interaction,
        topic: str,
        query: app_commands.Range[str, 1, 300] | None = None,
        min_upvotes: app_commands.Range[int, 0, 100000] | None = None,
        digest_hour: app_commands.Range[int, 0, 23] | None = None,
        at_once: bool = False,
        mention: discord.Role | None = None,
        no_mention: bool = False,
        thread: bool | None = None,
        learn_from: str | None = None,
    ) -> None:
        guild_id, _channel = _where(interaction)
        role_id = _pingable(interaction, mention)
        edited, understood = await self._topics.edit(
            guild_id,
            parse_topic_id(topic),
            _may_manage(interaction),
            TopicChanges(
                query=query,
                min_upvotes=min_upvotes,
                digest_hour=digest_hour,
                at_once=at_once,
                mention_role_id=role_id,
                no_mention=no_mention,
                thread=thread,
                learn_from=learn_from,
            ),
        )
        warning = _cannot_deliver(interaction, edited.channel_id, thread=edited.thread)
        embed = topic_replies.topic_edited(
            edited, understood, query_changed=query is not None, warning=warning
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="resume", description="Resume a topic paused after an error")
    @app_commands.describe(topic="The paused topic")
    async def resume(self, interaction: Interaction, topic: str) -> None:
        guild_id, _channel = _where(interaction)
        resumed = await self._topics.resume(
            guild_id, parse_topic_id(topic), _may_manage(interaction)
        )
        await interaction.response.send_message(
            topic_replies.topic_resumed(resumed), ephemeral=True
        )

    @app_commands.command(
        name="test", description="Try a query on recent papers, or ask why a paper was not posted"
    )
    @app_commands.describe(
        query="The query to try",
        paper="A paper id or link: does the query (or each topic here) match it, and why not?",
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
            self._topics.test,
            lambda: self._topics.why(
                guild_id=interaction.guild_id,
                channel_id=interaction.channel_id,
                paper=paper or "",
                query=query,
            ),
            self._votes.teaching,
        )

    @app_commands.command(
        name="teach", description="Teach a topic a paper it should have posted, or never should"
    )
    @app_commands.describe(
        topic="The topic to teach",
        paper="A paper id or link",
        relevant="True: post papers like this; false: never papers like this",
    )
    async def teach(
        self,
        interaction: Interaction,
        topic: str,
        paper: app_commands.Range[str, 1, 200],
        relevant: bool,
    ) -> None:
        guild_id, _channel = _where(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        text = await self._feedback.teach(
            guild_id=guild_id,
            topic_id=parse_topic_id(topic),
            paper=paper,
            relevant=relevant,
            voter=Voter(interaction.user.id, _may_manage(interaction)),
        )
        await interaction.followup.send(text, ephemeral=True)

    @app_commands.command(name="feedback", description="What a topic learned from, and removing it")
    @app_commands.describe(
        topic="The topic",
        remove="A paper id or link: remove its votes (yours, or all of them for an admin)",
        reset="Forget everything this topic learned",
    )
    async def feedback(
        self,
        interaction: Interaction,
        topic: str,
        remove: app_commands.Range[str, 1, 200] | None = None,
        reset: bool = False,
    ) -> None:
        guild_id, _channel = _where(interaction)
        voter = Voter(interaction.user.id, _may_manage(interaction))
        topic_id = parse_topic_id(topic)
        if reset:
            text = await self._feedback.reset(guild_id, topic_id, voter)
        elif remove is not None:
            text = await self._feedback.remove(guild_id, topic_id, remove, voter)
        else:
            found, entries = await self._feedback.entries(guild_id, topic_id)
            embed = topic_replies.feedback_list(found, entries)
            await interaction.response.send_message(embed=embed, ephemeral=True)
            return
        await interaction.response.send_message(text, ephemeral=True)

    @add.autocomplete("like")
    async def like_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return list_choices(await self._feedback.list_names(interaction.user.id), current)

    @remove.autocomplete("topic")
    @teach.autocomplete("topic")
    @feedback.autocomplete("topic")
    @edit.autocomplete("topic")
    @resume.autocomplete("topic")
    async def topic_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None or interaction.channel_id is None:
            return []
        # A `channel` option already given (on /topic remove) narrows the list to its topics.
        chosen = getattr(interaction.namespace, "channel", None)
        found = await self._topics.topic_choices(
            interaction.guild_id,
            interaction.channel_id,
            current,
            only_channel=chosen.id if chosen is not None else None,
        )
        choices = []
        for topic in found:
            channel = interaction.guild.get_channel(topic.channel_id) if interaction.guild else None
            where = f"#{channel.name}" if channel else "another channel"
            paused = " (paused)" if topic.paused_reason else ""
            name = f"#{topic.id} {where}: {topic.query}{paused}"
            choices.append(app_commands.Choice(name=name[:100], value=str(topic.id)))
        return choices
