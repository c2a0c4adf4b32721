"""`paperbot db copy`: a populated SQLite file moved to PostgreSQL, every row and id kept."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.delivery.admin_log import GuildSettingsStore
from bot.core.models import NewDelivery, Paper, PollRecord, TopicOptions
from bot.core.search import SearchService
from bot.core.store import Store
from bot.core.store.copy import TABLES, CopyRefused, copy_database
from bot.core.store.deliveries import DeliveryStore
from bot.core.store.feedback import FeedbackStore
from bot.core.store.follows import FollowStore
from bot.core.store.foryou import ForYouStore
from bot.core.store.saved import SavedStore
from bot.core.store.search import SearchStore
from bot.core.store.sqlite import ProcessLock
from bot.core.store.topics import TopicStore
from tests.support.postgres import PostgresServer
from tests.unit.test_cli import paperbot

T0 = datetime(2026, 11, 20, 12, tzinfo=UTC)


async def populate(path: Path) -> None:
    """A SQLite installation that has lived a little: every table holds something."""
    async with await Store.open(path) as store:
        papers = [
            Paper(id=f"2611.{n:05d}", title=f"Graph paper {n}", abstract="On graphs.", upvotes=n)
            for n in range(1, 8)
        ]
        for paper in papers:  # one at a time: arrival order matters to search
            await store.upsert_papers([paper], T0)
        await store.record_poll(PollRecord("trending", T0, T0, 7, 7, None))
        await store.set_meta("commands_synced", "abc")
        topics = TopicStore(store)
        for channel in (10, 11, 12):
            await topics.add_topic(
                guild_id=1,
                channel_id=channel,
                query="graph",
                canonical="graph",
                options=TopicOptions(),
                created_by=5,
                now=T0,
            )
        await topics.remove_topic(1, 2)  # a gap in the ids: they must stay as they are
        outbox = DeliveryStore(store)
        await outbox.queue(
            [NewDelivery(1, c, p.id, (1,), T0, False) for c in (10, 12) for p in papers], T0
        )
        due = await outbox.due_deliveries(T0)
        await outbox.mark_sent([d.id for d in due if d.channel_id == 10], 999, T0)
        await outbox.pause_channel(12, "403 Missing Access", T0)
        saved = SavedStore(store)
        await saved.save(42, "Reading", papers[0], "a note", T0)
        await saved.save(42, "Reading", papers[1], None, T0 + timedelta(seconds=1))
        await FollowStore(store).remember(42, 4200, T0)  # a person who follows by DM
        await ForYouStore(store).set_digest(42, 8, False, None, T0, T0)
        await GuildSettingsStore(store).set_log_channel(1, 99, T0)
        await FeedbackStore(store).vote([1], papers[0].id, 5, -1, "vote", T0)
        await SearchStore(store).freeze_words(7, [("graph", 3), ("diffusion", 2)], T0)


async def table(store: Store, name: str) -> list[tuple[object, ...]]:
    columns = ", ".join(
        c for c in (await _columns(store, name)) if c not in {"seq", "search", "title_search"}
    )
    rows = await store.fetch_all(f"SELECT {columns} FROM {name} ORDER BY {columns}")
    return [tuple(r) for r in rows]


async def _columns(store: Store, name: str) -> list[str]:
    rows = await store.fetch_all(f"PRAGMA table_info({name})")
    return [str(r[1]) for r in rows]


async def test_every_row_and_id_arrives_and_nothing_sent_is_owed_again(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    source_path = tmp_path / "paperbot.db"
    await populate(source_path)
    url = await postgres.new_database()
    try:
        async with await Store.open(source_path) as source, await Store.open(url) as target:
            copied = await copy_database(source, target)
            assert copied.rows["papers"] == 7
            assert copied.sent == 7
            for name, _identity in TABLES:
                theirs = await table(source, name)
                assert theirs, f"the fixture left {name} empty"
                columns = ", ".join(c for c in await _columns(source, name))
                ours = [
                    tuple(r)
                    for r in await target.fetch_all(
                        f"SELECT {columns} FROM {name} ORDER BY {columns}"
                    )
                ]
                assert ours == theirs, name
            # Owed deliveries are owed the same; the paused channel still waits.
            old = await DeliveryStore(source).due_deliveries(T0)
            new = await DeliveryStore(target).due_deliveries(T0)
            assert [(d.id, d.channel_id, d.paper.id) for d in new] == [
                (d.id, d.channel_id, d.paper.id) for d in old
            ]
            # New rows take ids past the copied ones.
            topic = await TopicStore(target).add_topic(
                guild_id=1,
                channel_id=13,
                query="graph",
                canonical="graph",
                options=TopicOptions(),
                created_by=5,
                now=T0,
            )
            assert topic.id == 4
            # Arrival order survives: search on PostgreSQL lists the newest first among ties.
            search = SearchService(target, SearchStore(target), clock=lambda: T0)
            result = await search.search("graph", "newest", ask_hf=False)
            assert len(result.papers) == 7
    finally:
        await postgres.drop_database(url)


async def test_a_target_holding_data_is_refused_unless_forced(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    source_path = tmp_path / "paperbot.db"
    await populate(source_path)
    url = await postgres.new_database()
    try:
        async with await Store.open(source_path) as source, await Store.open(url) as target:
            await target.set_meta("someone", "else")
            with pytest.raises(CopyRefused, match="already holds data \\(meta\\)"):
                await copy_database(source, target)
            assert await target.get_meta("someone") == "else", "refused: nothing written"
            assert await target.paper_count() == 0
            await copy_database(source, target, force=True)
            assert await target.get_meta("someone") is None
            assert await target.paper_count() == 7
            again = await copy_database(source, target, force=True)
            assert again.rows["papers"] == 7
    finally:
        await postgres.drop_database(url)


async def test_the_command_copies_once_and_refuses_while_the_bot_runs(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    source_path = tmp_path / "data" / "paperbot.db"
    await populate(source_path)
    url = await postgres.new_database()
    try:
        env = {"PAPERBOT_DB": str(source_path)}
        running = ProcessLock(source_path)
        running.acquire()  # as `paperbot run` does
        try:
            busy = await asyncio.to_thread(paperbot, "db", "copy", "--to", url, cwd=tmp_path, **env)
        finally:
            running.release()
        assert busy.returncode == 2
        assert "another paperbot (pid" in busy.stderr
        done = await asyncio.to_thread(paperbot, "db", "copy", "--to", url, cwd=tmp_path, **env)
        assert done.returncode == 0, done.stderr
        assert (
            f"copied 7 papers, 2 topics, 14 deliveries (7 sent), 1 saved lists (2 papers), "
            f"1 polls from {source_path} to {url}" in done.stdout
        )
        twice = await asyncio.to_thread(paperbot, "db", "copy", "--to", url, cwd=tmp_path, **env)
        assert twice.returncode == 2
        assert twice.stderr.strip().endswith("or add --force to replace what it holds")
        not_a_url = await asyncio.to_thread(
            paperbot, "db", "copy", "--to", str(tmp_path / "x.db"), cwd=tmp_path, **env
        )
        assert not_a_url.returncode == 2
        assert not_a_url.stderr.strip() == (
            "paperbot: --to takes a postgresql://user:password@host:port/dbname URL"
        )
    finally:
        await postgres.drop_database(url)
