"""A paper as the learner sees it: a normalised tf-idf vector over fixed statistics.

Terms are word families (plurals and inflections folded, as the topic language folds them;
title words weigh double, as the recommender weighs them) and the concepts the topic rules
find in the paper ("c:" and the concept's key: a paper on "draft models" implies speculative
decoding although it never says so). A word only one stored paper uses tells papers apart
from nothing and is left out; the idf of the rest is capped, so that no rare word alone makes
two papers alike. The statistics (`Stats`) are fixed when taken, so that a paper's vector, and
the verdicts drawn from it, do not move as the store fills.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from bot.core.matching.doc import Doc, doc_of
from bot.core.matching.text import family
from bot.core.models import Paper
from bot.core.recommend import word_counts

Vector = dict[str, float]

CONCEPT_WEIGHT = 2  # a concept the rules find counts as two mentions of a word
MAX_IDF = 3.0  # a word in 1 paper of 20 or fewer: as telling as any rarer one
MIN_DOCUMENTS = 2  # a word of a single stored paper says nothing of likeness


@dataclass(frozen=True, slots=True)
class Stats:
    """How many papers use each word family, of `total` papers: the learner's idf."""

    total: int
    documents: dict[str, int]

    @classmethod
    def of(cls, papers: Iterable[Paper]) -> Stats:
        counts: dict[str, int] = {}
        total = 0
        for paper in papers:
            total += 1
            for term in _words(paper):
                counts[term] = counts.get(term, 0) + 1
        return cls(total, counts)

    @classmethod
    def of_counts(cls, total: int, counts: Iterable[tuple[str, int]]) -> Stats:
        """From how many papers use each word (the search index's counts), folded to families."""
        by_family: dict[str, int] = {}
        for word, documents in counts:
            fam = family(word.lower())
            by_family[fam] = max(by_family.get(fam, 0), documents)
        return cls(total, by_family)

    def idf(self, term: str) -> float:
        """The weight of `term`; 0 for a word too rare (or, below 20 papers, unknown)."""
        if term.startswith("c:"):
            return MAX_IDF
        if self.total < 20:
            return 1.0  # too few papers to tell common words from rare ones
        n = self.documents.get(term, 0)
        if n < MIN_DOCUMENTS:
            return 0.0
        return min(MAX_IDF, math.log(self.total / n))


EMPTY = Stats(0, {})


def _words(paper: Paper) -> list[str]:
    return list(word_counts(paper))


def vector(paper: Paper, stats: Stats = EMPTY, doc: Doc | None = None) -> Vector:
    """The paper's normalised tf-idf vector, concepts included."""
    counts = dict(word_counts(paper))
    for key in (doc or doc_of(paper)).concepts:
        name = "c:" + " ".join(key)
        counts[name] = counts.get(name, 0) + CONCEPT_WEIGHT
    weights = {t: (1.0 + math.log(c)) * stats.idf(t) for t, c in counts.items() if c > 0}
    norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
    return {t: w / norm for t, w in weights.items() if w > 0}


def cosine(a: Vector, b: Vector) -> float:
    if len(b) < len(a):
        a, b = b, a
    return sum(w * b.get(t, 0.0) for t, w in a.items())
