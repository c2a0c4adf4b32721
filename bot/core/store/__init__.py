"""Everything paperbot keeps, and the only SQL in the house.

The driver interface (`driver`) and its two engines (`sqlite`, `postgres`); the store itself
(`database`: opening either engine, the poll log, settings) and the papers' SQL (`papers`); one
store per subject beside them (`topics`, `deliveries`, `saved`, `search`, `follows`, `foryou`,
`fleet`, `guild_settings`); the migrations of each engine; and maintenance: copying to
PostgreSQL (`copy`), where a backup may go (`backup`), whether the database takes writes
(`health`).
"""

from bot.core.store.database import Store

__all__ = ["Store"]
