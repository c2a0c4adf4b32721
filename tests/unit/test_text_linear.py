"""Text functions on long and adversarial input: the same tokens as the patterns they replace,
in one pass (a 60,000-character word once took a poll 36 s)."""

from __future__ import annotations

import random
import re

from bot.core.hf.parser import parse_body
from bot.core.matching.judge import doc_of, matches
from bot.core.matching.query import parse
from bot.core.matching.text import capital_runs, capitalised, fold
from bot.core.models import Paper
from bot.core.recommend import _STOP, _tokens

# The patterns these functions replaced: right, but quadratic over a long run.
OLD_CAPITALISED = re.compile(r"[A-Za-z0-9]*[A-Z][A-Za-z0-9]*")
OLD_WORD = re.compile(r"[a-z][a-z0-9]+|[0-9]+[a-z][a-z0-9]*")
ALPHABET = "aZb9 -éÉ.x_Yж1("


def strings(seed: int, count: int = 5000) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 30))) for _ in range(count)]


def test_capital_runs_are_what_the_backtracking_pattern_found() -> None:
    for text in strings(1):
        assert capital_runs(text) == OLD_CAPITALISED.findall(text), text


def test_recommender_tokens_are_what_the_backtracking_pattern_found() -> None:
    for text in strings(2):
        expected = [w for w in OLD_WORD.findall(fold(text)) if w not in _STOP]
        assert _tokens(text) == expected, text


def test_a_100000_character_word_is_read_like_a_short_one() -> None:
    for word in ("a" * 100_000, "1" * 100_000, "é" * 100_000, "aB1-" * 25_000):
        paper = Paper("2611.00001", f"A {word} diffusion model", f"Diffusion models. {word}.")
        doc = doc_of(paper)
        assert matches(parse("diffusion").tree, doc)
        assert not matches(parse("agents").tree, doc)
    assert capitalised("a" * 100_000 + " MoE") == ["MoE"]
    assert _tokens("1" * 100_000 + " graphs") == ["graphs"]


def test_an_answer_with_a_100000_character_title_word_parses() -> None:
    word = "x" * 100_000
    batch = parse_body(f'[{{"paper": {{"id": "2611.00001", "title": "T {word}"}}}}]')
    assert batch.papers[0].title == f"T {word}"
