"""Quality of the topic matcher on the graded labeled set (tests/data/topic_labels.json).

Prints micro-averaged precision, recall and F1 over every (topic, paper) pair, for paperbot's
matcher and two baselines measured in the same run, on the development half (papers read while
the matcher was tuned), the held-out half (judged, never read for tuning) and both together.
A pair graded `must` is a paper to post, one graded none a paper not to post; `optional` pairs
count neither way (tests/data/LABELING.md). The baselines:
- substring: the whole query, lower-cased, as a substring of title + abstract + AI text;
- all-words: every word of the query (quotes, OR and minus signs removed) as a substring.
Target: precision >= 0.95 and F1 >= 0.95 on all papers, F1 >= 0.90 on the held-out half.

    .venv/bin/python -m bench.topic_quality [-v] [--ablate]
        -v lists every wrong judgment; --ablate shows what each rule of the matcher buys
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace

import bench
from bot.core.matching.judge import Doc, doc_of, matches
from bot.core.matching.query import parse
from bot.core.matching.rules import RULES, Rules
from bot.core.matching.text import words
from bot.core.matching.vocabulary import Vocabulary
from bot.core.models import Paper
from tests.support.labeled import Topic, load

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


def paperbot_with(rules: Rules, papers: list[Paper]) -> Matcher:
    """paperbot's matcher under `rules`, with the vocabulary a store of `papers` would give."""
    vocabulary = Vocabulary.of_documents(words(f"{p.title} {p.abstract}") for p in papers)
    docs: dict[str, Doc] = {}

    def make(query: str) -> Callable[[Paper], bool]:
        tree = parse(query).tree

        def test(paper: Paper) -> bool:
            doc = docs.get(paper.id)
            if doc is None:
                doc = docs[paper.id] = doc_of(paper, rules, vocabulary)
            return matches(tree, doc)

        return test

    return make


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


# Each rule of paperbot's matcher, turned the other way, to show what it buys.
ABLATIONS: dict[str, Rules] = {
    "AI text trusted in full": replace(RULES, generated="full"),
    "AI text corroborates": replace(RULES, generated="corroborate"),
    "words apart anywhere": replace(RULES, near="anywhere"),
    "acronym needs 2 mentions": replace(RULES, acronym_once=False),
    "phrase once, echoed": replace(RULES, phrase="echoed"),
    "phrase twice": replace(RULES, phrase="twice"),
    "no word too common for 2": replace(RULES, common_share=1.0),
    "common words (20%) need 3": replace(RULES, common_share=0.2),
    "typos between real words": replace(RULES, vocabulary_typos=False),
    "plurals only (no families)": replace(RULES, word_families=False),
    "no concepts": replace(RULES, concepts=False),
    "concept needs 2 mentions": replace(RULES, concept_once=False),
    "acronyms not spelled out": replace(RULES, expand_acronyms=False),
    "camel-case names whole": replace(RULES, camel_case=False),
    "release sentences read": replace(RULES, skip_release=False),
    "words apart: strict title": replace(RULES, near="strict"),
    "generic heads hold alone": replace(RULES, generic_heads="keep"),
    "generic heads adjacent only": replace(RULES, generic_heads="adjacent"),
    "expansions count once": replace(RULES, expansion_once=True),
    "paper's acronyms ignored": replace(RULES, own_definitions=False),
    "words within 8 words": replace(RULES, near="window"),
    "words within 4 words": replace(RULES, near="window", window=4),
}


def main() -> int:
    labeled = load()
    sets = {**labeled.sets, "all": labeled.papers}
    topics = labeled.topics
    verbose = "-v" in sys.argv
    paperbot = paperbot_with(RULES, labeled.papers)
    MATCHERS: dict[str, Matcher] = {
        "substring": substring,
        "all-words": all_words,
        "paperbot": paperbot,
    }
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
    if "--ablate" in sys.argv or "--ablate-dev" in sys.argv:
        # While the matcher is tuned, only the development half is looked at (--ablate-dev).
        shown = ["development"] if "--ablate-dev" in sys.argv else list(sets)
        print("\nwhat each rule buys (the rule turned the other way; P / R / F1):")
        print(f"{'variant':<30} " + " ".join(f"{name:>17}" for name in shown))
        for name, rules in {"paperbot": RULES, **ABLATIONS}.items():
            make = paperbot_with(rules, labeled.papers)
            cells = []
            for papers in (sets[s] for s in shown):
                r = score(papers, topics, make)
                cells.append(f"{r.precision:.3f}/{r.recall:.3f}/{r.f1:.3f}")
            print(f"{name:<30} " + " ".join(f"{cell:>17}" for cell in cells))
    every, held = results["all"], results["held out"]
    met = every.precision >= 0.95 and every.f1 >= 0.95 and held.f1 >= 0.90
    print(
        "target (all: precision >= 0.95 and F1 >= 0.95; held out: F1 >= 0.90): "
        + ("met" if met else "NOT met")
    )
    return 0


if __name__ == "__main__":
    bench.run(main)
