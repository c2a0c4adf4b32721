-- The outbox picks each batch off indexes, whatever the backlog: the channels of the oldest
-- due deliveries (deliveries_pending, on next_attempt_at), then those channels' due rows.
-- A paused channel's deliveries wait with next_attempt_at far in the future, out of every batch.
BEGIN;

CREATE INDEX deliveries_channel_due ON deliveries (channel_id, next_attempt_at)
    WHERE sent_at IS NULL AND gave_up_at IS NULL;

UPDATE deliveries SET next_attempt_at = '9999-12-31T00:00:00.000000+00:00'
WHERE sent_at IS NULL AND gave_up_at IS NULL
  AND channel_id IN (SELECT channel_id FROM channel_state WHERE paused_reason IS NOT NULL);

PRAGMA user_version = 4;
COMMIT;
