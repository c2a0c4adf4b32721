"""Turning core results into Discord embeds and components. No I/O."""

from __future__ import annotations

from datetime import datetime, timedelta

import discord

from bot.core.status import BotStatus

BRAND_COLOUR = discord.Colour(0xFFD21E)  # Hugging Face yellow


def timestamp(moment: datetime, style: str = "R") -> str:
    """A Discord timestamp: every reader sees it in their own time zone."""
    return f"<t:{int(moment.timestamp())}:{style}>"


def human_duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    parts = [f"{days}d"] if days else []
    if days or hours:
        parts.append(f"{hours}h")
    parts.append(f"{minutes}m" if days or hours or minutes else f"{seconds}s")
    return " ".join(parts)


def status_embed(status: BotStatus) -> discord.Embed:
    embed = discord.Embed(title="paperbot status", colour=BRAND_COLOUR)
    embed.add_field(name="Version", value=status.version)
    embed.add_field(name="Uptime", value=human_duration(status.uptime))
    embed.add_field(name="Papers stored", value=f"{status.papers_stored:,}")
    polled = {p.feed: p for p in status.last_polls}
    for feed in status.feeds:
        poll = polled.get(feed)
        if poll is None:
            value = "not polled yet"
        elif poll.error:
            value = f"{timestamp(poll.finished_at)}: **failed**: {poll.error[:900]}"
        else:
            value = (
                f"{timestamp(poll.finished_at)}: {poll.papers_seen} papers, {poll.papers_new} new"
            )
        embed.add_field(name=f"Last poll: {feed}", value=value, inline=False)
    embed.add_field(
        name="Next poll",
        value=timestamp(status.next_poll) if status.next_poll else "not scheduled",
        inline=False,
    )
    return embed
