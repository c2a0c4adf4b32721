"""SQL for search: FTS5 ranking, the index's vocabulary, trending, titles (part of the store)."""

from __future__ import annotations

from datetime import datetime

from bot.core.models import Paper
from bot.core.store import _PAPER_COLUMNS, Store, paper_from_row, to_iso

# bm25 column weights: title, abstract, authors, keywords, AI summary.
_BM25 = "bm25(papers_fts, 10.0, 1.0, 3.0, 4.0, 2.0)"
_P_COLUMNS = ", ".join(f"p.{c.strip()}" for c in _PAPER_COLUMNS.split(","))


class SearchStore:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def fts(self, expression: str, limit: int) -> list[Paper]:
        """Papers matching an FTS5 expression, best bm25 first."""
        rows = await self._store.fetch_all(
            f"SELECT {_P_COLUMNS} FROM papers_fts JOIN papers p ON p.rowid = papers_fts.rowid "
            f"WHERE papers_fts MATCH ? ORDER BY {_BM25} LIMIT ?",
            (expression, limit),
        )
        return [paper_from_row(r) for r in rows]

    async def vocabulary(self, first_letter: str, min_len: int, max_len: int) -> list[str]:
        """Indexed words that start with `first_letter`, of a length in [min_len, max_len]."""
        upper = chr(ord(first_letter) + 1)
        rows = await self._store.fetch_all(
            "SELECT term FROM papers_vocab WHERE term >= ? AND term < ? "
            "AND length(term) BETWEEN ? AND ?",
            (first_letter, upper, min_len, max_len),
        )
        return [str(r[0]) for r in rows]

    async def top_papers(self, since: datetime, limit: int) -> list[Paper]:
        """The most upvoted papers submitted (or first seen) since `since`."""
        rows = await self._store.fetch_all(
            f"SELECT {_PAPER_COLUMNS} FROM papers "
            "WHERE coalesce(submitted_at, first_seen) >= ? ORDER BY upvotes DESC, id LIMIT ?",
            (to_iso(since), limit),
        )
        return [paper_from_row(r) for r in rows]

    async def titles(self) -> list[tuple[str, str]]:
        """(id, title) of every stored paper, newest first, for autocomplete."""
        rows = await self._store.fetch_all(
            "SELECT id, title FROM papers ORDER BY coalesce(submitted_at, first_seen) DESC"
        )
        return [(str(r[0]), str(r[1])) for r in rows]
