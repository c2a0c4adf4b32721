"""Saved lists on a real SQLite file: limits, privacy, and independence from the papers table."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.errors import UserError
from bot.core.models import Paper
from bot.core.saved import SavedLimitError, SavedService
from bot.core.store import Store
from bot.core.store.saved import MAX_ITEMS, MAX_LISTS, SavedStore

T0 = datetime(2026, 11, 2, tzinfo=UTC)
PAPER = Paper(id="2611.00001", title="A paper", authors=("Ada Lovelace",), published_at=T0)


@pytest.fixture
def saved(store: Store) -> SavedService:
    return SavedService(SavedStore(store), clock=lambda: T0)


async def test_saving_twice_is_harmless(saved: SavedService) -> None:
    assert await saved.save(1, PAPER) == ("Reading list", True)
    assert await saved.save(1, PAPER) == ("Reading list", False)
    page = await saved.page(1, None, None, 0)
    assert page.total == 1


async def test_lists_belong_to_their_owner(saved: SavedService) -> None:
    await saved.save(1, PAPER, "Mine")
    with pytest.raises(UserError, match="no list called “Mine”"):
        await saved.page(2, "Mine", None, 0)
    with pytest.raises(UserError):
        await saved.remove(2, PAPER.id, "Mine")
    with pytest.raises(UserError):
        await saved.mark(2, PAPER.id, "read", None)
    with pytest.raises(UserError):
        await saved.delete(2, "Mine")
    assert [s.name for s in await saved.lists(2)] == []
    assert [s.count for s in await saved.lists(1)] == [1]


async def test_removing_a_paper_from_the_store_keeps_it_in_lists(
    saved: SavedService, store: Store
) -> None:
    await store.upsert_papers([PAPER], T0)
    await saved.save(1, PAPER)
    async with store.transaction() as conn:
        await conn.execute("DELETE FROM papers WHERE id = ?", (PAPER.id,))
    page = await saved.page(1, None, None, 0)
    assert [i.title for i in page.items] == ["A paper"]
    _name, data, count = await saved.export(1, None, "bibtex")
    assert count == 1
    assert b"A paper" in data


async def test_list_limit_writes_nothing(saved: SavedService) -> None:
    for n in range(MAX_LISTS):
        await saved.save(1, PAPER, f"list {n}")
    with pytest.raises(SavedLimitError, match="50 lists"):
        await saved.save(1, PAPER, "one too many")
    assert len(await saved.lists(1)) == MAX_LISTS


async def test_item_limit_writes_nothing(saved: SavedService, store: Store) -> None:
    await saved.save(1, PAPER, "Full")
    async with store.transaction() as conn:
        await conn.executemany(
            "INSERT INTO saved_items (list_id, paper_id, title, saved_at) VALUES (1, ?, 't', ?)",
            [(f"2612.{n:05d}", T0.isoformat()) for n in range(MAX_ITEMS - 1)],
        )
    other = Paper(id="2611.00002", title="Another")
    with pytest.raises(SavedLimitError, match="10,000 papers"):
        await saved.save(1, other, "Full")
    assert (await saved.page(1, "Full", None, 0)).total == MAX_ITEMS


@pytest.mark.parametrize(
    ("list_name", "note", "message"),
    [
        ("x" * 51, None, "at most 50 characters"),
        ("ok", "n" * 1001, "at most 1000 characters"),
        ("   ", None, "needs a name"),
    ],
)
async def test_names_and_notes_are_bounded(
    saved: SavedService, list_name: str, note: str | None, message: str
) -> None:
    with pytest.raises(UserError, match=message):
        await saved.save(1, PAPER, list_name, note)
    assert await saved.lists(1) == []


async def test_mark_note_rename_delete(saved: SavedService) -> None:
    await saved.save(1, PAPER, "A")
    await saved.save(1, PAPER, "B")
    assert await saved.mark(1, PAPER.id, "read", None) == 2
    assert await saved.note(1, PAPER.id, "good", "A") == 1
    unread = await saved.page(1, "A", "unread", 0)
    assert unread.total == 0
    with pytest.raises(UserError, match="already have a list called"):
        await saved.rename(1, "A", "b")
    assert await saved.rename(1, "A", "C") == ("A", "C")
    assert await saved.delete(1, "C") == 1
    assert [s.name for s in await saved.lists(1)] == ["B"]


async def test_pages_cover_the_whole_list_newest_first(saved: SavedService) -> None:
    clock = {"t": T0}
    service = SavedService(saved._saved, clock=lambda: clock["t"])
    for n in range(23):
        clock["t"] = T0.replace(minute=n)
        await service.save(1, Paper(id=f"2611.{n:05d}", title=f"P{n}"))
    pages = [await service.page(1, None, None, p) for p in range(3)]
    assert [p.pages for p in pages] == [3, 3, 3]
    ids = [i.paper_id for p in pages for i in p.items]
    assert ids == [f"2611.{n:05d}" for n in reversed(range(23))]
