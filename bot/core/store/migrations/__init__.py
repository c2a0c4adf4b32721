"""Numbered, forward-only SQL migrations. `NNNN_name.sql`; each sets `PRAGMA user_version`."""
