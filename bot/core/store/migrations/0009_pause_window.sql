-- A resumed follow skips the papers first seen while it was paused (from `paused_from` to
-- `since`), not every paper seen before it resumed: one seen earlier, still below the
-- follow's min_upvotes, is owed when it gets there.
BEGIN;

ALTER TABLE topics ADD COLUMN paused_from TEXT;
-- When its query last changed (/topic edit): papers first seen before are not owed to it.
ALTER TABLE topics ADD COLUMN new_from TEXT;

PRAGMA user_version = 9;
COMMIT;
