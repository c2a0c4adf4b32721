"""Matching one poll of 1,000 new papers against 10,000 and 100,000 topics.

Measured in the same run, preparing the papers included in each:
- inverted index (the baseline a competent engineer writes first): every word of every query
  indexed, identical queries merged, and each candidate checked by plain set membership (words
  as written, phrases as substrings). It leaves out everything the topic language forgives or
  judges (word forms, typos, acronyms, salience, proximity, concepts), so its results differ:
  the overlap is printed;
- paperbot: `TopicIndex` and its matcher, the rules of `bot/core/matching/rules.py` included;
- naive loop (an extra line): paperbot's matcher over every (paper, topic) pair, timed on a
  sample of topics and scaled. paperbot's index must find exactly what the loop finds.
Target: paperbot at least 2x faster than the inverted index at 100,000 topics.
With feedback (every one of 10,000 topics taught 3 papers): judging the poll by rules and
learners, as the planner does, in at most 2x the rules' time.

    .venv/bin/python -m bench.match_speed
"""

from __future__ import annotations

import argparse
import random
import re
import time
from collections.abc import Callable

import bench
from bot.core.learning.features import Stats
from bot.core.learning.topics import build, judge_paper
from bot.core.matching.index import TopicIndex
from bot.core.matching.judge import doc_of, matches
from bot.core.matching.query import parse
from bot.core.matching.tree import Any_, Group, Node, Not, Phrase, Term
from bot.core.matching.vocabulary import english
from bot.core.models import Paper, Vote
from tests.support.data import make_papers, make_queries

_WORD = re.compile(r"[a-z0-9]+")


def _plain(node: Node) -> Callable[[set[str], str], bool]:
    """The baseline's matcher: words by set membership, phrases as substrings, no forgiveness."""
    if isinstance(node, Term):
        word = node.word
        return lambda words, text: word in words
    if isinstance(node, Phrase):
        phrase = " ".join(node.words)
        return lambda words, text: phrase in text
    if isinstance(node, Not):
        inner = _plain(node.child)
        return lambda words, text: not inner(words, text)
    children = node.parts if isinstance(node, Group) else node.children
    parts = [_plain(c) for c in children]
    if isinstance(node, Any_):
        return lambda words, text: any(p(words, text) for p in parts)
    return lambda words, text: all(p(words, text) for p in parts)


def _positive_words(node: Node) -> set[str]:
    if isinstance(node, Term):
        return {node.word}
    if isinstance(node, Phrase):
        return set(node.words)
    if isinstance(node, Not):
        return set()
    children = node.parts if isinstance(node, Group) else node.children
    return set().union(*(_positive_words(c) for c in children))


class InvertedIndex:
    """Every positive word of every query → its topics; identical queries merged."""

    def __init__(self, queries: list[str]) -> None:
        self.keys: list[list[int]] = []
        self.checks: list[Callable[[set[str], str], bool]] = []
        self.by_word: dict[str, list[int]] = {}
        slots: dict[str, int] = {}
        for key, text in enumerate(queries):
            canonical = text.lower()
            if canonical in slots:
                self.keys[slots[canonical]].append(key)
                continue
            tree = parse(text, expand=False).tree
            slot = slots[canonical] = len(self.checks)
            self.keys.append([key])
            self.checks.append(_plain(tree))
            for word in _positive_words(tree):
                self.by_word.setdefault(word, []).append(slot)

    def match(self, paper: Paper) -> list[int]:
        text = " ".join(_WORD.findall(f"{paper.title} {paper.abstract}".lower()))
        words = set(text.split())
        slots = set()
        for word in words & self.by_word.keys():
            slots.update(self.by_word[word])
        found = []
        for slot in sorted(slots):
            if self.checks[slot](words, text):
                found.extend(self.keys[slot])
        return found


def feedback_case(
    papers: list[Paper], queries: list[str], index: TopicIndex[int], rules_time: float
) -> None:
    """Every topic with feedback (2 liked papers, 1 disliked, from a pool of 300 others): the
    poll judged by rules and learners, as the planner does, against the rules alone."""
    rng = random.Random(11)
    pool = make_papers(300, rng)
    votes = [
        Vote(topic_id, p.id, vote)
        for topic_id in range(len(queries))
        for p, vote in zip(rng.sample(pool, 3), (1, 1, -1), strict=True)
    ]
    stats = Stats.of(pool)
    start = time.perf_counter()
    learners = build(votes, {p.id: p for p in pool}, dict(enumerate(queries)), stats)
    built = time.perf_counter() - start
    start = time.perf_counter()
    posted = changed = 0
    for paper in papers:
        doc = doc_of(paper)
        for verdict in judge_paper(learners, paper, doc, frozenset(index.match(doc))).values():
            posted += verdict.post
            changed += verdict.changed
    judged = time.perf_counter() - start
    print(
        f"  with feedback  {judged:5.2f} s (+ {built:.2f} s to build the learners) -> {posted:,} "
        f"posted, {changed:,} turned by feedback"
    )
    ratio = judged / rules_time
    print(
        f"  feedback costs {ratio:.2f}x the rules alone (target: at most 2x): "
        + ("met" if ratio <= 2 else "NOT met")
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--topics", default="10000,100000", help="comma-separated topic counts (1000000 too)"
    )
    parser.add_argument(
        "--feedback", type=int, default=10000, help="the topic count also judged with feedback"
    )
    args = parser.parse_args()
    counts = [int(n) for n in args.topics.split(",")]
    rng = random.Random(7)
    papers = make_papers(1000, rng)
    english()  # read once at the bot's start-up
    for n_topics in counts:
        queries = make_queries(n_topics, rng)
        trees = [parse(q).tree for q in queries]

        start = time.perf_counter()
        baseline = InvertedIndex(queries)
        baseline_build = time.perf_counter() - start
        start = time.perf_counter()
        theirs = [set(baseline.match(p)) for p in papers]
        baseline_time = time.perf_counter() - start

        start = time.perf_counter()
        index = TopicIndex(enumerate(trees))
        build = time.perf_counter() - start
        start = time.perf_counter()
        docs = [doc_of(p) for p in papers]
        prepared = time.perf_counter() - start
        ours = [set(index.match(d)) for d in docs]
        indexed = time.perf_counter() - start

        sample = trees[: max(n_topics // 100, 100)]
        docs = [doc_of(p) for p in papers]
        start = time.perf_counter()
        naive_hits = sum(1 for d in docs for t in sample if matches(t, d))
        naive = (time.perf_counter() - start) * (len(trees) / len(sample))
        sample_index = TopicIndex(enumerate(sample))
        assert sum(len(sample_index.match(d)) for d in docs) == naive_hits, "index != naive"

        hits = sum(len(s) for s in ours)
        both = sum(len(a & b) for a, b in zip(ours, theirs, strict=True))
        same = "equal" if ours == theirs else f"differ ({both:,} in common)"
        print(f"1,000 papers x {n_topics:,} topics (index built once per topic change)")
        print(
            f"  inverted index {baseline_time:5.2f} s (+ {baseline_build:.2f} s to build) -> "
            f"{sum(len(s) for s in theirs):,} matches"
        )
        print(
            f"  paperbot       {indexed:5.2f} s (+ {build:.2f} s to build) -> {hits:,} matches; "
            f"of it, {prepared:.2f} s preparing the papers, whatever the topics"
        )
        print(f"  naive loop     {naive:5.1f} s (paperbot's matcher on every pair, scaled)")
        print(
            f"  paperbot is {baseline_time / indexed:.2f}x the inverted index's speed and "
            f"{naive / indexed:,.0f}x the naive loop's; results {same}"
        )
        if n_topics == args.feedback:
            feedback_case(papers, queries, index, indexed)
    return 0


if __name__ == "__main__":
    bench.run(main)
