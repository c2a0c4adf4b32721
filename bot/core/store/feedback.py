"""SQL for what topics learn from: each person's vote on a paper for a topic (part of the
store). The latest vote of a person wins; a topic's verdict on a paper is the sum of its votes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core.models import Paper, Vote
from bot.core.store import Store
from bot.core.store.driver import from_iso, to_iso
from bot.core.store.papers import papers_in

# Bumped in the transaction of every change to feedback: each process's learners are rebuilt
# when it differs (the topic index, which feedback does not change, is kept).
VERSION_KEY = "feedback_version"
BUMP_VERSION = (
    f"INSERT INTO meta (key, value) VALUES ('{VERSION_KEY}', '1') ON CONFLICT (key) "
    "DO UPDATE SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS TEXT)"
)


@dataclass(frozen=True, slots=True)
class FeedbackEntry:
    """One person's vote on one paper for one topic."""

    topic_id: int
    paper_id: str
    user_id: int
    vote: int  # 1: 👍 (or relevant), -1: 👎 (or not relevant)
    kind: str  # "vote" (a click), "teach" (/topic teach), "like" (a saved list given)
    at: datetime
    title: str  # the paper's, when the store has it ("" otherwise)


class FeedbackStore:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def vote(
        self,
        topic_ids: Sequence[int],
        paper_id: str,
        user_id: int,
        vote: int,
        kind: str,
        now: datetime,
    ) -> dict[int, int | None]:
        """Record the person's vote for each topic, in one transaction; returns each topic's
        previous vote of theirs on the paper (None: there was none)."""
        previous: dict[int, int | None] = {}
        async with self._store.transaction() as tx:
            for topic_id in topic_ids:
                row = await tx.fetch_one(
                    "SELECT vote FROM feedback WHERE topic_id = ? AND paper_id = ? AND user_id = ?",
                    (topic_id, paper_id, user_id),
                )
                previous[topic_id] = int(row[0]) if row else None
                await tx.execute(
                    "INSERT INTO feedback (topic_id, paper_id, user_id, vote, kind, at) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (topic_id, paper_id, user_id) "
                    "DO UPDATE SET vote = excluded.vote, kind = excluded.kind, at = excluded.at",
                    (topic_id, paper_id, user_id, vote, kind, to_iso(now)),
                )
            await tx.execute(BUMP_VERSION)
        return previous

    async def remove(self, topic_id: int, paper_id: str, user_id: int | None = None) -> int:
        """Remove the votes on a paper for a topic (one person's, or everyone's)."""
        sql = "DELETE FROM feedback WHERE topic_id = ? AND paper_id = ?"
        params: tuple[object, ...] = (topic_id, paper_id)
        if user_id is not None:
            sql, params = sql + " AND user_id = ?", (*params, user_id)
        async with self._store.transaction() as tx:
            removed = await tx.execute(sql, params)
            if removed:
                await tx.execute(BUMP_VERSION)
        return removed

    async def reset(self, topic_id: int) -> int:
        """Remove everything a topic learned from."""
        async with self._store.transaction() as tx:
            removed = await tx.execute("DELETE FROM feedback WHERE topic_id = ?", (topic_id,))
            if removed:
                await tx.execute(BUMP_VERSION)
        return removed

    async def entries(self, topic_id: int) -> list[FeedbackEntry]:
        """What a topic learned from, newest first."""
        rows = await self._store.fetch_all(
            "SELECT f.topic_id, f.paper_id, f.user_id, f.vote, f.kind, f.at, p.title "
            "FROM feedback f LEFT JOIN papers p ON p.id = f.paper_id "
            "WHERE f.topic_id = ? ORDER BY f.at DESC, f.paper_id, f.user_id",
            (topic_id,),
        )
        found = []
        for r in rows:
            at = from_iso(r[5])
            assert at is not None
            found.append(FeedbackEntry(int(r[0]), r[1], int(r[2]), int(r[3]), r[4], at, r[6] or ""))
        return found

    async def counts(self, topic_ids: Sequence[int]) -> dict[int, int]:
        """How many votes each topic holds."""
        if not topic_ids:
            return {}
        marks = ", ".join("?" for _ in topic_ids)
        rows = await self._store.fetch_all(
            f"SELECT topic_id, count(*) FROM feedback WHERE topic_id IN ({marks}) "
            "GROUP BY topic_id",
            tuple(topic_ids),
        )
        return {int(r[0]): int(r[1]) for r in rows}

    async def votes(self) -> list[Vote]:
        """Every topic's examples: each paper's net vote, where it is not 0."""
        rows = await self._store.fetch_all(
            "SELECT topic_id, paper_id, sum(vote) FROM feedback GROUP BY topic_id, paper_id "
            "HAVING sum(vote) <> 0 ORDER BY topic_id, paper_id"
        )
        return [Vote(int(r[0]), r[1], 1 if int(r[2]) > 0 else -1) for r in rows]

    async def papers(self, ids: Sequence[str]) -> dict[str, Paper]:
        """The stored papers of `ids` (those the store has)."""
        return {p.id: p for p in await papers_in(self._store, ids)}

    async def posted_for(self, channel_id: int, paper_id: str) -> list[int]:
        """The topics a paper was posted (or queued) for in a channel: what a vote on it
        teaches."""
        row = await self._store.fetch_one(
            "SELECT topic_ids FROM deliveries WHERE channel_id = ? AND paper_id = ?",
            (channel_id, paper_id),
        )
        return [int(t) for t in json.loads(row[0])] if row else []

    async def version(self) -> int:
        value = await self._store.get_meta(VERSION_KEY)
        return int(value) if value else 0
