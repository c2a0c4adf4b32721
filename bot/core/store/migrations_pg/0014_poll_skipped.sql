-- As SQLite's 0016: the reasons a poll's unreadable items were skipped.

ALTER TABLE poll_log ADD COLUMN skipped TEXT;
