"""Which words are real: what a typo may be forgiven into, and what it may not.

A typo is forgiven only when it cannot turn one real word into another: `reinforcment` finds
"reinforcement" (the query is no word), a paper's "depht" is found by `depth`, but `depth` never
finds "death" and `causal` never "casual". A word is real when English has it (the dictionary
of pyspellchecker, pinned, 160,000 words) or when two stored papers use it (`llava`,
`tokenizer`, `agentic`: the field's own words, which no dictionary holds).

It also knows how common each word family is among the stored papers (`share`): a word that
most papers use ("benchmark", "model") says less when a paper says it twice. Shares are only
trusted over `MIN_CORPUS` papers or more; below that no word counts as common.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import time
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Protocol

from bot.core.matching.text import family, words


@cache
def english() -> frozenset[str]:
    """The English dictionary's words, normalised as papers' words are."""
    path = resources.files("spellchecker") / "resources" / "en.json.gz"
    entries: dict[str, int] = json.loads(gzip.decompress(path.read_bytes()))
    return frozenset(w for entry in entries for w in words(entry) if len(w) > 1)


MIN_CORPUS = 200  # papers before word shares mean anything


class Vocabulary:
    """English and the words of a corpus (stored papers, the poll at hand), with the share of
    the corpus's papers that use each word (`share`)."""

    def __init__(
        self,
        corpus: Iterable[str] = (),
        shares: dict[str, float] | None = None,
        *,
        total: int = 0,
        documents: dict[str, int] | None = None,
    ) -> None:
        self._english = english()
        self._corpus = frozenset(corpus)
        self._shares = shares or {}
        self.total = total  # papers counted
        self.documents = documents or {}  # word family → papers using it

    def share(self, word: str) -> float:
        """The share of the corpus's papers that use `word` (0.0 when unknown)."""
        return self._shares.get(word, 0.0)

    def known(self, word: str) -> bool:
        return word in self._english or word in self._corpus

    def forgives(self, typed: str, found: str) -> bool:
        """Whether `found`, one edit away from `typed`, may stand for it: not both real."""
        return not (self.known(typed) and self.known(found))

    @classmethod
    def of_documents(cls, documents: Iterable[Iterable[str]]) -> Vocabulary:
        """The vocabulary of a corpus given as each document's normalised words."""
        counts: dict[str, int] = {}
        total = 0
        for document in documents:
            total += 1
            for word in set(document):
                counts[word] = counts.get(word, 0) + 1
        return cls.of_counts(total, counts.items())

    @classmethod
    def of_counts(cls, total: int, counts: Iterable[tuple[str, int]]) -> Vocabulary:
        """From how many documents use each word (normalised or not), of `total` documents."""
        corpus: set[str] = set()
        by_family: dict[str, int] = {}
        for raw, documents in counts:
            for word in words(raw):
                if documents >= 2:
                    corpus.add(word)
                fam = family(word)
                by_family[fam] = by_family.get(fam, 0) + documents
        shares = (
            {fam: min(1.0, n / total) for fam, n in by_family.items()}
            if total >= MIN_CORPUS
            else {}
        )
        return cls(corpus, shares, total=total, documents=by_family)


REFRESH_SECONDS = (
    600.0  # how long a vocabulary of the stored papers is used before it is read again
)


class WordCounts(Protocol):
    """How many papers the store holds, and how many use each word (the search index's)."""

    async def word_documents(self) -> tuple[int, list[tuple[str, int]]]: ...


class VocabularyCache:
    """English and the stored papers' words, read again every `refresh` seconds; one cache
    serves the planner and the commands that explain its verdicts."""

    def __init__(self, words: WordCounts | None, refresh: float = REFRESH_SECONDS) -> None:
        self._words = words
        self._refresh = refresh
        self._vocabulary: Vocabulary | None = None
        self._read_at = 0.0
        self._lock = asyncio.Lock()

    async def current(self) -> Vocabulary:
        async with self._lock:
            stale = time.monotonic() - self._read_at > self._refresh
            if self._vocabulary is None or stale:
                total, counts = await self._words.word_documents() if self._words else (0, [])
                self._vocabulary = await asyncio.to_thread(Vocabulary.of_counts, total, counts)
                self._read_at = time.monotonic()
            return self._vocabulary
