"""Quality of the topic matcher on the graded labeled set (tests/data/topic_labels.json).

Prints micro-averaged precision, recall and F1 over every (topic, paper) pair, for paperbot's
matcher and two baselines measured in the same run, on the development half (papers read while
the matcher was tuned), the held-out half (judged, never read for tuning) and both together.
A pair graded `must` is a paper to post, one graded none a paper not to post; `optional` pairs
count neither way (tests/data/LABELING.md). The baselines:
- substring: the whole query, lower-cased, as a substring of title + abstract + AI text;
- all-words: every word of the query (quotes, OR and minus signs removed) as a substring.
Target: precision >= 0.95 and F1 >= 0.95 on all papers, F1 >= 0.90 on the held-out half.

    .venv/bin/python bench/topic_quality.py [-v]     (-v lists every wrong judgment)
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass

from labeled import Topic, load

from bot.core.matching import doc_of, matches
from bot.core.models import Paper
from bot.core.query import parse

Matcher = Callable[[str], Callable[[Paper], bool]]


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    f1: float
    errors: list[str]


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


def score(papers: list[Paper], topics: list[Topic], make: Matcher) -> Score:
    tp = fp = fn = 0
    errors: list[str] = []
    for topic in topics:
        test = make(topic.query)
        for paper in papers:
            if paper.id in topic.optional:
                continue
            hit, want = test(paper), paper.id in topic.must
            tp += hit and want
            fp += hit and not want
            fn += want and not hit
            if hit != want:
                kind = "FP" if hit else "FN"
                errors.append(f"{kind} {topic.query!r} {paper.id} {paper.title[:60]}")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Score(precision, recall, f1, errors)


MATCHERS: dict[str, Matcher] = {
    "substring": substring,
    "all-words": all_words,
    "paperbot": paperbot,
}


def main() -> int:
    labeled = load()
    sets = {**labeled.sets, "all": labeled.papers}
    topics = labeled.topics
    verbose = "-v" in sys.argv
    print(f"{'set':<12} {'judgments':>9}  {'matcher':<10} {'precision':>9} {'recall':>7} {'F1':>6}")
    results: dict[str, Score] = {}
    for name, papers in sets.items():
        pairs = f"{len(papers)}x{len(topics)}"
        for matcher, make in MATCHERS.items():
            result = score(papers, topics, make)
            print(
                f"{name:<12} {pairs:>9}  {matcher:<10} {result.precision:>9.3f} "
                f"{result.recall:>7.3f} {result.f1:>6.3f}"
            )
            if matcher == "paperbot":
                results[name] = result
                if verbose and name != "all":
                    print("\n".join(f"    {error}" for error in result.errors))
    every, held = results["all"], results["held out"]
    met = every.precision >= 0.95 and every.f1 >= 0.95 and held.f1 >= 0.90
    print(
        "target (all: precision >= 0.95 and F1 >= 0.95; held out: F1 >= 0.90): "
        + ("met" if met else "NOT met")
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
