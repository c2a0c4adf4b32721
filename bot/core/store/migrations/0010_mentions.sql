-- A topic may ping one role with each of its posts (/topic add mention:<role>).
BEGIN;

ALTER TABLE topics ADD COLUMN mention_role_id INTEGER;

PRAGMA user_version = 10;
COMMIT;
