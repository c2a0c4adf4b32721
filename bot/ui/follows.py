"""Replies of the /follow commands, and the notice of refused DMs. No I/O."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.core.models import Topic
from bot.core.store.follows import Held, Person
from bot.core.topics import AddedTopic
from bot.ui.format import BRAND_COLOUR, cut
from bot.ui.topics import code, options_text, topic_added

HOW_TO_FIX = (
    "To get them again: allow direct messages from paperbot (in a server you share with it: "
    "the server's name > Privacy Settings > Direct Messages; or install paperbot to your "
    "account), then run `/follow resume`."
)


def follow_added(added: AddedTopic) -> discord.Embed:
    embed = topic_added(added, title="Following #{id}")
    embed.set_footer(text="New matching papers will reach you by DM, each paper once.")
    return embed


def follow_list(follows: Sequence[Topic], person: Person | None) -> discord.Embed:
    embed = discord.Embed(title="Your follows", colour=BRAND_COLOUR)
    lines = [
        f"**#{t.id}** {code(cut(t.query, 120))} · {options_text(t)} · {t.posted_count} sent"
        for t in follows
    ]
    if not follows:
        lines.append("None yet. Follow a topic with `/follow add`.")
    if person is not None and person.paused_reason:
        lines.insert(0, f"**Paused**: {person.paused_reason}. Resume with `/follow resume`.\n")
    embed.description = cut("\n".join(lines), 4000)
    return embed


def follow_removed(topic: Topic) -> str:
    return f"Stopped following #{topic.id} {code(topic.query)}."


def follows_paused() -> str:
    return (
        "Paused all your follows (and your /foryou digest): nothing is sent or saved up until "
        "`/follow resume`. Your follows stay as they are."
    )


def follows_resumed() -> str:
    return "Resumed your follows: new matching papers will reach you by DM again."


def refused_notice(reason: str) -> str:
    return (
        f"**paperbot could not DM you.** {reason.rstrip('.')}, so your follows and your /foryou "
        f"digest are paused. {HOW_TO_FIX}"
    )


def _held_text(held: Held) -> str:
    def n(count: int, what: str) -> str:
        return f"{count} {what}{'s' if count != 1 else ''}"

    digest = ", your /foryou digest" if held.digest else ""
    if held.votes:
        digest += f", {n(held.votes, 'vote')} on topics (and what they taught)"
    return (
        f"{n(held.follows, 'follow')}, {n(held.lists, 'saved list')} "
        f"({n(held.saved, 'paper')}){digest} and the record of {n(held.sent, 'paper')} sent to "
        "you by DM"
    )


def forget_prompt(held: Held) -> str:
    return (
        f"Erase everything paperbot keeps about you: {_held_text(held)}? "
        "This cannot be undone. (Topics you set up for a server's channels belong to those "
        "channels and stay.)"
    )


def forgotten(held: Held) -> str:
    return f"Erased {_held_text(held)}. paperbot keeps nothing about you now."
