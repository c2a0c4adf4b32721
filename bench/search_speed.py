"""Search latency over 100,000 stored papers with 200 topic-language queries, typos among them.

Papers are built from the real abstracts and titles in tests/fixtures (sentences and title words
recombined, ~1,200-character abstracts) and stored in a real SQLite file with its FTS5 index.
Prints p50 and p95 of paperbot's search, and of a naive rapidfuzz scan over every title and
abstract, measured in the same run (the naive scan is timed on 20 of the queries: it takes
seconds per query). Target: p95 under 50 ms on this 2-core machine.

    .venv/bin/python bench/search_speed.py [--papers N]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import real_papers  # noqa: E402
from rapidfuzz import fuzz, process  # noqa: E402

from bot.core.models import Paper  # noqa: E402
from bot.core.search import SearchService  # noqa: E402
from bot.core.search_store import SearchStore  # noqa: E402
from bot.core.store import Store  # noqa: E402


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


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]


async def main(n_papers: int) -> int:
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as folder:
        async with await Store.open(Path(folder) / "bench.db") as store:
            papers = make_papers(n_papers, rng)
            started = time.perf_counter()
            for chunk in range(0, len(papers), 5000):
                await store.upsert_papers(papers[chunk : chunk + 5000], datetime.now(UTC))
            print(f"stored {n_papers:,} papers in {time.perf_counter() - started:.1f} s")
            search = SearchService(store, SearchStore(store))
            queries = make_queries(200, rng)
            await search.search("warm up", ask_hf=False)
            timings, found = [], []
            for query in queries:
                t0 = time.perf_counter()
                result = await search.search(query, ask_hf=False)
                timings.append((time.perf_counter() - t0) * 1000)
                found.append(len(result.papers))

    corpus = [f"{p.title} {p.abstract}" for p in papers]
    naive = []
    for query in queries[:20]:
        t0 = time.perf_counter()
        process.extract(query, corpus, scorer=fuzz.partial_ratio, limit=25)
        naive.append((time.perf_counter() - t0) * 1000)

    p50, p95 = percentile(timings, 50), percentile(timings, 95)
    n50 = statistics.median(naive)
    n95 = percentile(naive, 95)
    median_found = statistics.median(found)
    print(
        f"paperbot search: p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  "
        f"(200 queries, median {median_found:.0f} results)"
    )
    print(
        f"naive rapidfuzz: p50 {n50:6.1f} ms  p95 {n95:6.1f} ms  "
        "(20 queries, partial_ratio over title+abstract)"
    )
    print(f"ratio (naive / paperbot): p50 {n50 / p50:,.0f}x  p95 {n95 / p95:,.0f}x")
    print(f"target p95 < 50 ms: {'met' if p95 < 50 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--papers", type=int, default=100_000)
    raise SystemExit(asyncio.run(main(parser.parse_args().papers)))
