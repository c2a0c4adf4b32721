-- As SQLite's 0008: /foryou digests.

CREATE TABLE foryou_digests (
    user_id     BIGINT PRIMARY KEY,
    hour        INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
    weekly      INTEGER NOT NULL DEFAULT 0,
    list_name   TEXT,
    next_at     TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE INDEX foryou_digests_due ON foryou_digests (next_at);
