-- As SQLite's 0013: forum channels.

ALTER TABLE channel_state ADD COLUMN forum INTEGER NOT NULL DEFAULT 0;
