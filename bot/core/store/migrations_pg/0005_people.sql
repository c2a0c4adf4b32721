-- As SQLite's 0007: people who follow topics by DM.

CREATE TABLE people (
    user_id        BIGINT PRIMARY KEY,
    dm_channel_id  BIGINT NOT NULL UNIQUE,
    told_at        TEXT,
    created_at     TEXT NOT NULL
);

ALTER TABLE topics ADD COLUMN since TEXT;
