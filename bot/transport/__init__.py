"""Posting what the outbox holds: channels, DMs, threads and forum posts, and Discord's
refusals as the outbox understands them."""
