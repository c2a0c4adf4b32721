"""The learner's verdicts, and the planner's shortcut to them, on the project's own papers."""

from __future__ import annotations

import random

from bot.core.learning.features import Stats
from bot.core.learning.learner import HOLD, Example, Nearest
from bot.core.learning.topics import build, query_terms, said
from bot.core.matching.judge import doc_of, matches
from bot.core.matching.query import parse
from bot.core.models import Vote
from tests.support.data import make_papers, own_papers


def test_the_index_of_liked_examples_finds_every_topic_that_would_post() -> None:
    papers = make_papers(300, random.Random(3), own_papers())
    stats = Stats.of(papers)
    queries = {n: q for n, q in enumerate(["diffusion", "agents", "", "language model"])}
    rng = random.Random(4)
    votes = [
        Vote(topic_id, p.id, rng.choice((1, 1, -1)))
        for topic_id in queries
        for p in rng.sample(papers[:100], 6)
    ]
    learners = build(votes, {p.id: p for p in papers}, queries, stats)
    shortcut_found = brute_found = 0
    for paper in papers[100:]:
        doc = doc_of(paper)
        vector = learners.vector(paper, doc)
        shortcut = learners.could_post(learners.dots(vector))
        brute = {
            t
            for t in queries
            if t in learners and learners.verdict(t, paper, doc, False, vector).post
        }
        summed = learners.dots(vector)
        for t in queries:  # the shortcut's sums give the verdicts the plain cosines give
            if t in learners:
                plain = learners.verdict(t, paper, doc, t % 2 == 0, vector)
                assert plain == learners.verdict(t, paper, doc, t % 2 == 0, vector, summed)
        assert brute <= shortcut, paper.id
        shortcut_found += len(shortcut)
        brute_found += len(brute)
    assert brute_found > 0, "the case must exercise posting"


def test_a_near_copy_of_a_disliked_paper_is_held_back_and_explained() -> None:
    papers = own_papers()
    stats = Stats.of(papers)
    tree = parse("language model").tree
    matched = [p for p in papers if matches(tree, doc_of(p))]
    assert len(matched) >= 2
    disliked = matched[0]
    learners = build(
        [Vote(1, disliked.id, -1)], {p.id: p for p in papers}, {1: "language model"}, stats
    )
    copy = type(disliked)(id="2611.99999", title=disliked.title, abstract=disliked.abstract)
    doc = doc_of(copy)
    verdict = learners.verdict(1, copy, doc, True, learners.vector(copy, doc))
    assert not verdict.post
    assert [e.paper_id for e in verdict.like] == [disliked.id]
    text = said(verdict, "language model", "#papers")
    assert text is not None
    assert text.startswith("held back: most like 1 paper #papers marked 👎")
    marked = learners.verdict(1, disliked, doc_of(disliked), True, learners.vector(disliked))
    assert said(marked, "language model", "#papers") == (
        "held back: #papers marked this paper 👎, and it is never posted there again"
    )
    # The match least like the disliked paper (less than HOLD) is posted as the rules say.
    learner = learners.by_topic[1].learner
    far = min(matched[1:], key=lambda p: learner.likeness(learners.vector(p), learner.disliked[0]))
    assert learner.likeness(learners.vector(far), learner.disliked[0]) < HOLD
    assert learners.verdict(1, far, doc_of(far), True, learners.vector(far)).post


def test_the_topics_own_words_never_make_two_papers_alike() -> None:
    ignore = query_terms(parse("diffusion -survey").tree)
    assert "diffus" in ignore or "diffusion" in ignore
    assert not any("survey" in t for t in ignore), "an exclusion's words are not the topic's"
    a = Example("a", "A", False, {"diffus": 0.9, "protein": 0.43})
    learner = Nearest([a], ignore=ignore)
    verdict = learner.judge({"diffus": 0.9, "video": 0.43}, rules=True)
    assert verdict.post, "sharing only the topic's word is no likeness"
