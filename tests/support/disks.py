"""Small real filesystems for tests: a disk that fills up on cue, or one that is read-only.

They are tmpfs mounts, which need root (CI runs as root). A test that needs one fails with the
reason when it cannot mount: it never skips.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class SmallDisk:
    """A tmpfs that a test fills up (the disk is full) and frees again."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._filler = path / ".filler"

    def fill(self) -> None:
        chunk = b"\0" * (1 << 16)
        # Unbuffered: a buffered file keeps what a failed flush could not write and tries again
        # when closed, which raised ENOSPC out of `with` whenever the last chunk was partial.
        with self._filler.open("ab", buffering=0) as out:
            try:
                while True:
                    out.write(chunk)
            except OSError:
                pass
        # What is left is less than a page: SQLite's next write cannot happen.
        stats = os.statvfs(self.path)
        assert stats.f_bavail * stats.f_frsize < 1 << 16

    def free(self) -> None:
        self._filler.unlink()

    def read_only(self) -> None:
        _mount(["-o", "remount,ro", str(self.path)])


@contextmanager
def small_disk(path: Path, size: str = "16m") -> Iterator[SmallDisk]:
    path.mkdir(parents=True, exist_ok=True)
    _mount(["-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)])
    try:
        yield SmallDisk(path)
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def _mount(args: list[str]) -> None:
    result = subprocess.run(["mount", *args], capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"cannot mount a small tmpfs: {result.stderr.strip()}"
