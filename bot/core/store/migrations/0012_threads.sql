-- A topic may open a public thread on each card it posts (/topic add thread:true); when
-- Discord refuses one, the post stands and the reason is kept for /topic list.
BEGIN;

ALTER TABLE topics ADD COLUMN thread INTEGER NOT NULL DEFAULT 0;
ALTER TABLE topics ADD COLUMN thread_problem TEXT;

PRAGMA user_version = 12;
COMMIT;
