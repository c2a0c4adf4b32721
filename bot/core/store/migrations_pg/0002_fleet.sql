-- As SQLite's 0006: the fleet of processes, and channel leases for the outbox.

CREATE TABLE outbox_leases (
    channel_id  BIGINT PRIMARY KEY,
    holder      TEXT NOT NULL,
    until       TEXT NOT NULL
);

CREATE TABLE fleet (
    process       TEXT PRIMARY KEY,
    host          TEXT NOT NULL,
    pid           BIGINT NOT NULL,
    shards        TEXT NOT NULL,
    polling       INTEGER NOT NULL DEFAULT 0,
    started_at    TEXT NOT NULL,
    heartbeat_at  TEXT NOT NULL
);
