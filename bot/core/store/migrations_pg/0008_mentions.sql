-- As SQLite's 0010: the role a topic pings.

ALTER TABLE topics ADD COLUMN mention_role_id BIGINT;
