"""Replies of the /topic commands. No I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import discord

from bot.core.matching.explain import match_count
from bot.core.matching.query import Query
from bot.core.matching.why import Verdict
from bot.core.models import Topic
from bot.core.paper_ids import hf_url
from bot.core.store.feedback import FeedbackEntry
from bot.core.topics import AddedTopic, TopicTest
from bot.ui.format import BRAND_COLOUR, FIELD_LIMIT, cut, escape

LIST_LIMIT = 25
EMBED_LIMIT = 6000


def options_text(topic: Topic) -> str:
    parts = []
    if topic.min_upvotes:
        parts.append(f"≥ {topic.min_upvotes} upvotes")
    if topic.digest_hour is not None:
        parts.append(f"daily digest at {topic.digest_hour:02d}:00 UTC")
    if topic.mention_role_id is not None:
        parts.append(f"pings <@&{topic.mention_role_id}>")
    if topic.thread:
        parts.append("a thread per paper")
    return ", ".join(parts) or "each paper at once"


def state_text(topic: Topic) -> str:
    state = f"**paused**: {topic.paused_reason}" if topic.paused_reason else "active"
    if topic.thread and topic.thread_problem:
        state += f" (no threads: {topic.thread_problem})"
    return state


def code(text: str) -> str:
    return "`" + text.replace("`", "'") + "`"


def topic_added(
    added: AddedTopic,
    *,
    title: str = "Topic #{id} added",
    here: bool = True,
    warning: str | None = None,
) -> discord.Embed:
    """The reply to /topic add (and, titled otherwise, to /follow add). `here` says whether
    the topic posts where the command was typed; `warning`, what paperbot lacks to post."""
    topic = added.topic
    embed = discord.Embed(title=title.format(id=topic.id), colour=BRAND_COLOUR)
    embed.add_field(
        name="Query as understood", value=cut(code(added.query.understood), 1024), inline=False
    )
    embed.add_field(name="Options", value=options_text(topic), inline=False)
    embed.add_field(
        name="Last 7 days",
        value=f"{match_count(added.recent_matches)} among {_papers(added.recent_total, 'stored')}.",
        inline=False,
    )
    _warn(embed, warning)
    note = f"New matching papers will be posted {'here' if here else 'there'}."
    if added.backfilled == 1:
        note = "Posting the newest matching paper now; new ones will follow."
    elif added.backfilled:
        note = f"Posting the {added.backfilled} newest matching papers now; new ones will follow."
    embed.set_footer(text=note)
    return embed


def topic_list(
    topics: Sequence[Topic], *, everywhere: bool, feedback: Mapping[int, int] | None = None
) -> discord.Embed:
    where = "this server" if everywhere else "this channel"
    embed = discord.Embed(title=f"Topics in {where}", colour=BRAND_COLOUR)
    if not topics:
        embed.description = "None yet. Admins add one with `/topic add`."
        return embed
    lines = []
    for topic in topics[: LIST_LIMIT * 4]:
        channel = f"<#{topic.channel_id}> " if everywhere else ""
        lines.append(
            f"**#{topic.id}** {channel}{code(cut(topic.query, 120))} · {options_text(topic)} · "
            f"{state_text(topic)} · {topic.posted_count} posted"
            + _learned(topic, (feedback or {}).get(topic.id, 0))
        )
    if len(topics) > LIST_LIMIT * 4:
        lines.append(f"…and {len(topics) - LIST_LIMIT * 4} more.")
    embed.description = cut("\n".join(lines), 4000)
    return embed


def _learned(topic: Topic, votes: int) -> str:
    teachers = "" if topic.learn_from == "managers" else ", every member teaches"
    if not votes:
        return f" · no feedback{teachers}"
    return f" · {votes} vote{'s' if votes != 1 else ''}{teachers}"


FEEDBACK_SHOWN = 20


def feedback_list(topic: Topic, entries: Sequence[FeedbackEntry]) -> discord.Embed:
    """What a topic learned from: paper, vote, who, when; and how to remove it."""
    embed = discord.Embed(title=f"What topic #{topic.id} learned from", colour=BRAND_COLOUR)
    if not entries:
        embed.description = (
            f"Nothing yet: {code(cut(topic.query, 120))} posts by its rules alone. 👍 / 👎 on "
            "its posts, or `/topic teach`, teach it."
        )
        return embed
    lines = []
    for entry in entries[:FEEDBACK_SHOWN]:
        vote = "👍" if entry.vote > 0 else "👎"
        how = {"vote": "", "teach": " (taught)", "like": " (from a saved list)"}[entry.kind]
        title = cut(escape(entry.title or entry.paper_id), 80)
        lines.append(
            f"{vote} [{title}]({hf_url(entry.paper_id)}) · <@{entry.user_id}>{how} · "
            f"<t:{int(entry.at.timestamp())}:R>"
        )
    if len(entries) > FEEDBACK_SHOWN:
        lines.append(f"…and {len(entries) - FEEDBACK_SHOWN} more.")
    embed.description = cut("\n".join(lines), 4000)
    embed.set_footer(text="Remove one with /topic feedback remove:<paper>, or all with reset:true.")
    return embed


def topic_edited(
    topic: Topic, query: Query, *, query_changed: bool, warning: str | None = None
) -> discord.Embed:
    embed = discord.Embed(title=f"Topic #{topic.id} changed", colour=BRAND_COLOUR)
    embed.add_field(
        name="Query as understood", value=cut(code(query.understood), 1024), inline=False
    )
    embed.add_field(name="Options", value=options_text(topic), inline=False)
    note = f"Its history stays: {topic.posted_count} posted in <#{topic.channel_id}>."
    if query_changed:
        note += " The new query posts papers that arrive from now on."
    embed.description = note
    _warn(embed, warning)
    return embed


def _papers(count: int, kind: str) -> str:
    return f"{count} {kind} paper{'s' if count != 1 else ''}"


def _warn(embed: discord.Embed, warning: str | None) -> None:
    if warning is not None:
        embed.add_field(name="⚠️ Missing permissions", value=cut(warning, 1024), inline=False)


def topic_removed(topic: Topic) -> str:
    return f"Removed topic #{topic.id} {code(topic.query)} from <#{topic.channel_id}>."


def topic_resumed(topic: Topic) -> str:
    return f"Resumed posting in <#{topic.channel_id}>; what waited during the pause goes out now."


def topic_test(result: TopicTest) -> discord.Embed:
    embed = discord.Embed(title="Topic test", colour=BRAND_COLOUR)
    embed.add_field(
        name="Query as understood", value=cut(code(result.query.understood), 1024), inline=False
    )
    found = fit_lines(
        [
            f"• [{cut(escape(h.paper.title), 70)}]({h.paper.hf_url}): {'; '.join(h.reasons)}"
            for h in result.matches
        ],
        FIELD_LIMIT,
    )
    heading = (
        f"{match_count(len(result.matches))} among {_papers(result.recent_total, 'recent')} "
        "(7 days)"
    )
    embed.add_field(
        name=heading,
        value=cut("\n".join(found), 1024) if found else "None.",
        inline=False,
    )
    if result.near_misses:
        misses = [
            f"• {cut(escape(m.paper.title), 70)}: {'; '.join(m.reasons)}"
            for m in result.near_misses
        ]
        embed.add_field(
            name="Near misses, and why", value=cut("\n".join(misses), 1024), inline=False
        )
    return embed


MAX_VERDICTS = 10


def verdicts(found: Sequence[Verdict]) -> discord.Embed:
    """Why a paper was (or was not) posted: one field per query or topic of the channel."""
    paper = found[0].paper
    embed = discord.Embed(
        title=cut(escape(paper.title), 256), url=paper.hf_url, colour=BRAND_COLOUR
    )
    delivery = next((v.delivery for v in found if v.delivery), None)
    embed.description = delivery or None
    shown = found[:MAX_VERDICTS]
    # Discord refuses an embed over 6,000 characters in all: share what is left among fields.
    budget = EMBED_LIMIT - len(embed.title or "") - len(delivery or "") - 100
    for i, item in enumerate(shown):
        topic = f"topic #{item.topic.id} " if item.topic else ""
        state = "matches" if item.matches else "does not match"
        if item.matches and not item.posted:
            state = "matches, but feedback holds it back"
        elif item.posted and not item.matches:
            state = "does not match, but feedback posts it"
        elif item.matches and item.held_back:
            state = "matches, but is held back"
        name = cut(f"{topic}{code(cut(item.query.text, 150))}: {state}", 256)
        lines = [f"• {item.feedback}"] if item.feedback else []
        lines += [f"• {reason}" for reason in item.reasons]
        lines += [f"• {reason}" for reason in item.held_back]
        room = min(1024, (budget - len(name)) // (len(shown) - i))
        value = "\n".join(fit_lines(lines, room)) or "•"
        budget -= len(name) + len(value)
        embed.add_field(name=name, value=value, inline=False)
    if len(found) > MAX_VERDICTS:
        embed.set_footer(text=f"…and {len(found) - MAX_VERDICTS} more topics in this channel.")
    return embed


def fit_lines(lines: list[str], limit: int) -> list[str]:
    """As many whole lines as fit in `limit` characters, then how many more there were.

    A line is never cut: cutting a markdown link in half would show its raw text.
    """
    shown: list[str] = []
    used = 0
    for i, line in enumerate(lines):
        rest = len(lines) - i
        tail = len(f"\n…and {rest} more.") if rest > 1 else 0
        if used + len(line) + 1 + tail > limit:
            return [*shown, f"…and {rest} more."]
        shown.append(line)
        used += len(line) + 1
    return shown
