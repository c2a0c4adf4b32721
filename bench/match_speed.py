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
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import make_papers, make_topics  # noqa: E402

from bot.core.matching import doc_of, matches  # noqa: E402
from bot.core.topic_index import TopicIndex  # noqa: E402


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
