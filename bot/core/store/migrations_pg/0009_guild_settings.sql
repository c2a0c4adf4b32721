-- As SQLite's 0011: per-server settings (the admin log channel).

CREATE TABLE guild_settings (
    guild_id        BIGINT PRIMARY KEY,
    log_channel_id  BIGINT,
    updated_at      TEXT NOT NULL
);
