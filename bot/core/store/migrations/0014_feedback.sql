-- Topics that learn: each person's vote on a paper for a topic (a click of 👍 / 👎, a paper
-- taught with /topic teach, or a saved paper given with `like:`), the latest winning; and who
-- may teach a channel's topic (`managers`: Manage Channels in the channel, or `everyone`).
BEGIN;

CREATE TABLE feedback (
    topic_id   INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    paper_id   TEXT NOT NULL,
    user_id    INTEGER NOT NULL,
    vote       INTEGER NOT NULL CHECK (vote IN (-1, 1)),
    kind       TEXT NOT NULL CHECK (kind IN ('vote', 'teach', 'like')),
    at         TEXT NOT NULL,
    PRIMARY KEY (topic_id, paper_id, user_id)
);
CREATE INDEX feedback_by_user ON feedback (user_id);

ALTER TABLE topics ADD COLUMN learn_from TEXT NOT NULL DEFAULT 'managers';

PRAGMA user_version = 14;
COMMIT;
