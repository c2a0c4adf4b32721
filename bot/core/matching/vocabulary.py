"""Which words are real: what a typo may be forgiven into, and what it may not.

A typo is forgiven only when it cannot turn one real word into another: `reinforcment` finds
"reinforcement" (the query is no word), a paper's "depht" is found by `depth`, but `depth` never
finds "death" and `causal` never "casual". A word is real when English has it (the dictionary
of pyspellchecker, pinned, 160,000 words) or when two stored papers use it (`llava`,
`tokenizer`, `agentic`: the field's own words, which no dictionary holds).

It also knows how common each word family is among the stored papers (`share`): a word that
most papers use ("benchmark", "model") says less when a paper says it twice. Shares are only
trusted over `MIN_CORPUS` papers or more; below that no word counts as common. Once the store
holds that many, its statistics are frozen for good (`VocabularyCache`), so that verdicts do not
drift as it fills.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import time
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Protocol

from bot.core.clock import Clock, utc_now
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
        frozen_at: datetime | None = None,
    ) -> None:
        self._english = english()
        self._corpus = frozenset(corpus)
        self._shares = shares or {}
        self.total = total  # papers counted
        self.documents = documents or {}  # word family → papers using it
        self.frozen_at = frozen_at  # when these statistics were frozen (None: live, no shares)

    def without_shares(self) -> Vocabulary:
        """This vocabulary as it judged before any word counted as common."""
        vocabulary = Vocabulary(total=self.total, documents=self.documents)
        vocabulary._corpus = self._corpus
        return vocabulary

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
    def of_counts(
        cls, total: int, counts: Iterable[tuple[str, int]], frozen_at: datetime | None = None
    ) -> Vocabulary:
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
        return cls(corpus, shares, total=total, documents=by_family, frozen_at=frozen_at)


REFRESH_SECONDS = 600.0  # how long live statistics are used before they are read again


class WordCounts(Protocol):
    """How many papers the store holds and how many use each word (the search index's), and
    the statistics frozen once there were enough of them."""

    async def word_documents(self) -> tuple[int, list[tuple[str, int]]]: ...

    async def frozen_words(self) -> tuple[int, list[tuple[str, int]], datetime] | None: ...

    async def freeze_words(
        self, total: int, counts: Sequence[tuple[str, int]], now: datetime
    ) -> None: ...


class VocabularyCache:
    """English and the stored papers' words; one cache serves the planner and the commands
    that explain its verdicts.

    Below `MIN_CORPUS` papers no word counts as common, and the live words are read again
    every `refresh` seconds. At `MIN_CORPUS` papers the statistics are frozen in the store, for
    good: from then on a paper's verdict for a topic depends on the paper and the topic, never
    on how many papers the store has gathered since, and every process reads the same ones.
    """

    def __init__(
        self, words: WordCounts | None, refresh: float = REFRESH_SECONDS, clock: Clock = utc_now
    ) -> None:
        self._words = words
        self._refresh = refresh
        self._clock = clock
        self._vocabulary: Vocabulary | None = None
        self._read_at = 0.0
        self._lock = asyncio.Lock()

    async def current(self) -> Vocabulary:
        async with self._lock:
            vocabulary = self._vocabulary
            if vocabulary is not None and vocabulary.frozen_at is not None:
                return vocabulary
            stale = time.monotonic() - self._read_at > self._refresh
            if vocabulary is None or stale:
                vocabulary = self._vocabulary = await self._read()
                self._read_at = time.monotonic()
            return vocabulary

    async def judged_at(self, moment: datetime) -> Vocabulary:
        """The vocabulary that judged a paper at `moment` (a delivery's): before the freeze,
        no word counted as common."""
        vocabulary = await self.current()
        if vocabulary.frozen_at is not None and moment < vocabulary.frozen_at:
            return vocabulary.without_shares()
        return vocabulary

    async def _read(self) -> Vocabulary:
        if self._words is None:
            return Vocabulary()
        frozen = await self._words.frozen_words()
        if frozen is not None:
            return await asyncio.to_thread(Vocabulary.of_counts, *frozen)
        total, counts = await self._words.word_documents()
        if total < MIN_CORPUS:
            return await asyncio.to_thread(Vocabulary.of_counts, total, counts)
        await self._words.freeze_words(total, counts, self._clock())
        frozen = await self._words.frozen_words()  # another process may have frozen first
        assert frozen is not None
        return await asyncio.to_thread(Vocabulary.of_counts, *frozen)
