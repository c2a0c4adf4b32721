-- Why the items of a poll's answers that could not be read were skipped (a JSON list of short
-- reasons), for /paperbot status.
BEGIN;

ALTER TABLE poll_log ADD COLUMN skipped TEXT;

PRAGMA user_version = 16;
COMMIT;
