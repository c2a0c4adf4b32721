"""The `/paperbot status` embed. No I/O."""

from __future__ import annotations

import discord

from bot.core.status import BotStatus
from bot.ui.format import BRAND_COLOUR, cut, human_duration, timestamp


def status_embed(status: BotStatus) -> discord.Embed:
    embed = discord.Embed(title="paperbot status", colour=BRAND_COLOUR)
    if status.store_problem:
        since = (
            f" since {timestamp(status.store_problem_since)}" if status.store_problem_since else ""
        )
        embed.description = (
            f"⚠️ **The database is not writable{since}: {status.store_problem}.** Sending and "
            "polling are paused and resume by themselves once the disk takes writes again."
        )
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
            if poll.skipped:
                value += f"; {poll.skipped_text}"
        embed.add_field(name=f"Last poll: {feed}", value=value, inline=False)
    embed.add_field(
        name="Next poll",
        value=timestamp(status.next_poll) if status.next_poll else "not scheduled",
        inline=False,
    )
    outbox = status.outbox
    delivery = f"{outbox.pending:,} waiting to be posted"
    if outbox.undeliverable:
        delivery += f", {outbox.undeliverable:,} undeliverable after every retry (see the log)"
    embed.add_field(name="Outbox", value=delivery, inline=False)
    if len(status.fleet) > 1 or any(m.shards != "all" for m in status.fleet):
        lines = [
            f"`{m.host}` pid {m.pid} · shards {m.shards}{' · **polls**' if m.polling else ''}"
            f" · seen {timestamp(m.heartbeat_at)}"
            for m in status.fleet[:10]
        ]
        embed.add_field(
            name=f"Processes ({len(status.fleet)})", value=cut("\n".join(lines), 1024), inline=False
        )
    if outbox.paused:
        lines = [f"<#{p.channel_id}>: {p.reason}" for p in outbox.paused[:10]]
        if len(outbox.paused) > 10:
            lines.append(f"…and {len(outbox.paused) - 10} more")
        embed.add_field(name="Paused channels", value=cut("\n".join(lines), 1024), inline=False)
    return embed
