"""Judging a paper for a topic from the topic's examples, over the rules' verdict.

A topic's examples are papers its channel marked 👍 or 👎, or taught (relevant or not). The
default learner (`Nearest`) reads them as a member would: a paper the rules match is held back
when it is most like a paper marked 👎 (and clearly less like any marked 👍); a paper the rules
miss is posted when it is most like a paper marked 👍, closely enough. Both say which examples
and which shared terms decided, so the verdict explains itself. `bench/learning_quality.py`
measures it against a Rocchio profile, a logistic regression and arxiv-sanity's classifier.

A topic without examples is judged by its rules alone, exactly as before.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from bot.core.learning.features import Vector, cosine

HOLD = 0.15  # how like a 👎 paper a rule match must be to be held back
POST = 0.35  # how like a 👍 paper a paper the rules missed must be to be posted
MARGIN = 0.10  # and by how much more than like the examples of the other side
SHARED = 4  # shared terms named in a verdict


@dataclass(frozen=True, slots=True)
class Example:
    paper_id: str
    title: str
    liked: bool
    vector: Vector = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether to post, what the rules said, and what of the feedback turned it, if it did."""

    post: bool
    rules: bool
    like: tuple[Example, ...] = ()  # the examples that decided, nearest first (when changed)
    shared: tuple[str, ...] = ()  # what the paper shares with them, most telling first
    marked: bool = False  # the paper itself was marked 👎: never posted there again

    @property
    def changed(self) -> bool:
        return self.post != self.rules


class Learner(Protocol):
    def judge(self, paper: Vector, rules: bool) -> Verdict: ...


def without(vector: Vector, terms: frozenset[str]) -> Vector:
    """`vector` less `terms`, normalised again."""
    if not terms or terms.isdisjoint(vector):
        return vector
    kept = {t: w for t, w in vector.items() if t not in terms}
    norm = math.sqrt(sum(w * w for w in kept.values())) or 1.0
    return {t: w / norm for t, w in kept.items()}


def _nearest(paper: Vector, examples: Sequence[Example]) -> list[tuple[float, Example]]:
    scored = [(cosine(paper, e.vector), e) for e in examples]
    scored.sort(key=lambda s: (-s[0], s[1].paper_id))
    return scored


def shared_terms(
    paper: Vector, examples: Sequence[Example], limit: int = SHARED
) -> tuple[str, ...]:
    """The terms that weigh most in the paper's likeness to `examples`."""
    weights: dict[str, float] = {}
    for example in examples:
        for term, w in paper.items():
            other = example.vector.get(term)
            if other:
                weights[term] = weights.get(term, 0.0) + w * other
    ranked = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))
    return tuple(term for term, _w in ranked[:limit])


class Nearest:
    """The nearest examples decide: a rule match most like a 👎 is held back, a miss most
    like a 👍 is posted."""

    def __init__(
        self,
        examples: Sequence[Example],
        *,
        hold: float = HOLD,
        post: float = POST,
        margin: float = MARGIN,
        ignore: frozenset[str] = frozenset(),
    ) -> None:
        # Likeness leaves out the topic's own words: every rule match shares them with every
        # paper marked 👎 (all were matched), so they tell the wanted from the unwanted nothing.
        self.ignore = ignore
        kept = [replace(e, vector=without(e.vector, ignore)) for e in examples]
        self.liked = [e for e in kept if e.liked]
        self.disliked = [e for e in kept if not e.liked]
        self.hold, self.post, self.margin = hold, post, margin

    def judge(self, paper: Vector, rules: bool) -> Verdict:
        paper = without(paper, self.ignore)
        near_pos = _nearest(paper, self.liked)
        near_neg = _nearest(paper, self.disliked)
        pos = near_pos[0][0] if near_pos else 0.0
        neg = near_neg[0][0] if near_neg else 0.0
        if rules:
            if neg >= self.hold and neg >= pos + self.margin:
                like = tuple(e for s, e in near_neg[:2] if s >= self.hold)
                return Verdict(False, True, like, shared_terms(paper, like))
            return Verdict(True, True)
        if pos >= self.post and pos >= neg + self.margin:
            like = tuple(e for s, e in near_pos[:2] if s >= self.post)
            return Verdict(True, False, like, shared_terms(paper, like))
        return Verdict(False, False)
