"""Every topic's learner, built from the feedback store's examples, and its verdict on a paper.

The learner of a topic sits on top of its rules: it may hold back a rule match, or post a
paper the rules missed, never what an exclusion (`-term`) rules out, never a paper the topic's
channel marked 👎 (that one is never posted there again), and it leaves the upvote threshold to
the planner. A topic with no examples is judged by its rules alone.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from bot.core.learning.features import Stats, Vector, vector
from bot.core.learning.learner import Example, Nearest, Verdict
from bot.core.matching.doc import Doc, doc_of
from bot.core.matching.judge import excluded
from bot.core.matching.query import QueryError, parse
from bot.core.matching.text import family
from bot.core.matching.tree import All, Any_, Group, Node, Phrase, Term
from bot.core.matching.vocabulary import Vocabulary
from bot.core.models import Paper, Vote


@dataclass(frozen=True, slots=True)
class Learned:
    """One topic's learner and what it may never post."""

    learner: Nearest
    tree: Node | None  # the topic's query (None: a topic by example, no query)
    disliked: frozenset[str]


class Learners:
    """The learners of every topic with examples; judged with fixed statistics (`Stats`)."""

    def __init__(self, by_topic: Mapping[int, Learned], stats: Stats) -> None:
        self.by_topic = dict(by_topic)
        self.stats = stats
        # Topics that may post a paper their rules missed: those with a liked example.
        self.posting = frozenset(t for t, learned in by_topic.items() if learned.learner.liked)
        # Every example paper once, however many topics learn from it.
        self._vectors: dict[str, Vector] = {}
        self._liked_by: dict[str, list[int]] = {}
        for topic_id, learned in sorted(by_topic.items()):
            for example in (*learned.learner.liked, *learned.learner.disliked):
                if example.liked:
                    self._liked_by.setdefault(example.paper_id, []).append(topic_id)
                self._vectors.setdefault(example.paper_id, example.vector)
        posts = [learned.learner.post for learned in by_topic.values()]
        self._lowest_post = min(posts, default=1.0)
        # The example papers indexed by their terms: a paper's cosine with each is summed
        # once per poll through it, not once per topic.
        postings: dict[str, list[tuple[int, float]]] = {}
        self._ids = list(self._vectors)  # by their number in the postings
        for number, paper_id in enumerate(self._ids):
            for term, weight in self._vectors[paper_id].items():
                postings.setdefault(term, []).append((number, weight))
        self._postings = {t: tuple(found) for t, found in postings.items()}

    def __bool__(self) -> bool:
        return bool(self.by_topic)

    def __contains__(self, topic_id: int) -> bool:
        return topic_id in self.by_topic

    def dots(self, paper_vector: Vector) -> dict[str, float]:
        """The paper's cosine with every example paper it shares a term with, by id."""
        sums = [0.0] * len(self._ids)  # a list indexed by number: no hashing in the loop
        postings = self._postings
        for term, weight in paper_vector.items():
            for number, other in postings.get(term, ()):
                sums[number] += weight * other
        return {paper_id: dot for paper_id, dot in zip(self._ids, sums, strict=True) if dot}

    def could_post(self, dots: Mapping[str, float]) -> set[int]:
        """The topics whose learner could post the paper although their rules miss it: a
        liked example whose cosine with it reaches the threshold. Exact, since a topic's
        likeness is never more than the whole cosine (`Nearest.likeness`)."""
        lowest = self._lowest_post - 1e-9  # rounding
        found: set[int] = set()
        for paper_id, dot in dots.items():
            if dot >= lowest:
                found.update(self._liked_by.get(paper_id, ()))
        return found

    def vector(self, paper: Paper, doc: Doc | None = None) -> Vector:
        return vector(paper, self.stats, doc)

    def verdict(
        self,
        topic_id: int,
        paper: Paper,
        doc: Doc,
        rules: bool,
        paper_vector: Vector,
        dots: Mapping[str, float] | None = None,
    ) -> Verdict:
        """The topic's verdict on the paper: its rules' (`rules`), turned by its feedback
        (`dots`: `self.dots(paper_vector)`, when already summed)."""
        learned = self.by_topic.get(topic_id)
        if learned is None:
            return Verdict(rules, rules)
        if paper.id in learned.disliked:
            return Verdict(False, rules, marked=True)
        judged = learned.learner.judge(paper_vector, rules, dots)
        if judged.post and not rules and learned.tree is not None and excluded(learned.tree, doc):
            return Verdict(False, rules)  # feedback never overturns an exclusion
        return judged


EMPTY = Learners({}, Stats(0, {}))


def judge_paper(
    learners: Learners, paper: Paper, doc: Doc, matched: Collection[int]
) -> dict[int, Verdict]:
    """The verdict on `paper`, feedback included, of every topic that may take it: those whose
    rules match it (`matched`) and those that may post a paper their rules missed. The planner
    and `paperbot preview` both judge through here, so that a preview shows what would post."""
    if not learners:
        return {topic_id: Verdict(True, True) for topic_id in matched}
    paper_vector = learners.vector(paper, doc)
    dots = learners.dots(paper_vector)
    return {
        topic_id: learners.verdict(topic_id, paper, doc, topic_id in matched, paper_vector, dots)
        for topic_id in sorted(set(matched) | learners.could_post(dots))
    }


def build(
    votes: Iterable[Vote],
    papers: Mapping[str, Paper],
    queries: Mapping[int, str],
    stats: Stats,
    vocabulary: Vocabulary | None = None,
) -> Learners:
    """The learners of the topics in `queries` (topic id → query, "" for a topic by example)
    from their votes; a vote on a paper the store no longer has is skipped."""
    examples: dict[int, list[Example]] = {}
    vectors: dict[str, Vector] = {}
    for vote in votes:
        paper = papers.get(vote.paper_id)
        if paper is None or vote.topic_id not in queries:
            continue
        if paper.id not in vectors:
            vectors[paper.id] = vector(paper, stats, doc_of(paper, vocabulary=vocabulary))
        examples.setdefault(vote.topic_id, []).append(
            Example(paper.id, paper.title, vote.vote > 0, vectors[paper.id])
        )
    by_topic = {}
    for topic_id, found in examples.items():
        tree = _tree(queries[topic_id])
        by_topic[topic_id] = Learned(
            Nearest(found, ignore=query_terms(tree) if tree is not None else frozenset()),
            tree,
            frozenset(e.paper_id for e in found if not e.liked),
        )
    return Learners(by_topic, stats)


def query_terms(node: Node) -> frozenset[str]:
    """The features a query's own words make (word families, and concepts naming them)."""
    words: set[str] = set()

    def walk(n: Node) -> None:
        if isinstance(n, Term):
            words.add(n.word)
        elif isinstance(n, Phrase):
            words.update(n.words)
        elif isinstance(n, Group):
            for part in n.parts:
                walk(part)
        elif isinstance(n, All | Any_):
            for child in n.children:
                walk(child)
        # an exclusion's words are not the topic's

    walk(node)
    families = {family(w) for w in words} | words
    return frozenset(families | {f"c:{f}" for f in families})


def _tree(query: str) -> Node | None:
    if not query:
        return None
    try:
        return parse(query).tree
    except QueryError:
        return None


def said(verdict: Verdict, query: str, where: str) -> str | None:
    """What the feedback did, in words ("" when it did nothing): for `/topic test paper:` and
    `preview --explain`. `where` names the channel ("#papers", "your DMs"); `query` is "" for
    a topic by example, which has no query to miss."""
    if not verdict.changed:
        return None
    titles = ", ".join(f"“{e.title}”" for e in verdict.like)
    shared = ", ".join(t.removeprefix("c:") for t in verdict.shared)
    also = f" (shared: {shared})" if shared else ""
    if not verdict.post:
        if verdict.marked:
            return f"held back: {where} marked this paper 👎, and it is never posted there again"
        count = len(verdict.like)
        return (
            f"held back: most like {count} paper{'s' if count != 1 else ''} {where} marked 👎 "
            f"({titles}){also}"
        )
    if not query:
        return f"posted: like {titles}, which {where} marked 👍{also}"
    return f"posted although `{query}` does not match: like {titles}, which {where} marked 👍{also}"
