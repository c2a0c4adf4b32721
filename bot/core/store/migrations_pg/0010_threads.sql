-- As SQLite's 0012: a thread per posted card.

ALTER TABLE topics ADD COLUMN thread INTEGER NOT NULL DEFAULT 0;
ALTER TABLE topics ADD COLUMN thread_problem TEXT;
