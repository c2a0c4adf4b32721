"""Search latency at 10,000, 100,000 and 1,000,000 stored papers, 200 topic-language queries.

Papers are built from the real abstracts and titles in tests/fixtures (sentences and title words
recombined, ~1,200-character abstracts) and stored in one real SQLite file with its FTS5 index,
grown from one size to the next. At each size, measured in the same run on the same file:
- paperbot's search (`SearchService.search`: plurals, acronyms, typos corrected, the topic
  language's meaning, bm25 over the newest 5,000 matches, up to 200 results);
- plain FTS5 (the baseline a competent engineer writes first): the query's words as FTS5 terms,
  quoted phrases, OR, -word as NOT and title: as a column filter, then
  `MATCH ? ORDER BY rank LIMIT 25`. It leaves out plurals, acronyms and typos (fewer results),
  and ranks every match;
- an extra line up to 100,000 papers: a naive rapidfuzz scan of every title and abstract
  (20 queries; seconds per query).
Target: paperbot's p95 under 50 ms at 1,000,000 papers on this 2-core machine.

With `--backend postgresql` the same runs on PostgreSQL (a throw-away server started here, as
the tests start theirs, but with shared_buffers=1GB as a tuned server has; `--shared-buffers`
changes it): paperbot's search there is tsvector + GIN ranked by ts_rank, and the baseline is
plain `search @@ to_tsquery(...) ORDER BY ts_rank LIMIT 25`. The store is VACUUM ANALYZEd
after each load, as autovacuum would. Target: p95 under 50 ms at 100,000 papers.

    .venv/bin/python -m bench.search_speed [--papers 10000,100000,1000000]   (about 8 minutes)
    .venv/bin/python -m bench.search_speed --backend postgresql --papers 10000,100000
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rapidfuzz import fuzz, process

import bench
from bot.core.models import Paper
from bot.core.search import SearchService
from bot.core.store import Store
from bot.core.store.search import SearchStore
from bot.core.store.tsquery import to_tsquery
from tests.support.data import real_papers
from tests.support.postgres import PostgresServer

SHARED_BUFFERS = "1GB"  # PostgreSQL's memory for pages (a quarter of RAM, as tuning guides say)


def make_papers(n: int, rng: random.Random) -> list[Paper]:
    base = real_papers()
    sentences = [s for p in base for s in re.split(r"(?<=\.) ", p.abstract) if len(s) > 30]
    title_words = [w for p in base for w in p.title.split()]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    papers = []
    for i in range(n):
        source = rng.choice(base)
        title = " ".join(rng.sample(title_words, 4) + source.title.split()[:5])
        papers.append(
            Paper(
                id=f"{2601 + i // 90000}.{i % 90000:05d}",
                title=title,
                abstract=" ".join(rng.sample(sentences, 7)),
                authors=source.authors,
                ai_summary=source.ai_summary,
                ai_keywords=source.ai_keywords,
                upvotes=rng.randrange(0, 300),
                submitted_at=start + timedelta(minutes=i),
            )
        )
    return papers


def typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def make_queries(n: int, rng: random.Random) -> list[str]:
    base = real_papers()
    words = sorted({w for p in base for w in re.findall(r"[a-z]{5,}", p.title.lower())})
    phrases = sorted({k.lower() for p in base for k in p.ai_keywords if 1 < len(k.split()) <= 3})
    queries = []
    for _ in range(n):
        roll = rng.random()
        a, b = rng.choice(words), rng.choice(words)
        if roll < 0.2:
            queries.append(typo(a, rng))
        elif roll < 0.4:
            queries.append(f'"{rng.choice(phrases)}"')
        elif roll < 0.55:
            queries.append(f"{a} {b}")
        elif roll < 0.7:
            queries.append(f"{a} OR {b}")
        elif roll < 0.8:
            queries.append(f"{a} -{b}")
        elif roll < 0.9:
            queries.append(f"title:{a}")
        else:
            queries.append(f"{typo(a, rng)} {b}")
    return queries


def plain_fts(query: str) -> str:
    """The query as a first FTS5 expression: words and phrases quoted, OR kept, -word as NOT,
    title:word as a column filter."""
    parts = []
    for token in re.findall(r'-?(?:\w+:)?"[^"]*"|\S+', query):
        negated = token.startswith("-")
        token = token.lstrip("-")
        column = ""
        if re.match(r"\w+:", token):
            column, token = token.split(":", 1)
        if token == "OR" and not column:
            parts.append("OR")
            continue
        term = '"' + token.strip('"').replace('"', "") + '"'
        if column:
            term = f"{column} : {term}"
        parts.append(f"NOT {term}" if negated else term)
    return " ".join(parts)


async def plain_search(store: Store, query: str) -> int:
    if store.dialect == "postgresql":
        rows = await store.fetch_all(
            "WITH q AS (SELECT to_tsquery('simple', ?) AS q) SELECT p.id, p.title FROM papers p, "
            "q WHERE p.search @@ q.q ORDER BY ts_rank(p.search, q.q) DESC LIMIT 25",
            (to_tsquery(plain_fts(query)),),
        )
        return len(rows)
    rows = await store.fetch_all(
        "SELECT p.id, p.title FROM papers_fts JOIN papers p ON p.rowid = papers_fts.rowid "
        "WHERE papers_fts MATCH ? ORDER BY rank LIMIT 25",
        (plain_fts(query),),
    )
    return len(rows)


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]


async def timed(
    run: Callable[[str], Awaitable[int]], queries: list[str]
) -> tuple[list[float], list[int]]:
    timings, found = [], []
    for query in queries:
        t0 = time.perf_counter()
        found.append(await run(query))
        timings.append((time.perf_counter() - t0) * 1000)
    return timings, found


async def main(sizes: list[int], backend: str, shared_buffers: str = SHARED_BUFFERS) -> int:
    if backend == "postgresql":
        server = PostgresServer(shared_buffers=shared_buffers)
        await asyncio.to_thread(server.start)
        try:
            await server.prepare_template()
            return await measure(sizes, await server.new_database(), backend)
        finally:
            await asyncio.to_thread(server.stop)
    with tempfile.TemporaryDirectory() as folder:
        return await measure(sizes, str(Path(folder) / "bench.db"), backend)


async def measure(sizes: list[int], target: str, backend: str) -> int:
    rng = random.Random(11)
    papers = make_papers(max(sizes), rng)
    queries = make_queries(200, rng)
    met = True
    baseline = "plain FTS5" if backend == "sqlite" else "plain tsquery"
    async with await Store.open(target) as store:
        stored = 0
        for size in sorted(sizes):
            started = time.perf_counter()
            for chunk in range(stored, size, 5000):
                batch = papers[chunk : min(chunk + 5000, size)]
                await store.upsert_papers(batch, datetime.now(UTC))
            stored = size
            if store.dialect == "postgresql":
                await store.fetch_all("VACUUM ANALYZE")  # what autovacuum does after a bulk load
            print(f"{size:,} papers (stored in {time.perf_counter() - started:.0f} s)")
            search = SearchService(store, SearchStore(store))
            await search.search("warm up", ask_hf=False)
            await search.search("reinforcment", ask_hf=False)  # reads the vocabulary once

            async def ours(query: str, search: SearchService = search) -> int:
                return len((await search.search(query, ask_hf=False)).papers)

            async def plain(query: str) -> int:
                return await plain_search(store, query)

            mine, found = await timed(ours, queries)
            theirs, plain_found = await timed(plain, queries)
            p95, b95 = percentile(mine, 95), percentile(theirs, 95)
            print(
                f"  paperbot   p50 {percentile(mine, 50):6.1f} ms  p95 {p95:6.1f} ms  "
                f"max {max(mine):6.1f} ms  (median {statistics.median(found):.0f} results)"
            )
            print(
                f"  {baseline} p50 {percentile(theirs, 50):6.1f} ms  p95 {b95:6.1f} ms  "
                f"max {max(theirs):6.1f} ms  (median {statistics.median(plain_found):.0f} "
                "results of 25 at most)"
            )
            print(f"  p95 ratio ({baseline} / paperbot): {b95 / p95:.2f}x")
            if size <= 100_000:
                corpus = [f"{p.title} {p.abstract}" for p in papers[:size]]
                naive = []
                for query in queries[:20]:
                    t0 = time.perf_counter()
                    process.extract(query, corpus, scorer=fuzz.partial_ratio, limit=25)
                    naive.append((time.perf_counter() - t0) * 1000)
                print(
                    f"  naive rapidfuzz p50 {statistics.median(naive):6.0f} ms "
                    "(20 queries, partial_ratio over title+abstract)"
                )
            goal = 1_000_000 if backend == "sqlite" else 100_000
            if size == goal:
                met = p95 < 50
                print(f"  target p95 < 50 ms at {goal:,}: {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", default="10000,100000,1000000", help="comma-separated sizes")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--shared-buffers", default=SHARED_BUFFERS, help="the PostgreSQL server's shared_buffers"
    )
    args = parser.parse_args()
    sizes = [int(n) for n in args.papers.split(",")]
    bench.run(lambda: asyncio.run(main(sizes, args.backend, args.shared_buffers)))
