"""Errors the core raises.

`UserError` and its subclasses carry a message meant for the person who typed the command; the
command tree shows it to them ephemerally. Anything else is a bug or an outage and is logged.
"""


class UserError(Exception):
    """A mistake in what the user asked for; the message is shown to them as is."""


class InvalidPaperId(UserError):
    """Text that is neither an arXiv id nor a Hugging Face or arXiv paper URL."""


class SourceError(Exception):
    """The paper source answered something unusable or could not be reached."""
