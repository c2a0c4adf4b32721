-- /foryou digests: a person's top recommendations by DM, daily or weekly at their hour.
-- Their papers go through the outbox to the person's DM channel (people.dm_channel_id) as
-- digest deliveries naming topic 0, "recommended for you".
BEGIN;

CREATE TABLE foryou_digests (
    user_id     INTEGER PRIMARY KEY,
    hour        INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
    weekly      INTEGER NOT NULL DEFAULT 0,
    list_name   TEXT,             -- learn from this list only, or NULL for all
    next_at     TEXT NOT NULL,    -- when the next digest is due
    created_at  TEXT NOT NULL
) STRICT;

CREATE INDEX foryou_digests_due ON foryou_digests (next_at);

PRAGMA user_version = 8;
COMMIT;
