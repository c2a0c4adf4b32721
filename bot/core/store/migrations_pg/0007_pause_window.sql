-- As SQLite's 0009: the window a resumed follow was paused.

ALTER TABLE topics ADD COLUMN paused_from TEXT;
ALTER TABLE topics ADD COLUMN new_from TEXT;
