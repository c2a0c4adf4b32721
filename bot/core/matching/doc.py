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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache
from itertools import pairwise

from bot.core.matching.acronyms import ACRONYMS
from bot.core.matching.concepts import CONCEPTS
from bot.core.matching.query import FUZZY_MIN_LENGTH, Node
from bot.core.matching.rules import RULES, Rules
from bot.core.matching.text import (
    MEANING_PREFIXES,
    STOPWORDS,
    capitalised,
    family,
    fold,
    negated,
    stem,
    strip_accents,
    traits,
    without_release,
    words,
)
from bot.core.matching.vocabulary import Vocabulary
from bot.core.models import Paper

FIELD_NAMES = ("title", "abstract", "summary", "keyword", "author")
TITLE, ABSTRACT, SUMMARY, KEYWORD, AUTHOR = range(5)
GENERATED = (SUMMARY, KEYWORD)  # Hugging Face's machine-written AI summary and keywords
# A separator that no word equals: what is appended to a sentence never joins its phrases.
_GAP = "|"

Key = Callable[[str], str]
_WORDS = re.compile(r"[a-z0-9]+")
# Words, the punctuation that ends a clause, and hyphens (to see negating prefixes).
_TOKEN = re.compile(r"[a-z0-9]+|[,;:()\[\]{}!?\"]|\.\s|-")
_PUNCTUATION = frozenset(',;:()[]{}!?".')
_NEGATING = frozenset(MEANING_PREFIXES)
_ASIDE_OUT = re.compile(r"\s*\([A-Za-z0-9]+\)")
_CAPITALISED = re.compile(r"[A-Za-z0-9]*[A-Z][A-Za-z0-9]*")
_SENTENCE_END = re.compile(r"[.!?]\s+(?=[A-Z0-9])")
_ASIDE = re.compile(r"\(([A-Za-z0-9]+)\)")
Counts = tuple[int, int, int, int, int]


@dataclass
class Mention:
    """Where a paper implies a concept: how often per field, and by what."""

    counts: list[int] = field(default_factory=lambda: [0, 0, 0, 0, 0])
    via: str = ""  # the first word or phrase that implied it
    index: int = -1  # the concept's place in CONCEPTS (-1: only implied by narrower ones)
    sources: list[Mention] = field(default_factory=list)  # the narrower concepts that imply it


def _same(word: str) -> str:
    return word


@cache
def _expansion(acronym: str, families: bool) -> tuple[str, ...]:
    key = family if families else _same
    return tuple(key(w) for w in words(ACRONYMS[acronym][0]))


@cache
def concept_keys(families: bool) -> dict[tuple[str, ...], int]:
    """Each concept's name as a key (its words' families), with its index in CONCEPTS."""
    key = family if families else _same
    return {tuple(key(w) for w in words(c.name)): i for i, c in enumerate(CONCEPTS)}


@cache
def _key_list(families: bool) -> list[tuple[str, ...]]:
    return list(concept_keys(families))


@cache
def _concept_phrases(families: bool) -> list[list[tuple[tuple[str, ...], str]]]:
    """Each concept's phrases as families, with the phrase as written (to say what implied it)."""
    key = family if families else _same
    return [[(tuple(key(w) for w in words(p)), p) for p in c.phrases] for c in CONCEPTS]


@cache
def _broader(i: int, families: bool) -> tuple[tuple[str, ...], ...]:
    """The keys of every concept that concept `i` implies, directly or through another."""
    key = family if families else _same
    found: list[tuple[str, ...]] = []
    for broader in CONCEPTS[i].also:
        wanted = tuple(key(w) for w in words(broader))
        found.append(wanted)
        index = concept_keys(families).get(wanted)
        if index is not None:
            found.extend(_broader(index, families))
    return tuple(found)


@cache
def _pattern(i: int) -> re.Pattern[str] | None:
    return CONCEPTS[i].pattern


@lru_cache(maxsize=200_000)
def _family_of(raw: str) -> str:
    """A lower-case token's word family, in one cached call (`text.family` of `text.stem`)."""
    return family(stem(raw))


@lru_cache(maxsize=200_000)
def _named(word: str) -> frozenset[int]:
    """The concepts whose names `word` is (most words are none: asked once per word)."""
    found = set()
    for i in range(len(CONCEPTS)):
        pattern = _pattern(i)
        if pattern is not None and pattern.fullmatch(word):
            found.add(i)
    return frozenset(found)


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
        self.key: Key = family if rules.word_families else _same
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
        self._candidates: set[int] = set()  # the concepts the paper may imply, by index
        self.concept_tokens = self._possible_concepts() if rules.concepts else frozenset()
        self.every = frozenset().union(*self.counts) | self.concept_tokens
        self.cache: dict[Node, object] = {}
        self._concept_units: dict[tuple[str, ...], set[int]] = {}

    def _add_field(self, index: int, text: str) -> None:
        key, rules = self.key, self.rules
        folded = fold(text)
        raw = _WORDS.findall(folded)
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
        tokens = _TOKEN.findall(plain.lower())
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
        for raw in _CAPITALISED.findall(plain):
            word, is_acronym, _parts = traits(raw)
            if is_acronym and word in ACRONYMS and word not in self.redefined:
                found[self.key(word)] = _expansion(word, self.rules.word_families)
        return found

    def _extras(self, plain: str) -> list[str]:
        """What a unit also says: its names' words and its acronyms spelled out."""
        extra: list[str] = []
        for raw in _CAPITALISED.findall(plain):
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
        return self._find_concepts() if self.rules.concepts else {}

    def _concept_fields(self) -> tuple[int, ...]:
        if self.rules.generated == "full":
            return (TITLE, ABSTRACT, *GENERATED)
        return (TITLE, ABSTRACT)

    def _possible_concepts(self) -> frozenset[str]:
        self._candidates = self._concept_candidates()
        found = {self._concept_keys[i] for i in self._candidates}
        for i in sorted(self._candidates):
            found.update(_broader(i, self.rules.word_families))
        return frozenset(" ".join(k) for k in found)

    @property
    def _concept_keys(self) -> list[tuple[str, ...]]:
        return _key_list(self.rules.word_families)

    def _concept_candidates(self) -> set[int]:
        """The concepts whose name the paper writes or whose phrases' words it holds (a
        superset of `concepts`, found with set operations), and the broader ones they imply."""
        read = self._concept_fields()
        held = set().union(*(self.counts[i] for i in read))
        named = set().union(*map(_named, set().union(*(self.words[i] for i in read))))
        phrases = _concept_phrases(self.rules.word_families)
        possible = {
            i for i, options in enumerate(phrases) if any(held.issuperset(p) for p, _ in options)
        }
        return possible | named

    def _find_concepts(self) -> dict[tuple[str, ...], Mention]:
        read = self._concept_fields()
        keys = self._concept_keys
        phrases = _concept_phrases(self.rules.word_families)
        found: dict[tuple[str, ...], Mention] = {}
        # Which concepts each field's words name, asked once per distinct word.
        named: dict[int, list[tuple[int, str, int]]] = {}
        for index in read:
            for word, n in Counter(self.words[index]).items():
                for i in _named(word):
                    named.setdefault(i, []).append((index, word, n))
        for i in sorted(self._candidates):  # the rest cannot be implied
            mention = Mention()
            for index, word, n in named.get(i, ()):
                mention.counts[index] += n
                mention.via = mention.via or word
            for index in read:
                held = self.counts[index].keys()
                for phrase, written in phrases[i]:
                    times = self.occurrences(index, phrase) if held >= set(phrase) else 0
                    if times:
                        mention.counts[index] += times
                        mention.via = mention.via or written
            if any(mention.counts):
                mention.index = i
                found[keys[i]] = mention
        for i, concept in enumerate(CONCEPTS):  # a VLM is also an LLM, and multimodal
            source = found.get(keys[i])
            if source is None:
                continue
            for broader in concept.also:
                target = found.setdefault(tuple(self.key(w) for w in words(broader)), Mention())
                target.counts = [a + b for a, b in zip(target.counts, source.counts, strict=True)]
                target.via = target.via or source.via
                target.sources.append(source)
        return found

    def concept_units(self, key: tuple[str, ...]) -> set[int]:
        """The units (0 the title, i the abstract's sentence i - 1) where a concept is implied."""
        mention = self.concepts.get(key)
        if mention is None:
            return set()
        cached = self._concept_units.get(key)
        if cached is None:
            cached = self._concept_units[key] = _units_of(mention, self)
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
        return frozenset().union(*map(_sketch, self.typo_able))

    @cached_property
    def typo_keys(self) -> frozenset[str]:
        """Salient typo-able words and their deletions (what the topic index looks up)."""
        key, salient = self.key, self.salient
        return frozenset().union(*map(_deletions, (w for w in self.typo_able if key(w) in salient)))

    @cached_property
    def typo_keys_all(self) -> frozenset[str]:
        return frozenset().union(*map(_deletions, self.typo_able))


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


def _units_of(mention: Mention, doc: Doc) -> set[int]:
    found: set[int] = set()
    for source in mention.sources:
        found |= _units_of(source, doc)
    if mention.index < 0:
        return found
    pattern = _pattern(mention.index)
    phrases = _concept_phrases(doc.rules.word_families)[mention.index]
    for u, unit in enumerate(doc.units):
        if (pattern is not None and any(pattern.fullmatch(w) for w in unit)) or any(
            count_in(unit, p) for p, _written in phrases
        ):
            found.add(u)
    return found


def _defines_otherwise(acronym: str, before: list[str]) -> bool:
    """Whether the words before "(ACRONYM)" spell it out, as something other than ours: the
    paper's own definition ("attack success rate (ASR)") wins over the table's."""
    letters = [c for c in acronym if c.isalpha()]
    words_ = [w for w in before if w not in STOPWORDS][-len(letters) :]
    if len(words_) < len(letters) or [w[0] for w in words_] != letters:
        return False
    return tuple(words_) != tuple(w for w in words(ACRONYMS[acronym][0]) if w not in STOPWORDS)


@lru_cache(maxsize=100_000)
def typo_probes(word: str) -> frozenset[tuple[str, int]]:
    """What a word one typo from `word` has in `Doc.typo_sketch`: an edit inside the word keeps
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
        *(_deletions(w) for w in words_ if len(w) >= FUZZY_MIN_LENGTH and not w.isdigit())
    )


@lru_cache(maxsize=200_000)
def _deletions(word: str) -> frozenset[str]:
    """`word` and every deletion of one of its letters but the first (never forgiven)."""
    return frozenset((word, *(word[:i] + word[i + 1 :] for i in range(1, len(word)))))


@lru_cache(maxsize=200_000)
def _sketch(word: str) -> tuple[tuple[str, int], tuple[str, int]]:
    return ((word[0] + word[-1], len(word)), (word[:3], len(word)))


def count_in(sequence: list[str], wanted: tuple[str, ...] | list[str]) -> int:
    """How often `wanted` stands in `sequence`, word after word."""
    first = wanted[0]
    if first not in sequence:
        return 0
    size, target = len(wanted), list(wanted)
    found, start = 0, 0
    while True:
        try:
            i = sequence.index(first, start)
        except ValueError:
            return found
        if sequence[i : i + size] == target:
            found += 1
        start = i + 1
