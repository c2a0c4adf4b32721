"""SQL for personal saved lists (part of the store). Every query is scoped to one user."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from bot.core.models import Paper, SavedItem, SavedList
from bot.core.store import Store
from bot.core.store.driver import Tx, from_iso, scalar_in, to_iso
from bot.core.store.papers import papers_in

MAX_LISTS = 50
MAX_ITEMS = 10_000
_NAMED = "lower(name) = lower(?)"  # list names ignore case, on either engine


class SavedLimit(Exception):
    """A saved-list limit would be broken, or a name is taken; nothing was written. `kind`:
    the person's number of lists, a list's number of papers, or a list name already theirs."""

    def __init__(self, kind: Literal["lists", "items", "name_taken"], limit: int = 0) -> None:
        super().__init__(kind)
        self.kind = kind
        self.limit = limit


class SavedStore:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def save(
        self, user_id: int, list_name: str, paper: Paper, note: str | None, now: datetime
    ) -> bool:
        """Save a paper (creating the list if needed). False when it was already there."""
        async with self._store.transaction() as tx:
            list_id = await self._list_id(tx, user_id, list_name)
            if list_id is None:
                lists = await scalar_in(
                    tx, "SELECT count(*) FROM saved_lists WHERE user_id = ?", (user_id,)
                )
                if lists >= MAX_LISTS:
                    raise SavedLimit("lists", MAX_LISTS)
                list_id = await scalar_in(
                    tx,
                    "INSERT INTO saved_lists (user_id, name, created_at) VALUES (?, ?, ?) "
                    "RETURNING id",
                    (user_id, list_name, to_iso(now)),
                )
            exists = await scalar_in(
                tx,
                "SELECT count(*) FROM saved_items WHERE list_id = ? AND paper_id = ?",
                (list_id, paper.id),
            )
            if exists:
                if note is not None:
                    await tx.execute(
                        "UPDATE saved_items SET note = ? WHERE list_id = ? AND paper_id = ?",
                        (note, list_id, paper.id),
                    )
                return False
            items = await scalar_in(
                tx, "SELECT count(*) FROM saved_items WHERE list_id = ?", (list_id,)
            )
            if items >= MAX_ITEMS:
                raise SavedLimit("items", MAX_ITEMS)
            published = paper.published_at or paper.submitted_at or paper.first_seen
            await tx.execute(
                "INSERT INTO saved_items (list_id, paper_id, title, authors, published_at, note, "
                "saved_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    list_id,
                    paper.id,
                    paper.title,
                    json.dumps(list(paper.authors), ensure_ascii=False),
                    to_iso(published) if published else None,
                    note,
                    to_iso(now),
                ),
            )
            return True

    async def remove(self, user_id: int, list_name: str, paper_id: str) -> bool:
        async with self._store.transaction() as tx:
            removed = await tx.execute(
                "DELETE FROM saved_items WHERE paper_id = ? AND list_id = "
                f"(SELECT id FROM saved_lists WHERE user_id = ? AND {_NAMED})",
                (paper_id, user_id, list_name),
            )
            return bool(removed)

    async def items(
        self, user_id: int, list_name: str, status: str | None, offset: int, limit: int
    ) -> tuple[list[SavedItem], int]:
        """One page of a list (newest saved first) and the total matching `status`."""
        where = "l.user_id = ? AND lower(l.name) = lower(?)"
        params: tuple[Any, ...] = (user_id, list_name)
        if status is not None:
            where += " AND i.status = ?"
            params += (status,)
        total = await self._store.fetch_one(
            f"SELECT count(*) FROM saved_items i JOIN saved_lists l ON l.id = i.list_id "
            f"WHERE {where}",
            params,
        )
        rows = await self._store.fetch_all(
            "SELECT l.name, i.paper_id, i.title, i.authors, i.published_at, i.status, i.note, "
            "i.saved_at FROM saved_items i JOIN saved_lists l ON l.id = i.list_id "
            f"WHERE {where} ORDER BY i.saved_at DESC, i.paper_id LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [_item(r) for r in rows], int(total[0]) if total else 0

    async def saved_papers(self, user_id: int, list_name: str | None = None) -> list[Paper]:
        """Every paper the person saved (in one list, or in any), newest saved first: as
        stored, or from the list's own copy (title, authors) when the store has it no more."""
        where, params = "l.user_id = ?", list[Any]([user_id])
        if list_name is not None:
            where += " AND lower(l.name) = lower(?)"
            params.append(list_name)
        rows = await self._store.fetch_all(
            "SELECT i.paper_id, min(i.title), min(i.authors), max(i.saved_at) AS newest "
            "FROM saved_items i JOIN saved_lists l ON l.id = i.list_id "
            f"WHERE {where} GROUP BY i.paper_id ORDER BY newest DESC, i.paper_id",
            params,
        )
        stored = {p.id: p for p in await papers_in(self._store, [str(r[0]) for r in rows])}
        return [
            stored.get(str(r[0]))
            or Paper(id=str(r[0]), title=r[1], authors=tuple(json.loads(r[2])))
            for r in rows
        ]

    async def lists(self, user_id: int) -> list[SavedList]:
        rows = await self._store.fetch_all(
            "SELECT l.name, count(i.paper_id), "
            "sum(CASE WHEN i.status = 'unread' THEN 1 ELSE 0 END) FROM saved_lists l "
            "LEFT JOIN saved_items i ON i.list_id = l.id WHERE l.user_id = ? "
            "GROUP BY l.id, l.name, l.created_at ORDER BY l.created_at, l.id",
            (user_id,),
        )
        return [SavedList(str(r[0]), int(r[1]), int(r[2] or 0)) for r in rows]

    async def list_exists(self, user_id: int, list_name: str) -> bool:
        row = await self._store.fetch_one(
            f"SELECT count(*) FROM saved_lists WHERE user_id = ? AND {_NAMED}",
            (user_id, list_name),
        )
        return bool(row and row[0])

    async def update_items(
        self,
        user_id: int,
        paper_id: str,
        list_name: str | None,
        column: Literal["status", "note"],
        value: str | None,
    ) -> int:
        """Set `status` or `note` on a saved paper, in one list or in all of the user's lists."""
        scope = "user_id = ?" + (f" AND {_NAMED}" if list_name is not None else "")
        params: tuple[Any, ...] = (user_id,) + ((list_name,) if list_name is not None else ())
        async with self._store.transaction() as tx:
            return await tx.execute(
                f"UPDATE saved_items SET {column} = ? WHERE paper_id = ? AND list_id IN "
                f"(SELECT id FROM saved_lists WHERE {scope})",
                (value, paper_id, *params),
            )

    async def rename(self, user_id: int, old: str, new: str) -> bool:
        async with self._store.transaction() as tx:
            if old.lower() != new.lower() and await self._list_id(tx, user_id, new) is not None:
                raise SavedLimit("name_taken")
            renamed = await tx.execute(
                f"UPDATE saved_lists SET name = ? WHERE user_id = ? AND {_NAMED}",
                (new, user_id, old),
            )
            return bool(renamed)

    async def delete(self, user_id: int, list_name: str) -> int | None:
        """Delete a list and its items; returns how many papers it held, or None if absent."""
        async with self._store.transaction() as tx:
            list_id = await self._list_id(tx, user_id, list_name)
            if list_id is None:
                return None
            count = await scalar_in(
                tx, "SELECT count(*) FROM saved_items WHERE list_id = ?", (list_id,)
            )
            await tx.execute("DELETE FROM saved_lists WHERE id = ?", (list_id,))
            return count

    async def list_names(self, user_id: int) -> list[str]:
        return [s.name for s in await self.lists(user_id)]

    @staticmethod
    async def _list_id(tx: Tx, user_id: int, name: str) -> int | None:
        row = await tx.fetch_one(
            f"SELECT id FROM saved_lists WHERE user_id = ? AND {_NAMED}", (user_id, name)
        )
        return int(row[0]) if row else None


def _item(row: Any) -> SavedItem:
    saved = from_iso(row[7])
    assert saved is not None
    return SavedItem(
        list_name=row[0],
        paper_id=row[1],
        title=row[2],
        authors=tuple(json.loads(row[3])),
        published_at=from_iso(row[4]),
        status=row[5],
        note=row[6],
        saved_at=saved,
    )
