"""Recommendations from one person's saved papers: the ranking and its explanation."""

from __future__ import annotations

from bot.core.models import Paper
from bot.core.recommend import Corpus, recommend


def paper(pid: str, title: str, abstract: str, keywords: tuple[str, ...] = ()) -> Paper:
    return Paper(id=pid, title=title, abstract=abstract, ai_keywords=keywords)


SAVED = [
    paper(
        "s1",
        "Protein folding with diffusion",
        "We fold proteins with a diffusion model.",
        ("protein folding",),
    ),
    paper(
        "s2",
        "Diffusion models for protein design",
        "Designing proteins by denoising.",
        ("protein design",),
    ),
    paper(
        "s3",
        "Protein structure prediction",
        "Predicting protein structures from sequences.",
        ("protein folding",),
    ),
]
POOL = [
    paper("c1", "Speculative decoding for language models", "Faster decoding of text."),
    paper(
        "c2",
        "Protein folding at scale",
        "Folding many proteins quickly with diffusion.",
        ("protein folding",),
    ),
    paper("c3", "Image generation with diffusion", "Denoising images step by step."),
    paper("c4", "A benchmark for language agents", "Agents act in web environments."),
    paper("c5", "Tables and transformers", "Reading spreadsheets with language models."),
]


def test_the_papers_most_like_the_saved_ones_come_first() -> None:
    ranked = recommend(SAVED, POOL)
    assert [r.paper.id for r in ranked][:2] == ["c2", "c3"]
    assert ranked[0].score > ranked[1].score > ranked[-1].score
    assert {r.paper.id for r in ranked} == {p.id for p in POOL}


def test_each_recommendation_says_which_saved_papers_and_terms_it_is_like() -> None:
    best = recommend(SAVED, POOL, limit=1)[0]
    assert best.because[0] in {"s1", "s3"}, "a saved paper about protein folding"
    assert len(best.because) <= 2
    assert "protein folding" in best.terms
    assert all(t == t.lower() for t in best.terms)


def test_saved_papers_never_come_back_and_unrelated_papers_score_nothing() -> None:
    ranked = recommend(SAVED, [*POOL, SAVED[0]])
    assert "s1" not in {r.paper.id for r in ranked}
    unrelated = next(r for r in ranked if r.paper.id == "c4")
    assert unrelated.score == 0
    assert unrelated.because == ()


def test_one_persons_ranking_is_learned_from_their_papers_alone() -> None:
    corpus = Corpus([*SAVED, *POOL])
    other = [POOL[0], POOL[4], paper("o1", "Language models decode", "Decoding text fast.")]
    mine = [r.paper.id for r in recommend(SAVED, POOL, corpus=corpus)]
    theirs = [r.paper.id for r in recommend(other[:2], POOL, corpus=corpus)]
    assert mine[0] == "c2"
    assert theirs[0] in {"c1", "c4", "c3"}
    assert theirs[0] != "c2"
    again = [r.paper.id for r in recommend(SAVED, POOL, corpus=corpus)]
    assert again == mine, "another reader's ranking changed nothing of theirs"
