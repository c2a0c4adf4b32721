"""SQL for search: FTS5 ranking, the index's vocabulary, trending, titles (part of the store)."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from datetime import datetime

from bot.core.models import Paper
from bot.core.store import Store
from bot.core.store.driver import from_iso, to_iso
from bot.core.store.papers import PAPER_COLUMNS, paper_columns, paper_from_row
from bot.core.store.tsquery import RANK_WEIGHTS, TsqueryError, search_column

log = logging.getLogger(__name__)

RANK_WINDOW = 5000
# Where the frozen word statistics say how many papers they counted, and when.
TOTAL_KEY = "vocabulary_total"
FROZEN_KEY = "vocabulary_frozen_at"


class SearchExpressionError(Exception):
    """The search engine cannot run this expression (an FTS5 or tsquery syntax it refuses)."""


class SearchStore:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def fts(self, expression: str, limit: int) -> list[Paper]:
        """Papers matching an FTS5 expression: the best by bm25 among the newest matches, then
        older matches, newest first."""
        if self._store.dialect == "postgresql":
            return await self._tsquery(expression, limit)
        # bm25 runs on the index of the newest RECENT_PAPERS papers, and over at most
        # RANK_WINDOW of its matches: a query that matches half the store still answers in
        # milliseconds. Rowids are ranked alone, so the sorter never carries whole papers.
        try:
            rows = await self._store.fetch_all(
                "WITH recent AS (SELECT rowid, rank FROM papers_recent_fts "
                "WHERE papers_recent_fts MATCH ? ORDER BY rowid DESC LIMIT ?), "
                "best AS (SELECT rowid, rank FROM recent ORDER BY rank LIMIT ?) "
                f"SELECT {paper_columns('p')} FROM best JOIN papers p ON p.rowid = best.rowid "
                "ORDER BY best.rank",
                (expression, RANK_WINDOW, limit),
            )
            if len(rows) < limit:
                rows += await self._store.fetch_all(
                    "WITH older AS (SELECT rowid FROM papers_fts WHERE papers_fts MATCH ? "
                    "AND rowid <= (SELECT max(rowid) FROM papers) - ? "
                    "ORDER BY rowid DESC LIMIT ?) "
                    f"SELECT {paper_columns('p')} FROM older JOIN papers p "
                    "ON p.rowid = older.rowid ORDER BY older.rowid DESC",
                    (expression, self._store.ranked_papers, limit - len(rows)),
                )
        except sqlite3.OperationalError as exc:
            log.warning("search expression %r failed: %s", expression, exc)
            raise SearchExpressionError(str(exc)) from exc
        return [paper_from_row(r) for r in rows]

    async def _tsquery(self, expression: str, limit: int) -> list[Paper]:
        """PostgreSQL, as SQLite: ts_rank (with bm25's column weights) over the newest
        RANK_WINDOW matches among the newest papers (`papers_recent`), then older matches,
        newest first."""
        try:
            column, query = search_column(expression)
        except TsqueryError as exc:
            log.warning("search expression %r failed: %s", expression, exc)
            raise SearchExpressionError(str(exc)) from exc
        # Matches come off the GIN indexes (MATERIALIZED: never a walk down `seq` testing
        # every row's vector, which a rare word would make a scan of the table).
        async with self._store.transaction() as tx:
            # The planner prices testing a row's vector at nothing and would read every row
            # of a small table; the vectors are TOASTed, and the GIN index is far cheaper. A
            # generic plan (asyncpg prepares statements) would parse the tsquery text once per
            # row ranked, not once: plans are made for this query's own text.
            await tx.fetch_one(
                "SELECT set_config('enable_seqscan', 'off', true), "
                "set_config('plan_cache_mode', 'force_custom_plan', true)"
            )
            rows = await tx.fetch_all(
                f"WITH m AS MATERIALIZED (SELECT seq FROM papers_recent "
                f"WHERE {column} @@ to_tsquery('simple', ?1)), "
                "recent AS (SELECT seq FROM m ORDER BY seq DESC LIMIT ?2), "
                f"best AS (SELECT r.seq, ts_rank('{RANK_WEIGHTS}', r.{column}, "
                "to_tsquery('simple', ?1)) AS rank FROM recent JOIN papers_recent r "
                "ON r.seq = recent.seq ORDER BY rank DESC, r.seq DESC LIMIT ?3) "
                f"SELECT {paper_columns('p')} FROM best JOIN papers p ON p.seq = best.seq "
                "ORDER BY best.rank DESC, best.seq DESC",
                (query, RANK_WINDOW, limit),
            )
            newest = await tx.fetch_one("SELECT max(seq) FROM papers")
            older = int(newest[0] or 0) - self._store.ranked_papers if newest else 0
            if len(rows) < limit and older > 0:
                rows += await tx.fetch_all(
                    "WITH m AS MATERIALIZED (SELECT seq FROM papers "
                    f"WHERE {column} @@ to_tsquery('simple', ?) AND seq <= ?) "
                    f"SELECT {PAPER_COLUMNS} FROM papers WHERE seq IN "
                    "(SELECT seq FROM m ORDER BY seq DESC LIMIT ?) ORDER BY seq DESC",
                    (query, older, limit - len(rows)),
                )
        return [paper_from_row(r) for r in rows]

    async def vocabulary(self) -> list[str]:
        """Every word in the search index (for typo correction)."""
        if self._store.dialect == "postgresql":
            rows = await self._store.fetch_all(
                "SELECT word FROM ts_stat('SELECT search FROM papers')"
            )
        else:
            rows = await self._store.fetch_all("SELECT term FROM papers_vocab")
        return [str(r[0]) for r in rows]

    async def word_documents(self) -> tuple[int, list[tuple[str, int]]]:
        """How many papers are stored, and how many of them use each word of the index."""
        total = await self._store.fetch_one("SELECT count(*) FROM papers")
        if self._store.dialect == "postgresql":
            rows = await self._store.fetch_all(
                "SELECT word, ndoc FROM ts_stat('SELECT search FROM papers')"
            )
        else:
            rows = await self._store.fetch_all("SELECT term, doc FROM papers_vocab")
        return int(total[0]) if total else 0, [(str(r[0]), int(r[1])) for r in rows]

    async def frozen_words(self) -> tuple[int, list[tuple[str, int]], datetime] | None:
        """The word statistics frozen once (`freeze_words`): total, counts and when; or None."""
        total = await self._store.get_meta(TOTAL_KEY)
        frozen_at = from_iso(await self._store.get_meta(FROZEN_KEY))
        if total is None or frozen_at is None:
            return None
        rows = await self._store.fetch_all("SELECT word, documents FROM vocabulary")
        return int(total), [(str(r[0]), int(r[1])) for r in rows], frozen_at

    async def freeze_words(
        self, total: int, counts: Sequence[tuple[str, int]], now: datetime
    ) -> None:
        """Keep these statistics for good (the first freeze wins; later calls do nothing)."""
        async with self._store.transaction() as tx:
            if await tx.fetch_one("SELECT 1 FROM meta WHERE key = ?", (FROZEN_KEY,)):
                return
            await tx.executemany(
                "INSERT INTO vocabulary (word, documents) VALUES (?, ?) "
                "ON CONFLICT (word) DO NOTHING",
                counts,
            )
            for key, value in ((TOTAL_KEY, str(total)), (FROZEN_KEY, to_iso(now))):
                await tx.execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                    (key, value),
                )

    async def top_papers(self, since: datetime, limit: int) -> list[Paper]:
        """The most upvoted papers submitted (or first seen) since `since`."""
        rows = await self._store.fetch_all(
            f"SELECT {PAPER_COLUMNS} FROM papers "
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
