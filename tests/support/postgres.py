"""A throw-away PostgreSQL server for the tests, on a loopback port, stopped at the end.

The system's server binaries (PostgreSQL 15 or newer: `pg_ctl` on PATH, or under
/usr/lib/postgresql/N/bin) run the cluster in a temporary folder; where the system has none,
those of the `pgserver` wheel (PostgreSQL 16, a test dependency) do. `initdb` refuses to run as
root, so as root the cluster belongs to the unprivileged user `nobody`. Every test gets a fresh
database copied from a migrated template (a file copy: milliseconds), dropped afterwards.

Not pytest-postgresql: its process fixture runs `initdb` as the current user, which fails as
root, the user CI runs as. Without any binaries the PostgreSQL tests fail with what to
install: they never skip.
"""

from __future__ import annotations

import contextlib
import glob
import importlib.util
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import asyncpg

from bot.core.store import Store

USER = "paperbot"
TEMPLATE = "paperbot_template"


def wheel_binaries() -> Path | None:
    """The server binaries inside the `pgserver` wheel (found without importing it)."""
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    return folder if (folder / "initdb").exists() else None


def server_binaries() -> Path:
    """The folder holding `initdb` and `pg_ctl` (PostgreSQL 15 or newer)."""
    candidates = [os.environ.get("PAPERBOT_PG_BIN", "")]
    found = shutil.which("pg_ctl")
    if found:
        candidates.append(str(Path(found).resolve().parent))
    candidates += sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True
    )
    for folder in candidates:
        if folder and (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    wheel = wheel_binaries()
    if wheel is not None:
        return wheel
    raise RuntimeError(
        "the PostgreSQL tests need PostgreSQL 15+ server binaries (initdb, pg_ctl): "
        "apt-get install postgresql, or set PAPERBOT_PG_BIN to their folder"
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class PostgresServer:
    def __init__(self, binaries: Path | None = None, *, shared_buffers: str = "64MB") -> None:
        self.bin = binaries or server_binaries()
        self.shared_buffers = shared_buffers
        self.root = Path(tempfile.mkdtemp(prefix="paperbot-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self._names = itertools.count(1)
        self._as: list[str] = []
        if os.geteuid() == 0:  # initdb refuses root: the cluster belongs to `nobody`
            shutil.chown(self.root, "nobody")
            self._as = ["runuser", "-u", "nobody", "--"]
            if self.bin == wheel_binaries():
                # The wheel sits in the virtualenv, under folders `nobody` may not enter
                # (a clone in a 0700 temporary folder): the server runs from a copy of it.
                package = self.bin.parent.parent  # site-packages/pgserver
                for part in (package / "pginstall", package.parent / "pgserver.libs"):
                    if part.exists():  # the binaries find their libraries relatively
                        target = self.root / part.relative_to(package.parent)
                        shutil.copytree(part, target, symlinks=True)
                self.bin = self.root / "pgserver" / "pginstall" / "bin"

    def _run(self, *args: str) -> None:
        result = subprocess.run(
            [*self._as, *args], capture_output=True, text=True, cwd=self.root, check=False
        )
        if result.returncode:
            raise RuntimeError(f"{' '.join(args[:2])} failed: {result.stderr.strip()[-500:]}")

    def start(self) -> None:
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            USER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--locale=C",
        )
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300 "
            f"-c shared_buffers={self.shared_buffers}"
        )
        self._run(
            str(self.bin / "pg_ctl"),
            "start",
            "-D",
            str(self.data),
            "-w",
            "-l",
            str(self.root / "server.log"),
            "-o",
            options,
        )

    def stop(self) -> None:
        with contextlib.suppress(RuntimeError):
            self._run(str(self.bin / "pg_ctl"), "stop", "-D", str(self.data), "-m", "immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    async def prepare_template(self) -> None:
        """A database at the newest schema, the template of every test's database."""
        admin = await asyncpg.connect(self.url("postgres"))
        try:
            await admin.execute(f"CREATE DATABASE {TEMPLATE}")
        finally:
            await admin.close()
        async with await Store.open(self.url(TEMPLATE)):
            pass

    async def new_database(self, *, empty: bool = False) -> str:
        """A fresh database: at the newest schema, or `empty` (never migrated)."""
        name = f"test_{next(self._names)}"
        template = "template0" if empty else TEMPLATE
        admin = await asyncpg.connect(self.url("postgres"))
        try:
            await admin.execute(f"CREATE DATABASE {name} TEMPLATE {template} STRATEGY FILE_COPY")
        finally:
            await admin.close()
        return self.url(name)

    async def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        admin = await asyncpg.connect(self.url("postgres"))
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            await admin.close()
