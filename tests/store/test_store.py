"""The store on a real SQLite file."""

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core.models import Paper, PollRecord
from bot.core.store import Store
from bot.core.store.driver import migrations

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def paper(pid: str = "2611.00001", **fields: object) -> Paper:
    return Paper(id=pid, title=str(fields.pop("title", f"Paper {pid}")), **fields)  # type: ignore[arg-type]


async def test_migrates_an_empty_file_to_the_latest_version(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "dir" / "paperbot.db"
    async with await Store.open(path) as store:
        assert await store.schema_version() == len(migrations("bot.core.store.migrations"))
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"papers", "poll_log", "meta"} <= tables
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_migrating_twice_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "paperbot.db"
    async with await Store.open(path) as store:
        await store.upsert_papers([paper()], T0)
    async with await Store.open(path) as store:
        assert await store.migrate() == len(migrations("bot.core.store.migrations"))
        assert await store.paper_count() == 1


async def test_every_migration_applies_from_each_earlier_version(tmp_path: Path) -> None:
    scripts = migrations("bot.core.store.migrations")
    for start in range(len(scripts)):
        path = tmp_path / f"from-{start}.db"
        with sqlite3.connect(path) as conn:
            for _version, _name, sql in scripts[:start]:
                conn.executescript(sql)
        async with await Store.open(path) as store:
            assert await store.schema_version() == len(scripts)


async def test_upsert_keeps_first_seen_and_refreshes_counts(store: Store) -> None:
    first = await store.upsert_papers([paper(upvotes=1), paper("2611.00002")], T0)
    assert (first.seen, first.new) == (2, 2)
    later = T0 + timedelta(hours=3)
    again = await store.upsert_papers(
        [paper(upvotes=40, num_comments=3, github_repo="https://github.com/a/b", github_stars=9)],
        later,
    )
    assert (again.seen, again.new) == (1, 0)
    stored = await store.get_paper("2611.00001")
    assert stored is not None
    assert stored.upvotes == 40
    assert stored.num_comments == 3
    assert stored.github_stars == 9
    assert stored.first_seen == T0
    assert stored.last_seen == later


async def test_upsert_does_not_forget_optional_fields_a_later_source_lacks(store: Store) -> None:
    await store.upsert_papers(
        [paper(ai_summary="Summary.", ai_keywords=("rl",), github_repo="https://github.com/x/y")],
        T0,
    )
    await store.upsert_papers([paper()], T0 + timedelta(minutes=1))
    stored = await store.get_paper("2611.00001")
    assert stored is not None
    assert stored.ai_summary == "Summary."
    assert stored.ai_keywords == ("rl",)
    assert stored.github_repo == "https://github.com/x/y"


async def test_round_trips_every_field(store: Store) -> None:
    original = Paper(
        id="2611.00009",
        title="Ünïcode — title",
        abstract="Line one.\n\nLine two.",
        authors=("A. Author", "B. Autor"),
        published_at=T0,
        submitted_at=T0 + timedelta(days=1),
        upvotes=5,
        num_comments=2,
        github_repo="https://github.com/o/r",
        github_stars=10,
        ai_summary="Short.",
        ai_keywords=("x", "y"),
        project_page="https://example.org",
        thumbnail="https://example.org/t.png",
    )
    await store.upsert_papers([original], T0)
    assert await store.get_paper(original.id) == original


async def test_poll_log_keeps_the_latest_poll_per_feed(store: Store) -> None:
    await store.record_poll(PollRecord("daily", T0, T0, 10, 10, None))
    await store.record_poll(PollRecord("trending", T0, T0, 5, 1, None))
    await store.record_poll(PollRecord("daily", T0 + timedelta(minutes=10), T0, 0, 0, "HTTP 500"))
    latest = {p.feed: p for p in await store.latest_polls()}
    assert latest["daily"].error == "HTTP 500"
    assert latest["trending"].papers_new == 1
    assert await store.last_success("daily") == T0


async def test_meta_values_are_replaced(store: Store) -> None:
    assert await store.get_meta("k") is None
    await store.set_meta("k", "1")
    await store.set_meta("k", "2")
    assert await store.get_meta("k") == "2"


async def test_a_failed_transaction_writes_nothing(store: Store) -> None:
    try:
        async with store.transaction() as conn:
            await conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", ("half", "written"))
            raise RuntimeError("crash mid-way")
    except RuntimeError:
        pass
    assert await store.get_meta("half") is None


async def test_backup_while_writes_go_on_is_a_consistent_copy(tmp_path: Path) -> None:
    source = tmp_path / "live.db"
    async with await Store.open(source) as writer, await Store.open(source) as reader:
        stop = asyncio.Event()

        async def keep_writing() -> int:
            n = 0
            while not stop.is_set():
                batch = [paper(f"2611.{n + i:05d}") for i in range(50)]
                await writer.upsert_papers(batch, T0)
                n += 50
                await asyncio.sleep(0)
            return n

        writing = asyncio.create_task(keep_writing())
        await asyncio.sleep(0.05)
        target = await reader.backup(tmp_path / "backups" / "copy.db")
        stop.set()
        written = await writing
    with sqlite3.connect(target) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        count = conn.execute("SELECT count(*) FROM papers").fetchone()[0]
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(
            migrations("bot.core.store.migrations")
        )
    # Batches are stored whole: the copy holds a whole number of them, some but not all.
    assert count % 50 == 0
    assert 0 < count <= written
    assert not any(p.name.endswith(".partial") for p in target.parent.iterdir())
