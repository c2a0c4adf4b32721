"""Searching stored papers with the topic language, ranked by SQLite FTS5.

The query tree becomes an FTS5 expression (plurals and acronym expansions included) for bm25
ranking; the topic matcher then keeps exactly the papers the query means. When that finds
little, typos are corrected against the index's own vocabulary (rapidfuzz), and when the store
still has fewer than five, Hugging Face's search is asked and its papers stored.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, Protocol

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.core.clock import Clock, utc_now
from bot.core.errors import SourceError, UserError
from bot.core.matching.query import parse
from bot.core.matching.text import fold
from bot.core.matching.tree import Any_, Group, Node, Not, Phrase, Term
from bot.core.models import Paper
from bot.core.paper_ids import parse_paper_id
from bot.core.store import Store
from bot.core.store.search import SearchExpressionError, SearchStore

log = logging.getLogger(__name__)

Sort = Literal["relevance", "upvotes", "newest"]
Period = Literal["today", "week", "month"]
PERIODS = {"today": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=30)}
CANDIDATES = 200
FEW = 5
TITLE_CACHE_SECONDS = 60.0
VOCABULARY_SECONDS = 600.0


class RemoteSearch(Protocol):
    async def search(self, query: str, *, limit: int = 20) -> list[Paper]: ...

    async def paper(self, paper_id: str) -> Paper | None: ...


@dataclass(frozen=True, slots=True)
class SearchResult:
    query: str
    understood: str
    papers: tuple[Paper, ...]
    corrected: bool
    from_hf: int


def fts_expression(node: Node, corrections: dict[str, list[str]] | None = None) -> str:
    """An FTS5 MATCH expression with the same meaning as `node` (before the matcher's check)."""
    fixes = corrections or {}
    if isinstance(node, Term):
        forms = set(_surface_forms(node.word))
        if node.label and " " not in node.label:
            forms.add(node.label)
        forms.update(fixes.get(node.word, []))
        return _column(node.field, _any_of(forms))
    if isinstance(node, Phrase):
        *head, last = node.words
        forms = {" ".join([*head, form]) for form in _surface_forms(last)}
        if node.label:
            forms.add(node.label)
        return _column(node.field, _any_of(forms))
    if isinstance(node, Not):
        raise AssertionError("exclusions are rendered by their All")
    if isinstance(node, Group):
        # The words standing together, or each of them anywhere: search counts any mention.
        together = [fts_expression(p, fixes) for p in node.phrases]
        apart = " AND ".join(fts_expression(p, fixes) for p in node.parts)
        return "(" + " OR ".join([*together, f"({apart})"]) + ")"
    if isinstance(node, Any_):
        parts = [fts_expression(c, fixes) for c in node.children if not isinstance(c, Not)]
        return "(" + " OR ".join(parts) + ")"
    positive = [fts_expression(c, fixes) for c in node.children if not isinstance(c, Not)]
    negative = [fts_expression(c.child, fixes) for c in node.children if isinstance(c, Not)]
    expression = "(" + " AND ".join(positive) + ")"
    for excluded in negative:
        expression += f" NOT {excluded}"
    return expression


def _surface_forms(stem: str) -> set[str]:
    """The written forms that the matcher's stemmer maps onto `stem` (singular and plurals)."""
    forms = {stem, stem + "s", stem + "es"}
    if stem.endswith("y") and len(stem) > 2:
        forms.add(stem[:-1] + "ies")
    return forms


_COLUMNS = {"title": "title", "abstract": "abstract", "author": "authors", "keyword": "ai_keywords"}


def _column(field: str | None, expression: str) -> str:
    if field is None:
        return expression
    if field == "abstract":
        return "{abstract ai_summary} : " + expression
    return f"{_COLUMNS[field]} : {expression}"


def _any_of(forms: set[str]) -> str:
    """Forms as FTS5 alternatives, each once as the index sees it ("VLM" is "vlm", and
    "text-to-image" is "text to image"): ranking pays a scan of the index for each."""
    tokens = {" ".join(_FTS_TOKEN.findall(fold(f))) for f in forms}
    return "(" + " OR ".join(sorted(_quote(t) for t in tokens if t)) + ")"


_FTS_TOKEN = re.compile(r"[^\W_]+")


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _fuzzy_terms(node: Node) -> list[Term]:
    if isinstance(node, Term):
        return [node] if node.fuzzy else []
    if isinstance(node, Phrase):
        return []
    if isinstance(node, Not):
        return []
    if isinstance(node, Group):
        return [t for p in node.parts for t in _fuzzy_terms(p)]
    return [t for c in node.children for t in _fuzzy_terms(c)]


def _positive_words(node: Node) -> list[str]:
    if isinstance(node, Term):
        return [node.label or node.word]
    if isinstance(node, Phrase):
        return [node.label or " ".join(node.words)]
    if isinstance(node, Not):
        return []
    if isinstance(node, Group):
        return [node.label]
    if isinstance(node, Any_):
        return _positive_words(node.children[0])
    return [w for c in node.children for w in _positive_words(c)]


def _newest(paper: Paper) -> float:
    return paper.dated.timestamp() if paper.dated else 0.0


class SearchService:
    """/papers search, show, trending and the paper autocomplete."""

    def __init__(
        self,
        store: Store,
        search_store: SearchStore,
        remote: RemoteSearch | None = None,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._search = search_store
        self._remote = remote
        self._clock = clock
        self._titles: list[tuple[str, str]] = []
        self._titles_at = -TITLE_CACHE_SECONDS
        self._titles_lock = asyncio.Lock()
        self._vocab: dict[str, list[str]] = {}
        self._vocab_at = -VOCABULARY_SECONDS
        self._vocab_lock = asyncio.Lock()

    async def search(
        self, text: str, sort: Sort = "relevance", *, ask_hf: bool = True
    ) -> SearchResult:
        query = parse(text)
        found = await self._local(query.tree, None)
        corrected = False
        if len(found) < FEW and _fuzzy_terms(query.tree):
            corrections = await self._corrections(query.tree)
            if corrections:
                more = await self._local(query.tree, corrections)
                seen = {p.id for p in found}
                found += [p for p in more if p.id not in seen]
                corrected = True
        from_hf = 0
        if len(found) < FEW and ask_hf and self._remote is not None:
            extra = await self._ask_hf(query.tree, {p.id for p in found})
            from_hf = len(extra)
            found += extra
        return SearchResult(
            query=query.text,
            understood=query.understood,
            papers=tuple(_sorted(found, sort)),
            corrected=corrected,
            from_hf=from_hf,
        )

    async def _local(self, tree: Node, corrections: dict[str, list[str]] | None) -> list[Paper]:
        # The FTS expression spells out the forms the matcher accepts (plurals, acronyms,
        # compounds), so its results need no second pass; any mention counts in search.
        try:
            return await self._search.fts(fts_expression(tree, corrections), CANDIDATES)
        except SearchExpressionError:
            raise UserError("That query can't be searched; try simpler words.") from None

    async def _corrections(self, tree: Node) -> dict[str, list[str]]:
        vocabulary = await self._vocabulary()
        fixes: dict[str, list[str]] = {}
        for term in _fuzzy_terms(tree):
            word = term.word
            bucket = vocabulary.get(word[0], [])
            close = process.extract(word, bucket, scorer=OSA.distance, score_cutoff=1, limit=10)
            found = [c[0] for c in close if c[0] != word]
            if found:
                fixes[word] = found
        return fixes

    async def _vocabulary(self) -> dict[str, list[str]]:
        """The index's words by first letter, cached: reading them takes a while on big stores."""
        async with self._vocab_lock:
            if time.monotonic() - self._vocab_at > VOCABULARY_SECONDS:
                buckets: dict[str, list[str]] = {}
                for word in await self._search.vocabulary():
                    if len(word) >= 4 and not word.isdigit():
                        buckets.setdefault(word[0], []).append(word)
                self._vocab, self._vocab_at = buckets, time.monotonic()
            return self._vocab

    async def _ask_hf(self, tree: Node, have: set[str]) -> list[Paper]:
        assert self._remote is not None
        text = " ".join(_positive_words(tree))
        try:
            papers = await self._remote.search(text, limit=20)
        except SourceError as exc:
            log.warning("Hugging Face search failed: %s", exc)
            return []
        fresh = [p for p in papers if p.id not in have]
        if fresh:
            await self._store.upsert_papers(fresh, self._clock())
            self._titles_at = -TITLE_CACHE_SECONDS
        return fresh

    async def show(self, text: str) -> Paper:
        """One paper by id or URL: from the store, else from Hugging Face (then stored)."""
        paper_id = parse_paper_id(text)
        paper = await self._store.get_paper(paper_id)
        if paper is not None:
            return paper
        if self._remote is not None:
            try:
                paper = await self._remote.paper(paper_id)
            except SourceError as exc:
                raise UserError(
                    f"Couldn't reach Hugging Face to look up {paper_id} ({exc}). Try again later."
                ) from exc
            if paper is not None:
                await self._store.upsert_papers([paper], self._clock())
                self._titles_at = -TITLE_CACHE_SECONDS
                stored = await self._store.get_paper(paper_id)
                return stored or paper
        raise UserError(f"No paper {paper_id} is known here or on Hugging Face.")

    async def trending(self, period: Period, limit: int = 50) -> list[Paper]:
        return await self._search.top_papers(self._clock() - PERIODS[period], limit)

    async def complete(self, typed: str, limit: int = 25) -> list[tuple[str, str]]:
        """(id, title) suggestions for what has been typed into a `paper` option."""
        titles = await self._title_cache()
        text = typed.strip()
        if not text:
            return titles[:limit]
        try:
            wanted = parse_paper_id(text)
        except UserError:
            wanted = None
        by_id = [t for t in titles if wanted and t[0] == wanted]
        by_id += [t for t in titles if t[0].startswith(text) and t not in by_id][:limit]
        scored = process.extract(
            text,
            [t[1] for t in titles],
            scorer=fuzz.WRatio,
            processor=str.lower,
            limit=limit,
            score_cutoff=50,
        )
        by_title = [titles[index] for _title, _score, index in scored]
        result = by_id + [t for t in by_title if t not in by_id]
        return result[:limit]

    async def _title_cache(self) -> list[tuple[str, str]]:
        async with self._titles_lock:
            if time.monotonic() - self._titles_at > TITLE_CACHE_SECONDS:
                self._titles = await self._search.titles()
                self._titles_at = time.monotonic()
            return self._titles


def _sorted(papers: list[Paper], sort: Sort) -> list[Paper]:
    if sort == "upvotes":
        return sorted(papers, key=lambda p: (-p.upvotes, p.id))
    if sort == "newest":
        return sorted(papers, key=lambda p: (-_newest(p), p.id))
    return papers
