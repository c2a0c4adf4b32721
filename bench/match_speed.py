"""Matching speed: 1,000 new papers against 10,000 and 100,000 topics.

paperbot's TopicIndex against the naive loop over every (paper, topic) pair, in the same run.
Papers are built from the real abstracts in tests/fixtures (sentences recombined); topics from
their words and keyword phrases, with ORs, exclusions, field limits and typos mixed in. The naive
loop over 100,000 topics would take minutes, so it is timed on a slice of the topics and scaled
linearly (every pair costs the same to it); the printed line says so.
Target: 1,000 papers x 100,000 topics in under 2 s on this 2-core machine.

    .venv/bin/python bench/match_speed.py
"""

from __future__ import annotations

import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import real_papers  # noqa: E402

from bot.core.matching import TopicIndex, doc_of, matches  # noqa: E402
from bot.core.models import Paper  # noqa: E402
from bot.core.query import Node, parse  # noqa: E402

SYLLABLES = [
    "neu",
    "ral",
    "trans",
    "form",
    "gra",
    "dient",
    "sto",
    "chas",
    "tic",
    "vari",
    "ation",
    "kern",
    "tensor",
    "quant",
    "spec",
    "tral",
    "morph",
    "opti",
    "mal",
    "robo",
    "flow",
]


def make_papers(n: int, rng: random.Random) -> list[Paper]:
    base = real_papers()
    sentences = [s for p in base for s in re.split(r"(?<=\.) ", p.abstract) if len(s) > 30]
    papers = []
    for i in range(n):
        source = rng.choice(base)
        abstract = " ".join(rng.sample(sentences, 8))
        papers.append(
            Paper(
                id=f"2611.{i:05d}",
                title=source.title,
                abstract=abstract,
                authors=source.authors,
                ai_summary=source.ai_summary,
                ai_keywords=source.ai_keywords,
            )
        )
    return papers


def typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word))
    return word[:i] + word[i + 1 :]


def make_topics(n: int, rng: random.Random) -> list[Node]:
    base = real_papers()
    phrases = sorted({k for p in base for k in p.ai_keywords if 1 < len(k.split()) <= 3})
    vocab = sorted({w for p in base for w in re.findall(r"[a-z]{4,}", p.title.lower())})
    # Across thousands of servers, most topics name things a given day's papers never mention.
    vocab += [
        f"{rng.choice(SYLLABLES)}{rng.choice(SYLLABLES)}{rng.choice(SYLLABLES)}"
        for _ in range(20000)
    ]
    queries = []
    for _ in range(n):
        roll = rng.random()
        w1, w2, w3 = rng.choice(vocab), rng.choice(vocab), rng.choice(vocab)
        if roll < 0.3:
            q = f'"{rng.choice(phrases)}"'
        elif roll < 0.5:
            q = f"{w1} {w2}"
        elif roll < 0.65:
            q = f"{w1} OR {w2}"
        elif roll < 0.75:
            q = f"{w1} -{w2}"
        elif roll < 0.85:
            q = f"title:{w1} ({w2} OR {w3})"
        else:
            q = typo(w1, rng) if len(w1) >= 6 else w1
        queries.append(parse(q).tree)
    return queries


def main() -> int:
    rng = random.Random(7)
    papers = make_papers(1000, rng)
    for n_topics in (10_000, 100_000):
        topics = make_topics(n_topics, rng)
        start = time.perf_counter()
        index = TopicIndex(enumerate(topics))
        build = time.perf_counter() - start

        # What one poll costs: prepare the new papers, then match each against the index.
        start = time.perf_counter()
        docs = [doc_of(p) for p in papers]
        hits = sum(len(index.match(d)) for d in docs)
        indexed = time.perf_counter() - start

        sample = topics[: max(n_topics // 100, 100)]
        docs = [doc_of(p) for p in papers]
        start = time.perf_counter()
        naive_hits = sum(1 for d in docs for t in sample if matches(t, d))
        naive = (time.perf_counter() - start) * (len(topics) / len(sample))
        sample_index = TopicIndex(enumerate(sample))
        assert sum(len(sample_index.match(d)) for d in docs) == naive_hits, "index != naive"
        print(
            f"1,000 papers x {n_topics:>7,} topics: index {indexed:5.2f} s "
            f"(+ {build:.2f} s to build it once) -> {hits:,} matches | naive loop "
            f"{naive:6.1f} s (timed on {len(sample):,} topics, scaled) | "
            f"ratio {naive / indexed:,.0f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
