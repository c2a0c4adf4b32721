"""What the tests and the benches share: the local fakes of Discord and Hugging Face, a
throw-away PostgreSQL server, small disks that fill up on cue, the bot runners, the labeled
set and synthetic data. Benches import it as `tests.support` (run them as `python -m
bench.<name>` from the project's root)."""
