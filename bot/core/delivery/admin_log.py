"""Each server's admin log: one line in a channel its admins chose, per change of state.

What is reported: a channel paused and why, posting resumed, deliveries given up, Hugging Face
unreachable for more than an hour and back, the store not writable and writable again. A
server without a log channel hears nothing. Writing to the log channel is tried once per line;
if that fails it is logged here and nowhere else: the log channel failing never loops.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.core.errors import DeliveryFailed, UserError
from bot.core.store.guild_settings import GuildSettingsStore

log = logging.getLogger(__name__)

Post = Callable[[int, str], Awaitable[None]]  # a line to a channel; raises when refused
Report = Callable[[int | None, str], Awaitable[None]]  # a server (None: every server), a line

FIRST_LINE = (
    "paperbot will report here, once per change: a channel paused and why, posting resumed, "
    "deliveries given up, Hugging Face unreachable for over an hour and back, its store not "
    "writable. (Set by <@{who}> with `/paperbot log`.)"
)


class AdminLog:
    def __init__(self, settings: GuildSettingsStore, post: Post) -> None:
        self._settings = settings
        self._post = post

    async def choose(
        self, guild_id: int, channel_id: int | None, chosen_by: int, now: datetime
    ) -> None:
        """Make `channel_id` the server's log channel (None: no log), once paperbot has
        posted its first line there; a channel it cannot post in is refused, unchanged."""
        if channel_id is not None:
            try:
                await self._post(channel_id, FIRST_LINE.format(who=chosen_by))
            except DeliveryFailed as failure:
                status = f" ({failure.status})" if failure.status else ""
                raise UserError(
                    f"paperbot cannot post in <#{channel_id}>{status}: give it View Channel "
                    "and Send Messages there, then try again."
                ) from failure
        await self._settings.set_log_channel(guild_id, channel_id, now)

    async def report(self, guild_id: int | None, line: str) -> None:
        """Write `line` to the server's log channel (or every server's); never raises."""
        try:
            channels = await self._settings.log_channels(guild_id)
        except Exception:
            log.warning("could not read the admin log channels for: %s", line, exc_info=True)
            return
        for channel_id in channels:
            try:
                await self._post(channel_id, line)
            except Exception as exc:  # reported here only: a failing log channel never loops
                log.warning("could not write to admin log channel %s: %s", channel_id, exc)
