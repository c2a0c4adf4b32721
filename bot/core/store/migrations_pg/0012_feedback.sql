-- As SQLite's 0014: feedback on topics, and who may teach them.

CREATE TABLE feedback (
    topic_id   BIGINT NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    paper_id   TEXT NOT NULL,
    user_id    BIGINT NOT NULL,
    vote       INTEGER NOT NULL CHECK (vote IN (-1, 1)),
    kind       TEXT NOT NULL CHECK (kind IN ('vote', 'teach', 'like')),
    at         TEXT NOT NULL,
    PRIMARY KEY (topic_id, paper_id, user_id)
);
CREATE INDEX feedback_by_user ON feedback (user_id);

ALTER TABLE topics ADD COLUMN learn_from TEXT NOT NULL DEFAULT 'managers';
