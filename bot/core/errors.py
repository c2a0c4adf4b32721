"""Errors the core raises.

`UserError` and its subclasses carry a message meant for the person who typed the command; the
command tree shows it to them ephemerally. Anything else is a bug or an outage and is logged.
"""

from __future__ import annotations

from typing import Literal


class UserError(Exception):
    """A mistake in what the user asked for; the message is shown to them as is."""


class InvalidPaperId(UserError):
    """Text that is neither an arXiv id nor a Hugging Face or arXiv paper URL."""


class SourceError(Exception):
    """The paper source answered something unusable or could not be reached."""


class DeliveryFailed(Exception):
    """A send that did not happen. `kind` decides what the outbox does next; `status` is
    Discord's HTTP status, when it answered."""

    def __init__(
        self,
        kind: Literal["forbidden", "gone", "retry"],
        reason: str,
        status: int | None = None,
    ) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.status = status


class StoreUnwritable(UserError):
    """The database takes no writes (disk full, read-only, I/O error): nothing was saved."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"paperbot cannot save right now ({reason}); try again later.")
        self.reason = reason


class StoreOpenError(Exception):
    """The database cannot be opened or brought up to date. One line for the user, and the exit
    code: 2 for a setting or a file the user must fix, 1 for an outage (a full disk)."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code
