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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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


Cosines = Mapping[str, float]  # a paper's cosine with example papers, by id (`Learners.dots`)


class Learner(Protocol):
    def judge(self, paper: Vector, rules: bool) -> Verdict: ...


def shared_terms(
    paper: Vector,
    examples: Sequence[Example],
    ignore: frozenset[str] = frozenset(),
    limit: int = SHARED,
) -> tuple[str, ...]:
    """The terms that weigh most in the paper's likeness to `examples` (`ignore`d left out)."""
    weights: dict[str, float] = {}
    for example in examples:
        for term, w in paper.items():
            other = example.vector.get(term)
            if other and term not in ignore:
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
        self.liked = [e for e in examples if e.liked]
        self.disliked = [e for e in examples if not e.liked]
        self.hold, self.post, self.margin = hold, post, margin

    def likeness(self, paper: Vector, example: Example, dot: float | None = None) -> float:
        """The cosine of the paper and the example, less what the topic's own words give it
        (`dot`: their whole cosine, when already known). Never more than the whole cosine,
        which lets the planner look only at examples whose cosine reaches a threshold."""
        whole = cosine(paper, example.vector) if dot is None else dot
        if not whole:
            return 0.0
        own = sum(paper.get(t, 0.0) * example.vector.get(t, 0.0) for t in self.ignore)
        return whole - own

    def _nearest(
        self, paper: Vector, examples: Sequence[Example], dots: Cosines | None
    ) -> list[tuple[float, Example]]:
        scored = [
            (self.likeness(paper, e, None if dots is None else dots.get(e.paper_id, 0.0)), e)
            for e in examples
        ]
        scored.sort(key=lambda s: (-s[0], s[1].paper_id))
        return scored

    def judge(self, paper: Vector, rules: bool, dots: Cosines | None = None) -> Verdict:
        """`dots`: the paper's cosine with each example paper, by id, when the caller keeps
        them (`Learners.dots`, shared by every topic of a poll)."""
        near_neg = self._nearest(paper, self.disliked, dots)
        neg = near_neg[0][0] if near_neg else 0.0
        if rules and neg < self.hold:
            return Verdict(True, True)  # like no 👎 paper: the liked ones need no look
        near_pos = self._nearest(paper, self.liked, dots)
        pos = near_pos[0][0] if near_pos else 0.0
        if rules:
            if neg >= pos + self.margin:
                like = tuple(e for s, e in near_neg[:2] if s >= self.hold)
                return Verdict(False, True, like, shared_terms(paper, like, self.ignore))
            return Verdict(True, True)
        if pos >= self.post and pos >= neg + self.margin:
            like = tuple(e for s, e in near_pos[:2] if s >= self.post)
            return Verdict(True, False, like, shared_terms(paper, like, self.ignore))
        return Verdict(False, False)
