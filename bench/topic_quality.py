"""Quality of the topic matcher on the labeled set in tests/data/topic_labels.json.

Prints micro-averaged precision, recall and F1 over every (topic, paper) pair for paperbot's
matcher and two baselines measured in the same run:
- substring: the whole query, lower-cased, as a substring of title + abstract + keywords;
- all-words: every word of the query (quotes, OR and minus signs removed) as a substring.
Target: F1 >= 0.95 with precision >= 0.95.

    .venv/bin/python bench/topic_quality.py
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.core.hf_parser import parse_body  # noqa: E402
from bot.core.matching import doc_of, matches  # noqa: E402
from bot.core.models import Paper  # noqa: E402
from bot.core.query import parse  # noqa: E402

LABELS = ROOT / "tests" / "data" / "topic_labels.json"
FIXTURES = ROOT / "tests" / "fixtures" / "hf-api"


def load() -> tuple[list[Paper], list[tuple[str, set[str]]]]:
    data = json.loads(LABELS.read_text("utf-8"))
    papers: dict[str, Paper] = {}
    for name in data["fixtures"]:
        for paper in parse_body((FIXTURES / name).read_bytes()).papers:
            papers.setdefault(paper.id, paper)
    topics = [(t["query"], set(t["relevant"])) for t in data["topics"]]
    return list(papers.values()), topics


def haystack(paper: Paper) -> str:
    return " ".join(
        [paper.title, paper.abstract, paper.ai_summary or "", *paper.ai_keywords]
    ).lower()


def substring(query: str) -> Callable[[Paper], bool]:
    needle = query.lower()
    return lambda p: needle in haystack(p)


def all_words(query: str) -> Callable[[Paper], bool]:
    terms = [w for w in re.findall(r"[\w-]+", query.lower().replace(":", " ")) if w != "or"]
    return lambda p: all(t in haystack(p) for t in terms)


def paperbot(query: str) -> Callable[[Paper], bool]:
    tree = parse(query).tree
    return lambda p: matches(tree, doc_of(p))


def score(
    papers: list[Paper],
    topics: list[tuple[str, set[str]]],
    make: Callable[[str], Callable[[Paper], bool]],
) -> tuple[float, float, float, list[str]]:
    tp = fp = fn = 0
    misses: list[str] = []
    for query, relevant in topics:
        test = make(query)
        for paper in papers:
            hit, want = test(paper), paper.id in relevant
            tp += hit and want
            fp += hit and not want
            fn += want and not hit
            if hit != want:
                misses.append(f"{'FP' if hit else 'FN'} {query!r} {paper.id} {paper.title[:60]}")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1, misses


def main() -> int:
    papers, topics = load()
    pairs = len(papers) * len(topics)
    print(f"labeled set: {len(papers)} papers x {len(topics)} topics = {pairs} judgments")
    print(f"{'matcher':<12} {'precision':>9} {'recall':>7} {'F1':>6}")
    results = {}
    for name, make in (("substring", substring), ("all-words", all_words), ("paperbot", paperbot)):
        p, r, f, misses = score(papers, topics, make)
        results[name] = (p, r, f, misses)
        print(f"{name:<12} {p:>9.3f} {r:>7.3f} {f:>6.3f}")
    p, r, f, misses = results["paperbot"]
    base = results["all-words"][2]
    print(f"paperbot F1 / all-words F1 = {f / base:.2f}x" if base else "")
    if "-v" in sys.argv:
        print("\n".join(misses))
    target = p >= 0.95 and f >= 0.95
    print(f"target (F1 >= 0.95, precision >= 0.95): {'met' if target else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
