"""One typo forgiven: which words of a paper may be a typed word with one letter wrong.

A word one edit from another shares with it one of two sketches (`sketch`: its first and last
letters, or its first three, with its length), so a paper's sketches rule most words out
before any distance is computed (`typo_probes`); the topic index files typo-able words under
every deletion of one of their letters (`deletions`), the first letter never forgiven.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from bot.core.matching.query import FUZZY_MIN_LENGTH


@lru_cache(maxsize=100_000)
def typo_probes(word: str) -> frozenset[tuple[str, int]]:
    """What a word one typo from `word` has in `Doc.typosketch`: an edit inside the word keeps
    its first and last letters, one at its end its first three; the length moves by one."""
    size = len(word)
    return frozenset(
        (key, length)
        for key in (word[0] + word[-1], word[:3])
        for length in (size - 1, size, size + 1)
    )


def typo_keys(words_: Iterable[str]) -> set[str]:
    """Typo-able words and every deletion of them but the first letter's (never forgiven)."""
    return set().union(
        *(deletions(w) for w in words_ if len(w) >= FUZZY_MIN_LENGTH and not w.isdigit())
    )


@lru_cache(maxsize=200_000)
def deletions(word: str) -> frozenset[str]:
    """`word` and every deletion of one of its letters but the first (never forgiven)."""
    return frozenset((word, *(word[:i] + word[i + 1 :] for i in range(1, len(word)))))


@lru_cache(maxsize=200_000)
def sketch(word: str) -> tuple[tuple[str, int], tuple[str, int]]:
    return ((word[0] + word[-1], len(word)), (word[:3], len(word)))
