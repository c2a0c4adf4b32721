-- Per-server settings: the channel where paperbot reports changes of state (/paperbot log).
BEGIN;

CREATE TABLE guild_settings (
    guild_id        INTEGER PRIMARY KEY,
    log_channel_id  INTEGER,
    updated_at      TEXT NOT NULL
) STRICT;

PRAGMA user_version = 11;
COMMIT;
