"""The `paperbot` command's exit codes, and its one way to fail: one line on stderr."""

from __future__ import annotations

import sys

EXIT_OK = 0
EXIT_FAILURE = 1  # an outage: Discord, Hugging Face or the disk; trying again later may work
EXIT_USAGE = 2  # something to fix: a setting, a token, an argument


def fail(message: str, code: int) -> int:
    """Say `message` on stderr as `paperbot: ...` and return `code` for the process to exit with."""
    print(f"paperbot: {message}", file=sys.stderr)
    return code
