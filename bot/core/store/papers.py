"""The papers' SQL: columns, upserts keyed by canonical arXiv id, and rows back to `Paper`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.core.models import Paper
from bot.core.store.driver import Reads, Row, Tx, from_iso, to_iso

PAPER_COLUMNS = (
    "id, title, abstract, authors, published_at, submitted_at, upvotes, num_comments, "
    "github_repo, github_stars, ai_summary, ai_keywords, project_page, thumbnail, "
    "first_seen, last_seen"
)


def paper_columns(alias: str) -> str:
    """`PAPER_COLUMNS` qualified by a table alias, for joins."""
    return ", ".join(f"{alias}.{c.strip()}" for c in PAPER_COLUMNS.split(","))


# The newest papers search ranks by bm25 (migration 0005): counting a common phrase's papers
# over all of them is what bm25 costs, and older matches are listed newest first instead.
RECENT_PAPERS = 50_000


async def upsert_papers_in(
    tx: Tx, papers: Sequence[Paper], now: datetime, recent: int = RECENT_PAPERS
) -> set[str]:
    """Upsert inside an open transaction; returns the ids that were not stored before."""
    if not papers:
        return set()
    ids = [p.id for p in papers]
    known: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = await tx.fetch_all(f"SELECT id FROM papers WHERE id IN ({marks})", chunk)
        known.update(str(row[0]) for row in rows)
    stamp = to_iso(now)
    await tx.executemany(
        f"INSERT INTO papers ({PAPER_COLUMNS}) VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET "
        "title = excluded.title, abstract = excluded.abstract, authors = excluded.authors, "
        "published_at = coalesce(excluded.published_at, papers.published_at), "
        "submitted_at = coalesce(excluded.submitted_at, papers.submitted_at), "
        "upvotes = excluded.upvotes, "
        "num_comments = excluded.num_comments, "
        "github_repo = coalesce(excluded.github_repo, papers.github_repo), "
        "github_stars = coalesce(excluded.github_stars, papers.github_stars), "
        "ai_summary = coalesce(excluded.ai_summary, papers.ai_summary), "
        "ai_keywords = CASE WHEN excluded.ai_keywords = '[]' THEN papers.ai_keywords "
        "ELSE excluded.ai_keywords END, "
        "project_page = coalesce(excluded.project_page, papers.project_page), "
        "thumbnail = coalesce(excluded.thumbnail, papers.thumbnail), "
        "last_seen = excluded.last_seen",
        [_paper_params(p, stamp) for p in papers],
    )
    if len(known) < len(ids) and tx.dialect == "postgresql":
        # New papers: the oldest fall out of the ranking table (migrations_pg/0003).
        await tx.execute(
            "DELETE FROM papers_recent WHERE seq <= (SELECT max(seq) FROM papers) - ?",
            (recent,),
        )
    elif len(known) < len(ids):
        # New papers: the oldest fall out of the ranking index (migration 0005).
        await tx.execute(
            "DELETE FROM papers_recent_fts WHERE rowid <= (SELECT max(rowid) FROM papers) - ?",
            (recent,),
        )
    return {i for i in ids if i not in known}


async def papers_in(tx: Reads, ids: Sequence[str]) -> list[Paper]:
    """The stored papers of `ids` in id order (arXiv's: oldest first), in an open transaction
    or not."""
    found: dict[str, Paper] = {}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        marks = ",".join("?" * len(chunk))
        rows = await tx.fetch_all(
            f"SELECT {PAPER_COLUMNS} FROM papers WHERE id IN ({marks})", chunk
        )
        found.update((paper.id, paper) for paper in map(paper_from_row, rows))
    return [found[i] for i in sorted(found)]


def _paper_params(paper: Paper, stamp: str) -> tuple[Any, ...]:
    return (
        paper.id,
        paper.title,
        paper.abstract,
        json.dumps(list(paper.authors), ensure_ascii=False),
        to_iso(paper.published_at) if paper.published_at else None,
        to_iso(paper.submitted_at) if paper.submitted_at else None,
        paper.upvotes,
        paper.num_comments,
        paper.github_repo,
        paper.github_stars,
        paper.ai_summary,
        json.dumps(list(paper.ai_keywords), ensure_ascii=False),
        paper.project_page,
        paper.thumbnail,
        stamp,
        stamp,
    )


def paper_from_row(row: Row) -> Paper:
    return Paper(
        id=row["id"],
        title=row["title"],
        abstract=row["abstract"],
        authors=tuple(json.loads(row["authors"])),
        published_at=from_iso(row["published_at"]),
        submitted_at=from_iso(row["submitted_at"]),
        upvotes=row["upvotes"],
        num_comments=row["num_comments"],
        github_repo=row["github_repo"],
        github_stars=row["github_stars"],
        ai_summary=row["ai_summary"],
        ai_keywords=tuple(json.loads(row["ai_keywords"])),
        project_page=row["project_page"],
        thumbnail=row["thumbnail"],
        first_seen=from_iso(row["first_seen"]),
        last_seen=from_iso(row["last_seen"]),
    )
