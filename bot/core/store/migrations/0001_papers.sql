-- Papers as Hugging Face describes them, the poll log, and small key/value settings.
BEGIN;

CREATE TABLE papers (
    id            TEXT PRIMARY KEY,          -- canonical arXiv id, no version suffix
    title         TEXT NOT NULL,
    abstract      TEXT NOT NULL DEFAULT '',
    authors       TEXT NOT NULL DEFAULT '[]', -- JSON list of names, in order
    published_at  TEXT,                       -- ISO 8601, UTC (arXiv publication)
    submitted_at  TEXT,                       -- ISO 8601, UTC (submitted to Daily Papers)
    upvotes       INTEGER NOT NULL DEFAULT 0,
    num_comments  INTEGER NOT NULL DEFAULT 0,
    github_repo   TEXT,
    github_stars  INTEGER,
    ai_summary    TEXT,
    ai_keywords   TEXT NOT NULL DEFAULT '[]', -- JSON list
    project_page  TEXT,
    thumbnail     TEXT,
    first_seen    TEXT NOT NULL,              -- when paperbot first stored it; never changes
    last_seen     TEXT NOT NULL               -- when a poll last returned it
) STRICT;

CREATE INDEX papers_first_seen ON papers (first_seen);
CREATE INDEX papers_published_at ON papers (published_at);

CREATE TABLE poll_log (
    id           INTEGER PRIMARY KEY,
    feed         TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    finished_at  TEXT NOT NULL,
    papers_seen  INTEGER NOT NULL,
    papers_new   INTEGER NOT NULL,
    error        TEXT
) STRICT;

CREATE INDEX poll_log_feed ON poll_log (feed, id);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

PRAGMA user_version = 1;
COMMIT;
