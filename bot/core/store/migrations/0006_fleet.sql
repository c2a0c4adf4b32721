-- Several processes over one database (PostgreSQL; SQLite runs one): who is alive, and which
-- process is sending to which channel. A lease that runs out (its process died) is retaken.
BEGIN;

CREATE TABLE outbox_leases (
    channel_id  INTEGER PRIMARY KEY,
    holder      TEXT NOT NULL,     -- the process sending this channel's due deliveries
    until       TEXT NOT NULL      -- ISO time; after it, any process may take the channel
) STRICT;

CREATE TABLE fleet (
    process       TEXT PRIMARY KEY,  -- host:pid:start, unique per run
    host          TEXT NOT NULL,
    pid           INTEGER NOT NULL,
    shards        TEXT NOT NULL,     -- e.g. "0-3 of 8", or "all"
    polling       INTEGER NOT NULL DEFAULT 0,
    started_at    TEXT NOT NULL,
    heartbeat_at  TEXT NOT NULL
) STRICT;

PRAGMA user_version = 6;
COMMIT;
