-- Channel topics, per-channel delivery state, and the outbox of (channel, paper) deliveries.
BEGIN;

CREATE TABLE topics (
    id            INTEGER PRIMARY KEY,
    guild_id      INTEGER NOT NULL,
    channel_id    INTEGER NOT NULL,
    query         TEXT NOT NULL,     -- as typed
    canonical     TEXT NOT NULL,     -- normalised: two spellings of one query are one topic
    min_upvotes   INTEGER NOT NULL DEFAULT 0,
    digest_hour   INTEGER,           -- 0-23 UTC, or NULL to post each paper at once
    created_by    INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    posted_count  INTEGER NOT NULL DEFAULT 0,
    UNIQUE (channel_id, canonical),
    CHECK (digest_hour IS NULL OR digest_hour BETWEEN 0 AND 23),
    CHECK (min_upvotes >= 0)
) STRICT;

CREATE INDEX topics_guild ON topics (guild_id, channel_id);

-- A channel whose posts Discord refused (403) or that is gone (404) is paused, with the reason.
CREATE TABLE channel_state (
    channel_id    INTEGER PRIMARY KEY,
    guild_id      INTEGER NOT NULL,
    paused_reason TEXT,
    paused_at     TEXT
) STRICT;

CREATE TABLE deliveries (
    id               INTEGER PRIMARY KEY,
    guild_id         INTEGER NOT NULL,
    channel_id       INTEGER NOT NULL,
    paper_id         TEXT NOT NULL REFERENCES papers (id),
    topic_ids        TEXT NOT NULL,      -- JSON list of the topics that matched
    digest           INTEGER NOT NULL DEFAULT 0,
    created_at       TEXT NOT NULL,
    due_at           TEXT NOT NULL,      -- now, or the channel's digest hour
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    last_error       TEXT,
    sent_at          TEXT,
    message_id       INTEGER,
    gave_up_at       TEXT,               -- undeliverable after every retry; kept, and counted
    UNIQUE (channel_id, paper_id)        -- a paper is posted to a channel once, ever
) STRICT;

CREATE INDEX deliveries_pending ON deliveries (next_attempt_at)
    WHERE sent_at IS NULL AND gave_up_at IS NULL;

PRAGMA user_version = 2;
COMMIT;
