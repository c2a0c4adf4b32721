"""A paper prepared once for matching many topic queries (`Doc`).

Per field (title, abstract, AI summary, AI keywords, authors): its words in order and by word
family (`text.family`), how often each family is said, which it writes as acronyms, and the
sequences a phrase is looked for in: as written, with acronyms in parentheses left out
("Vision-Language-Action (VLA) models"), and with each known acronym spelled out ("GRPO" says
"group relative policy optimization"). Words inside camel-case names count (MonkeyOCR says
OCR), and sentences about releasing code say nothing. Concepts (`concepts.py`) are found once
per paper, with where they were said.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from functools import cache, cached_property, lru_cache
from itertools import pairwise

from bot.core.matching.acronyms import ACRONYMS
from bot.core.matching.fields import ABSTRACT, AUTHOR, KEYWORD, SUMMARY, TITLE
from bot.core.matching.implied import Mention, find_concepts, possible_concepts, units_of
from bot.core.matching.query import FUZZY_MIN_LENGTH
from bot.core.matching.rules import RULES, Rules
from bot.core.matching.text import (
    ASCII_WORD,
    MEANING_PREFIXES,
    STOPWORDS,
    WORD,
    capital_runs,
    capitalised,
    family,
    fold,
    negated,
    same,
    stem,
    strip_accents,
    traits,
    without_release,
    word_tokens,
    words,
)
from bot.core.matching.tree import Node
from bot.core.matching.typos import deletions, sketch
from bot.core.matching.vocabulary import Vocabulary
from bot.core.models import Paper

# A separator that no word equals: what is appended to a sentence never joins its phrases.
_GAP = "|"

Key = Callable[[str], str]
# Words, the punctuation that ends a clause, and hyphens (to see negating prefixes); in text
# that is all ASCII, most of it, the plain pattern finds the same.
_CLAUSE = r"|[,;:()\[\]{}!?\"]|\.\s|-"
_TOKEN = re.compile(WORD + _CLAUSE)
_ASCII_TOKEN = re.compile(ASCII_WORD + _CLAUSE)
_PUNCTUATION = frozenset(',;:()[]{}!?".')
_NEGATING = frozenset(MEANING_PREFIXES)
_ASIDE_OUT = re.compile(r"\s*\([A-Za-z0-9]+\)")
_SENTENCE_END = re.compile(r"[.!?]\s+(?=[A-Z0-9])")
_ASIDE = re.compile(r"\(([A-Za-z0-9]+)\)")
Counts = tuple[int, int, int, int, int]


@cache
def _expansion(acronym: str, families: bool) -> tuple[str, ...]:
    key = family if families else same
    return tuple(key(w) for w in words(ACRONYMS[acronym][0]))


@lru_cache(maxsize=200_000)
def _family_of(raw: str) -> str:
    """A lower-case token's word family, in one cached call (`text.family` of `text.stem`)."""
    return family(stem(raw))


class Doc:
    """A paper's words, prepared once for matching many queries.

    What every query needs (each field's word families and how often each is said, the
    acronyms written, names' words, concepts named) is read at once, in a few C-level passes;
    what only some need (the sequences a phrase is looked for in, the sentences `near` looks
    at) is built the first time it is asked for.
    """

    def __init__(
        self,
        texts: tuple[str, str, str, str, str],
        rules: Rules = RULES,
        vocabulary: Vocabulary | None = None,
    ) -> None:
        self.rules = rules
        # Without a corpus, English alone still keeps typos from turning one word into another.
        self.vocabulary = vocabulary if vocabulary is not None else Vocabulary()
        self.key: Key = family if rules.word_families else same
        self._norm: Key = _family_of if rules.word_families else stem  # raw token → key
        if rules.skip_release:
            texts = (texts[0], without_release(texts[1]), without_release(texts[2]), *texts[3:])
        self.texts = texts
        self.words: list[list[str]] = []  # per field, the normalised words as written
        self.counts: list[Counter[str]] = []
        self.capitals: set[str] = set()  # families written as acronyms in title or abstract
        self.termed: set[str] = set()  # families said inside an acronym the authors wrote
        self.redefined: set[str] = set()  # known acronyms the paper defines otherwise
        self.forms: dict[str, str] = {}  # family → the paper's first word of it
        self._positions: dict[tuple[int, int], dict[str, list[int]]] = {}
        for index, text in enumerate(texts):
            self._add_field(index, text)
        # The concepts the paper may imply (a superset, cheap to find): what the index looks
        # up; `concepts` reads which it does imply, the first time a topic asks.
        self._candidates, self.concept_tokens = (
            possible_concepts(self) if rules.concepts else (set(), frozenset())
        )
        self.every = frozenset().union(*self.counts) | self.concept_tokens
        self.cache: dict[Node, object] = {}
        self._concept_units: dict[tuple[str, ...], set[int]] = {}

    def _add_field(self, index: int, text: str) -> None:
        key, rules = self.key, self.rules
        folded = fold(text)
        raw = word_tokens(folded)
        words_ = list(map(stem, raw))
        families = list(map(self._norm, raw))
        counts = Counter(families)
        # A word after a prefix that negates it ("non-verifiable") is not said on its own.
        for word in negated(folded):
            fam = key(word)
            if counts[fam] > 0:
                counts[fam] -= 1
        # The paper's first word of each family wins (reversed: the first is written last).
        self.forms.update(zip(reversed(families), reversed(words_), strict=True))
        authored = index in (TITLE, ABSTRACT)
        if rules.own_definitions and "(" in text:
            for match in _ASIDE.finditer(text):
                word, is_acronym, _parts = traits(match.group(1))
                if is_acronym and word in ACRONYMS:
                    before = words(text[: match.start()])
                    if _defines_otherwise(word, before[-12:]):
                        self.redefined.add(word)
        extra: list[str] = []  # names' words and spelled-out acronyms, counted as said
        for token in capitalised(text):
            word, is_acronym, parts = traits(token)
            if is_acronym and authored:
                self.capitals.add(key(word))
            # A name's words count as said (MonkeyOCR says OCR), but not as an acronym the
            # authors wrote: ViRL39K is a data set, not a paper about RL.
            if rules.camel_case:
                for part, _part_is_acronym in parts:
                    extra.append(key(part))
                    self.forms.setdefault(key(part), part)
            if is_acronym and word in ACRONYMS and word not in self.redefined:
                spelled = _expansion(word, rules.word_families)
                if authored:
                    self.termed.update(spelled)
                if rules.expand_acronyms:
                    extra.extend(spelled)
        counts.update(extra)
        self.words.append(words_)
        self.counts.append(counts)

    @cached_property
    def _phrasing(self) -> tuple[list[list[list[str]]], list[list[set[int]]]]:
        """Per field, the sequences a phrase is looked for in, and where no phrase may start.

        Built from regular expressions and comprehensions (C loops), not token by token:
        a _GAP stands where punctuation does, so that no phrase spans two clauses.
        """
        sequences_all: list[list[list[str]]] = []
        inside_all: list[list[set[int]]] = []
        for text in self.texts:
            plain = strip_accents(text)
            acronyms = self._acronyms_written(plain)
            written, inside = self._sequence(plain)
            sequences, cannot_start = [written], [inside]
            if "(" in plain:
                no_asides, inside_na = self._sequence(_ASIDE_OUT.sub("", plain))
                if no_asides != written:
                    sequences.append(no_asides)
                    cannot_start.append(inside_na)
            if acronyms and self.rules.expand_acronyms:
                expanded = [f for w in written for f in acronyms.get(w, (w,))]
                # Spelling out shifts positions: a phrase never starts after a negating prefix
                # there either (such a word is rare beside an acronym; recomputed, not shifted).
                starts = {n for n, f in enumerate(expanded) if n and expanded[n - 1] in _NEGATING}
                sequences.append(expanded)
                cannot_start.append(starts if inside else set())
            sequences_all.append(sequences)
            inside_all.append(cannot_start)
        return sequences_all, inside_all

    @cached_property
    def units(self) -> list[list[str]]:
        """The units `near` looks in: the title, then each sentence of the abstract (or its
        windows), each with its names' words and acronyms spelled out after a _GAP."""
        title = strip_accents(self.texts[TITLE])
        units = [[*self._sequence(title)[0], _GAP, *self._extras(title)]]
        abstract = strip_accents(self.texts[ABSTRACT])
        sentences = [
            [*self._sequence(sentence)[0], _GAP, *self._extras(sentence)]
            for sentence in _SENTENCE_END.split(abstract)
        ]
        if self.rules.near == "window":
            size, step = self.rules.window, max(1, self.rules.window // 2)
            sentences = [
                s[i : i + size] for s in sentences for i in range(0, max(1, len(s) - step), step)
            ]
        units.extend(sentences)
        return units

    def _sequence(self, plain: str) -> tuple[list[str], set[int]]:
        """A text's families in order, _GAP for punctuation; and where a phrase may not start
        (after a negating prefix: "non-verifiable" holds no "verifiable rewards")."""
        lowered = plain.lower()
        tokens = (_ASCII_TOKEN if lowered.isascii() else _TOKEN).findall(lowered)
        norm = self._norm
        if "-" in tokens:
            tokens = [t for t in tokens if t != "-"]
        else:
            return [_GAP if t[0] in _PUNCTUATION else norm(t) for t in tokens], set()
        sequence = [_GAP if t[0] in _PUNCTUATION else norm(t) for t in tokens]
        inside: set[int] = set()
        for prefix in _NEGATING.intersection(tokens):  # rare: found by C scans
            at = -1
            while True:
                try:
                    at = tokens.index(prefix, at + 1)
                except ValueError:
                    break
                if at + 1 < len(tokens) and tokens[at + 1][0] not in _PUNCTUATION:
                    inside.add(at + 1)
        return sequence, inside

    def _acronyms_written(self, plain: str) -> dict[str, tuple[str, ...]]:
        """The known acronyms a text writes in capitals, as families, with their expansions."""
        found: dict[str, tuple[str, ...]] = {}
        for raw in capital_runs(plain):
            word, is_acronym, _parts = traits(raw)
            if is_acronym and word in ACRONYMS and word not in self.redefined:
                found[self.key(word)] = _expansion(word, self.rules.word_families)
        return found

    def _extras(self, plain: str) -> list[str]:
        """What a unit also says: its names' words and its acronyms spelled out."""
        extra: list[str] = []
        for raw in capital_runs(plain):
            word, is_acronym, parts = traits(raw)
            if self.rules.camel_case:
                for part, _part_is_acronym in parts:
                    extra.extend((self.key(part), _GAP))
            if (
                is_acronym
                and self.rules.expand_acronyms
                and word in ACRONYMS
                and word not in self.redefined
            ):
                extra.extend((*_expansion(word, self.rules.word_families), _GAP))
        return extra

    @cached_property
    def pairs(self) -> frozenset[tuple[str, str]]:
        """Every two families that stand side by side in some sequence of some field: a phrase
        holds nowhere unless each two of its words are among them."""
        return frozenset().union(*(pairwise(seq) for field in self.sequences for seq in field))

    @property
    def sequences(self) -> list[list[list[str]]]:
        return self._phrasing[0]

    @property
    def inside(self) -> list[list[set[int]]]:
        return self._phrasing[1]

    @cached_property
    def concepts(self) -> dict[tuple[str, ...], Mention]:
        """The concepts the paper implies, by key (`concept_keys`), with where and by what."""
        return find_concepts(self, self._candidates) if self.rules.concepts else {}

    def concept_units(self, key: tuple[str, ...]) -> set[int]:
        """The units (0 the title, i the abstract's sentence i - 1) where a concept is implied."""
        mention = self.concepts.get(key)
        if mention is None:
            return set()
        cached = self._concept_units.get(key)
        if cached is None:
            cached = self._concept_units[key] = units_of(mention, self)
        return cached

    def occurrences(self, index: int, wanted: tuple[str, ...]) -> int:
        """How often the families `wanted` stand in field `index`, word after word, in the
        sequence that has them most often."""
        counts = self.counts[index]
        if any(w not in counts for w in wanted):
            return 0
        if len(wanted) == 1:
            return counts[wanted[0]]
        best = 0
        first, size, target = wanted[0], len(wanted), list(wanted)
        for sequence, inside in zip(self.sequences[index], self.inside[index], strict=True):
            found, start = 0, 0
            while True:
                try:
                    at = sequence.index(first, start)  # a C scan, not a Python loop
                except ValueError:
                    break
                if sequence[at : at + size] == target and at not in inside:
                    found += 1
                start = at + 1
            best = max(best, found)
        return best

    @cached_property
    def salient(self) -> frozenset[str]:
        """Every family that could make a bare term strong (what the topic index looks up)."""
        c = self.counts
        found = set(c[TITLE]) | set(c[AUTHOR]) | self.concept_tokens
        found.update(f for f, n in c[ABSTRACT].items() if n >= 2)
        if self.rules.acronym_once:
            found.update(self.capitals)
        if self.rules.expansion_once:
            found.update(self.termed)  # said once, inside an acronym the authors wrote
        if self.rules.generated == "full":
            found.update(c[SUMMARY], c[KEYWORD])
        elif self.rules.generated == "corroborate":
            found.update((set(c[SUMMARY]) | set(c[KEYWORD])) & set(c[ABSTRACT]))
        return frozenset(found)

    @cached_property
    def all_words(self) -> frozenset[str]:
        return frozenset().union(*self.words)

    @cached_property
    def typo_able(self) -> list[str]:
        """The words a typo may be forgiven into: long enough, and not numbers."""
        return [w for w in self.all_words if len(w) >= FUZZY_MIN_LENGTH and not w.isdigit()]

    @cached_property
    def typo_buckets(self) -> dict[tuple[str, int], list[str]]:
        """The paper's typo-able words by first letter (never forgiven) and length."""
        buckets: dict[tuple[str, int], list[str]] = {}
        for word in self.typo_able:
            buckets.setdefault((word[0], len(word)), []).append(word)
        return buckets

    @cached_property
    def typo_sketch(self) -> frozenset[tuple[str, int]]:
        """For each typo-able word, its first and last letters and its first three, each with
        its length: a word one typo from another shares one of these (`typo_probes`)."""
        return frozenset().union(*map(sketch, self.typo_able))

    @cached_property
    def typo_keys(self) -> frozenset[str]:
        """Salient typo-able words and their deletions (what the topic index looks up)."""
        key, salient = self.key, self.salient
        return frozenset().union(*map(deletions, (w for w in self.typo_able if key(w) in salient)))

    @cached_property
    def typo_keys_all(self) -> frozenset[str]:
        return frozenset().union(*map(deletions, self.typo_able))


def doc_of(paper: Paper, rules: Rules = RULES, vocabulary: Vocabulary | None = None) -> Doc:
    return Doc(
        (
            paper.title,
            paper.abstract,
            paper.ai_summary or "",
            " ; ".join(paper.ai_keywords),
            " ; ".join(paper.authors),
        ),
        rules,
        vocabulary,
    )


def _defines_otherwise(acronym: str, before: list[str]) -> bool:
    """Whether the words before "(ACRONYM)" spell it out, as something other than ours: the
    paper's own definition ("attack success rate (ASR)") wins over the table's."""
    letters = [c for c in acronym if c.isalpha()]
    words_ = [w for w in before if w not in STOPWORDS][-len(letters) :]
    if len(words_) < len(letters) or [w[0] for w in words_] != letters:
        return False
    return tuple(words_) != tuple(w for w in words(ACRONYMS[acronym][0]) if w not in STOPWORDS)
