"""Where `paperbot db backup` may write: a regular file or a new path, never the database.

A backup that replaces `/dev/full`, writes through a symlink somewhere unexpected, or copies the
live database onto itself destroys what it was meant to keep. So the destination is checked
before anything is written, and refused with one line that says what to do instead.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from bot.core.errors import UserError


class BackupRefused(UserError):
    """The destination is not one a backup may write to; nothing was written."""


def check_destination(database: Path, destination: Path, *, force: bool) -> Path:
    """The path to write the backup to, or `BackupRefused` with the reason."""
    if destination.is_symlink():
        raise BackupRefused(
            f"{destination} is a symbolic link; give the path of a real file or a new one"
        )
    resolved = destination.resolve()
    companions = [database.with_name(database.name + s) for s in ("-wal", "-shm", "-journal")]
    if (
        _same_file(database, destination)
        or resolved == database.resolve()
        or any(resolved == c.resolve() or _same_file(c, destination) for c in companions)
    ):
        raise BackupRefused(
            f"{destination} is the database itself ({database}); back up to another file"
        )
    try:
        info = destination.stat()
    except FileNotFoundError:
        info = None
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            example = destination / "paperbot.db"
            raise BackupRefused(f"{destination} is a directory; give a file name, e.g. {example}")
        if not stat.S_ISREG(info.st_mode):
            raise BackupRefused(f"{destination} is not a regular file (a device or a pipe)")
        if not force:
            raise BackupRefused(f"{destination} exists; add --force to replace it")
    parent = destination.parent
    if parent.exists() and not parent.is_dir():
        raise BackupRefused(f"{parent} is not a directory")
    return destination


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
