-- A topic may be for a forum channel: each paper becomes a forum post (a thread whose first
-- message is the card), never a bundle.
BEGIN;

ALTER TABLE channel_state ADD COLUMN forum INTEGER NOT NULL DEFAULT 0;

PRAGMA user_version = 13;
COMMIT;
