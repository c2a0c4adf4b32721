-- People who follow topics by DM. Their follows are topics of guild 0 (no server) whose
-- channel is the person's DM channel with paperbot: matching, the outbox, digests and
-- "exactly once per (channel, paper)" serve them unchanged, and once per (person, paper)
-- follows from one DM channel per person. A refused DM pauses that channel (channel_state);
-- `told_at` is when the person was told so, privately, once per pause.
BEGIN;

CREATE TABLE people (
    user_id        INTEGER PRIMARY KEY,
    dm_channel_id  INTEGER NOT NULL UNIQUE,
    told_at        TEXT,
    created_at     TEXT NOT NULL
) STRICT;

-- Papers are new to a topic from `since` on (NULL: from its creation). Resuming a person's
-- follows moves it to the resumption: a pause saves nothing up.
ALTER TABLE topics ADD COLUMN since TEXT;

PRAGMA user_version = 7;
COMMIT;
