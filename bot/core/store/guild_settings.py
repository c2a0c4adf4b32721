"""SQL for each server's settings: the channel its admin log goes to."""

from __future__ import annotations

from datetime import datetime

from bot.core.store import Store
from bot.core.store.driver import to_iso


class GuildSettingsStore:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def set_log_channel(self, guild_id: int, channel_id: int | None, now: datetime) -> None:
        async with self._store.transaction() as tx:
            await tx.execute(
                "INSERT INTO guild_settings (guild_id, log_channel_id, updated_at) "
                "VALUES (?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET "
                "log_channel_id = excluded.log_channel_id, updated_at = excluded.updated_at",
                (guild_id, channel_id, to_iso(now)),
            )

    async def log_channels(self, guild_id: int | None) -> list[int]:
        """The log channel of one server, or of every server that has one."""
        if guild_id is None:
            rows = await self._store.fetch_all(
                "SELECT log_channel_id FROM guild_settings WHERE log_channel_id IS NOT NULL "
                "ORDER BY guild_id"
            )
        else:
            rows = await self._store.fetch_all(
                "SELECT log_channel_id FROM guild_settings WHERE guild_id = ? "
                "AND log_channel_id IS NOT NULL",
                (guild_id,),
            )
        return [int(r[0]) for r in rows]
