"""Every start-up and database failure is one line and a documented exit code, never a
traceback: 2 for a setting or a file the user must fix, 1 for an outage. Each case runs
`python -m bot` as a subprocess, as a user would."""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.disks import small_disk
from tests.unit.test_cli import OWN_DAILY, paperbot

Setup = Callable[[Path], tuple[list[str], dict[str, str]]]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def garbage_db(tmp: Path) -> tuple[list[str], dict[str, str]]:
    db = tmp / "bot.db"
    db.write_bytes(bytes(range(256)) * 64)
    return ["db", "migrate"], {"PAPERBOT_DB": str(db)}


def text_file_db(tmp: Path) -> tuple[list[str], dict[str, str]]:
    db = tmp / "notes.txt"
    db.write_text("my shopping list\n" * 200)
    return ["run"], {"PAPERBOT_DB": str(db), "DISCORD_TOKEN": "x" * 30}


def directory_db(tmp: Path) -> tuple[list[str], dict[str, str]]:
    (tmp / "data").mkdir()
    return ["run"], {"PAPERBOT_DB": str(tmp / "data"), "DISCORD_TOKEN": "x" * 30}


def newer_db(tmp: Path) -> tuple[list[str], dict[str, str]]:
    db = tmp / "bot.db"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 99")
    return ["run"], {"PAPERBOT_DB": str(db), "DISCORD_TOKEN": "x" * 30}


def discord_unreachable(tmp: Path) -> tuple[list[str], dict[str, str]]:
    return ["run"], {
        "PAPERBOT_DB": str(tmp / "bot.db"),
        "DISCORD_TOKEN": "x" * 30,
        "DISCORD_API_BASE": f"http://127.0.0.1:{closed_port()}/api/v10",
    }


def setting(name: str, value: str) -> Setup:
    return lambda tmp: (["db", "migrate"], {name: value, "PAPERBOT_DB": str(tmp / "bot.db")})


def shards_on_sqlite(tmp: Path) -> tuple[list[str], dict[str, str]]:
    env = {"PAPERBOT_DB": str(tmp / "bot.db"), "DISCORD_TOKEN": "x" * 30}
    return ["run", "--shards", "0-1", "--shard-count", "4"], env


def unreachable_postgres(tmp: Path) -> tuple[list[str], dict[str, str]]:
    url = f"postgresql://bot:pw-not-shown@127.0.0.1:{closed_port()}/paperbot"
    return ["db", "migrate"], {"PAPERBOT_DB": url}


CASES: list[tuple[str, Setup, int, str]] = [
    ("shards on a SQLite file", shards_on_sqlite, 2, "which needs PostgreSQL"),
    ("PostgreSQL unreachable", unreachable_postgres, 1, "cannot reach PostgreSQL at post"),
    ("a shard outside the count", setting("PAPERBOT_SHARDS", "5"), 2, "go together"),
    ("a database file of garbage", garbage_db, 2, "is not a SQLite database"),
    ("a text file as the database", text_file_db, 2, "is not a SQLite database"),
    ("PAPERBOT_DB is a directory", directory_db, 2, "is a directory; give the path of a"),
    ("a database from a newer paperbot", newer_db, 2, "newer than this paperbot"),
    ("Discord unreachable at start", discord_unreachable, 1, "cannot reach Discord at http"),
    ("a poll interval too large", setting("PAPERBOT_POLL_SECONDS", "1e12"), 2, "from 1 to"),
    ("a send rate too small", setting("PAPERBOT_SEND_RATE", "0"), 2, "from 0.1 to"),
    ("HF_ENDPOINT not http(s)", setting("HF_ENDPOINT", "ftp://hf.co"), 2, "must be an http(s)"),
    (
        "DISCORD_GATEWAY_URL not ws(s)",
        setting("DISCORD_GATEWAY_URL", "127.0.0.1:9"),
        2,
        "such as ws://127.0.0.1:8080/",
    ),
]


@pytest.mark.parametrize(("case", "setup", "code", "says"), CASES, ids=[c[0] for c in CASES])
def test_a_failure_is_one_line_and_its_exit_code(
    tmp_path: Path, case: str, setup: Setup, code: int, says: str
) -> None:
    args, env = setup(tmp_path)
    result = paperbot(*args, cwd=tmp_path, **env)
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    (line,) = result.stderr.splitlines()
    assert line.startswith("paperbot: ")
    assert says in line
    assert "pw-not-shown" not in result.stderr + result.stdout


def test_a_read_only_database_or_folder_is_one_line(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk") as disk:
        db = disk.path / "bot.db"
        assert paperbot("db", "migrate", cwd=tmp_path, PAPERBOT_DB=str(db)).returncode == 0
        disk.read_only()
        for args in (["db", "migrate"], ["run"]):
            result = paperbot(*args, cwd=tmp_path, PAPERBOT_DB=str(db), DISCORD_TOKEN="x" * 30)
            assert result.returncode == 2, result.stderr
            (line,) = result.stderr.splitlines()
            assert "read-only" in line
            assert "Traceback" not in result.stdout


# -- db backup writes a file, nothing else ---------------------------------------------------


@pytest.fixture
def database(tmp_path: Path) -> Path:
    db = tmp_path / "bot.db"
    assert paperbot("db", "migrate", cwd=tmp_path, PAPERBOT_DB=str(db)).returncode == 0
    return db


def backup(db: Path, *args: str) -> tuple[int, str]:
    result = paperbot("db", "backup", *args, cwd=db.parent, PAPERBOT_DB=str(db))
    assert "Traceback" not in result.stderr + result.stdout
    return result.returncode, result.stderr.strip()


def test_backup_refuses_the_database_itself_also_through_a_link(database: Path) -> None:
    code, line = backup(database, str(database), "--force")
    assert code == 2
    assert line == (
        f"paperbot: {database} is the database itself ({database}); back up to another file"
    )
    hard = database.with_name("hard.db")
    hard.hardlink_to(database)
    assert backup(database, str(hard), "--force")[0] == 2
    relative = backup(database, "./bot.db", "--force")  # run from the database's folder
    assert relative[0] == 2
    # Its companions too, even when they do not exist: SQLite would read a file named so.
    assert backup(database, str(database) + "-wal", "--force")[0] == 2
    assert not Path(str(database) + "-wal").exists()


def test_backup_refuses_devices_directories_links_and_existing_files(database: Path) -> None:
    full = backup(database, "/dev/full", "--force")
    assert full == (2, "paperbot: /dev/full is not a regular file (a device or a pipe)")
    assert Path("/dev/full").is_char_device()
    folder = backup(database, str(database.parent))
    assert folder[0] == 2
    assert "is a directory; give a file name" in folder[1]
    target = database.with_name("elsewhere.db")
    link = database.with_name("link.db")
    link.symlink_to(target)
    assert backup(database, str(link)) == (
        2,
        f"paperbot: {link} is a symbolic link; give the path of a real file or a new one",
    )
    assert not target.exists()
    existing = database.with_name("old.db")
    existing.write_bytes(b"keep me")
    refused = backup(database, str(existing))
    assert refused == (2, f"paperbot: {existing} exists; add --force to replace it")
    assert existing.read_bytes() == b"keep me"
    assert backup(database, str(existing), "--force")[0] == 0
    with sqlite3.connect(existing) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] > 0


def test_a_backup_onto_a_full_disk_fails_in_one_line_and_leaves_nothing(
    database: Path, tmp_path: Path
) -> None:
    with small_disk(tmp_path / "disk", "1m") as disk:
        disk.fill()
        code, line = backup(database, str(disk.path / "copy.db"))
        assert code == 1
        assert line == (
            f"paperbot: backup to {disk.path / 'copy.db'} failed: disk full; nothing was written"
        )
        disk.free()
        assert list(disk.path.iterdir()) == []  # no .partial left behind


# -- preview's --topic -----------------------------------------------------------------------


def test_preview_takes_a_topic_that_starts_with_an_exclusion(tmp_path: Path) -> None:
    result = paperbot(
        "preview", "--source", str(OWN_DAILY), "--topic", "-survey diffusion", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "topic '-survey diffusion'" in result.stdout


def test_a_malformed_topic_shows_where_the_problem_is(tmp_path: Path) -> None:
    result = paperbot("preview", "--source", str(OWN_DAILY), "--topic", 'video "diff', cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "paperbot: bad --topic: This quote is never closed (at character 7):",
        '  video "diff',
        "        ^",
    ]
