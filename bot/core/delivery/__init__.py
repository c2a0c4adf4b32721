"""From a poll to a post: the poller, one poll's ingest, the planner that matches papers to
topics, the outbox that sends what is owed, the scheduler that owns background work, the
fleet of processes, and each server's admin log."""
