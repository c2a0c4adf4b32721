"""What /topic test says about a match (which terms held, and where) and about a near miss.."""

from __future__ import annotations

from bot.core.matching.explain import evidence, explain
from bot.core.matching.judge import doc_of
from bot.core.matching.query import parse
from bot.core.models import Paper
from bot.ui.topics import fit_lines


def why(query: str, paper: Paper) -> list[str]:
    return evidence(parse(query).tree, doc_of(paper))


def test_evidence_names_each_term_and_the_field_it_was_found_in() -> None:
    paper = Paper(
        id="1",
        title="Video diffusion at scale",
        abstract="We study state space models. State space models are fast.",
        ai_keywords=("temporal attention",),
    )
    assert why('video "state space"', paper) == [
        "`video` in the title",
        '`"state space"` in the abstract',
    ]
    assert why("keyword:attention", paper) == ["`keyword:attention` in the AI keywords"]


def test_evidence_says_which_model_name_stood_for_the_term() -> None:
    paper = Paper(id="1", title="Fine-tuning Qwen3 for theorem proving")
    assert why("LLM", paper) == ["`llm` via qwen3"]


def test_evidence_shows_the_word_a_typo_was_forgiven_for() -> None:
    paper = Paper(id="1", title="Reinforcement learning for robots")
    assert why("reinforcment", paper) == ["`reinforcment` ≈ “reinforcement” in the title"]


def test_evidence_names_only_the_branch_of_an_or_that_held_and_never_an_exclusion() -> None:
    paper = Paper(id="1", title="Mamba for speech")
    assert why('(transformer OR mamba) speech -"state space"', paper) == [
        "`mamba` in the title",
        "`speech` in the title",
    ]


def test_evidence_is_empty_for_a_paper_that_does_not_match() -> None:
    paper = Paper(id="1", title="Mamba for speech")
    assert why("video", paper) == []
    assert explain(parse("video mamba").tree, doc_of(paper)) == [
        "`video mamba`: its words never stand together; no `video` in the paper"
    ]


def test_fit_lines_never_cuts_a_line_and_counts_the_rest() -> None:
    lines = [f"• [Paper {i}](https://huggingface.co/papers/2611.{i:05d}): why" for i in range(40)]
    shown = fit_lines(lines, 1024)
    assert len("\n".join(shown)) <= 1024
    assert shown[:-1] == lines[: len(shown) - 1]
    assert shown[-1] == f"…and {40 - (len(shown) - 1)} more."
    assert fit_lines(lines[:3], 1024) == lines[:3]
