"""What only the PostgreSQL backend has: connecting, its migrations, its messages."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from bot.core.errors import StoreOpenError
from bot.core.store import Store
from bot.core.store.driver import migrations
from tests.support.postgres import PostgresServer, wheel_binaries
from tests.unit.test_cli import paperbot

LATEST = len(migrations("bot.core.store.migrations_pg"))


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_an_unreachable_server_is_one_line_without_the_password() -> None:
    url = f"postgresql://bot:hunter2@127.0.0.1:{_closed_port()}/paperbot"
    with pytest.raises(StoreOpenError) as refused:
        await Store.open(url)
    message = str(refused.value)
    assert "cannot reach PostgreSQL at postgresql://bot@127.0.0.1:" in message
    assert "hunter2" not in message
    assert "\n" not in message
    assert refused.value.exit_code == 1  # an outage, not a setting to fix


async def test_processes_starting_together_migrate_once(postgres: PostgresServer) -> None:
    url = await postgres.new_database(empty=True)
    try:
        stores = await asyncio.gather(*(Store.open(url) for _ in range(3)))
        try:
            versions = {await s.schema_version() for s in stores}
            assert versions == {len(migrations("bot.core.store.migrations_pg"))}
            applied = await stores[0].fetch_all("SELECT version FROM schema_version")
            assert sorted(r[0] for r in applied) == list(range(1, LATEST + 1))
        finally:
            for store in stores:
                await store.close()
    finally:
        await postgres.drop_database(url)


async def test_db_migrate_on_a_url_names_the_database_but_never_its_password(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    url = await postgres.new_database(empty=True)
    try:
        with_password = url.replace("paperbot@", "paperbot:hunter2@")  # trust: any password
        result = await asyncio.to_thread(
            paperbot, "db", "migrate", cwd=tmp_path, PAPERBOT_DB=with_password
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().splitlines()[-1] == f"{url}: schema version {LATEST}"
        assert "hunter2" not in result.stdout + result.stderr
        again = await asyncio.to_thread(
            paperbot, "db", "migrate", cwd=tmp_path, PAPERBOT_DB=with_password
        )
        assert again.stdout.strip() == f"{url}: schema version {LATEST}"
    finally:
        await postgres.drop_database(url)


async def test_backup_of_a_postgresql_database_points_to_pg_dump(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    url = await postgres.new_database()
    try:
        result = await asyncio.to_thread(
            paperbot, "db", "backup", str(tmp_path / "copy.db"), cwd=tmp_path, PAPERBOT_DB=url
        )
        assert result.returncode == 2
        assert result.stderr.strip() == (
            "paperbot: paperbot backs up SQLite files; back up PostgreSQL with pg_dump"
        )
        assert not (tmp_path / "copy.db").exists()
    finally:
        await postgres.drop_database(url)


async def test_the_wheels_server_serves_where_the_system_has_none(tmp_path: Path) -> None:
    """The fallback `make test` uses on a machine without PostgreSQL, proven here too."""
    binaries = wheel_binaries()
    assert binaries is not None, "the pgserver wheel is a test dependency"
    server = PostgresServer(binaries)
    try:
        await asyncio.to_thread(server.start)
        await server.prepare_template()
        url = await server.new_database()
        async with await Store.open(url) as store:
            assert await store.schema_version() == LATEST
            version = await store.fetch_one("SHOW server_version_num")
            assert version is not None
            assert int(version[0]) >= 150000
    finally:
        await asyncio.to_thread(server.stop)
