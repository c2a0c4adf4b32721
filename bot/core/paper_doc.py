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

from bot.core.acronyms import ACRONYMS
from bot.core.concepts import CONCEPTS
from bot.core.match_rules import RULES, Rules
from bot.core.models import Paper
from bot.core.query import FUZZY_MIN_LENGTH, Node
from bot.core.text import STOPWORDS, Scan, family, scan, words
from bot.core.vocabulary import Vocabulary

FIELD_NAMES = ("title", "abstract", "summary", "keyword", "author")
TITLE, ABSTRACT, SUMMARY, KEYWORD, AUTHOR = range(5)
GENERATED = (SUMMARY, KEYWORD)  # Hugging Face's machine-written AI summary and keywords
# A separator that no word equals: what is appended to a sentence never joins its phrases.
_GAP = "|"

Key = Callable[[str], str]
Counts = tuple[int, int, int, int, int]


@dataclass
class Mention:
    """Where a paper implies a concept: how often per field, by what, in which units."""

    counts: list[int] = field(default_factory=lambda: [0, 0, 0, 0, 0])
    via: str = ""  # the first word or phrase that implied it
    units: set[int] = field(default_factory=set)  # 0 the title, i the abstract's sentence i - 1


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
def _concept_phrases(families: bool) -> list[list[tuple[tuple[str, ...], str]]]:
    """Each concept's phrases as families, with the phrase as written (to say what implied it)."""
    key = family if families else _same
    return [[(tuple(key(w) for w in words(p)), p) for p in c.phrases] for c in CONCEPTS]


@cache
def _pattern(i: int) -> re.Pattern[str] | None:
    return CONCEPTS[i].pattern


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
    """A paper's words, prepared once for matching many queries."""

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
        self.words: list[list[str]] = []  # per field, the normalised words as written
        self.sequences: list[list[list[str]]] = []  # per field, where phrases are looked for
        self.counts: list[Counter[str]] = []
        self.capitals: set[str] = set()  # families written as acronyms in title or abstract
        self.termed: set[str] = set()  # families said inside an acronym the authors wrote
        self.redefined: set[str] = set()  # known acronyms the paper defines otherwise
        self.forms: dict[str, str] = {}  # family → the paper's first word of it
        # units[0] is the title; units[i] the abstract's sentence i - 1 (or a window of it).
        self.units: list[list[str]] = []
        self.inside: list[list[set[int]]] = []  # per field and sequence: no phrase starts there
        self._positions: dict[tuple[int, int], dict[str, list[int]]] = {}
        for index, text in enumerate(texts):
            found = scan(text)
            keep = None
            if rules.skip_release and index in (ABSTRACT, SUMMARY) and any(found.release):
                keep = [not found.release[n] for n in found.sentences]
            self._add_field(index, found, keep)
        self.concepts = self._find_concepts() if rules.concepts else {}
        self.concept_tokens = frozenset(" ".join(k) for k in self.concepts)
        written = (f for sequences in self.sequences for f in sequences[0] if f != _GAP)
        self.every = frozenset().union(*self.counts, written) | self.concept_tokens
        self.cache: dict[Node, object] = {}

    def _add_field(self, index: int, found: Scan, keep: list[bool] | None) -> None:
        key, rules = self.key, self.rules
        positions = (
            range(len(found.words)) if keep is None else [i for i, k in enumerate(keep) if k]
        )
        words_ = [found.words[i] for i in positions]
        families = [key(w) for w in words_]
        # A word after a prefix that changes it ("self-supervised") is not said on its own.
        counts = Counter(f for i, f in zip(positions, families, strict=True) if not found.inside[i])
        extra: list[str] = []  # camel-case parts and spelled-out acronyms, counted as said
        # Where phrases are looked for: as written, without asides, acronyms spelled out; a
        # _GAP stands where punctuation does, so that no phrase spans two clauses.
        written: list[str] = []
        no_asides: list[str] = []
        expanded: list[str] = []
        inside: list[set[int]] = [set(), set(), set()]  # where no phrase may start, per sequence
        authored = index in (TITLE, ABSTRACT)
        units: dict[int, list[str]] = {}  # the abstract's sentences
        previous_aside = False
        for k, (i, word, fam) in enumerate(zip(positions, words_, families, strict=True)):
            self.forms.setdefault(fam, word)
            unit = units.setdefault(found.sentences[i], []) if index == ABSTRACT else []
            aside = found.asides[i]
            if found.breaks[i]:
                written.append(_GAP)
                expanded.append(_GAP)
                unit.append(_GAP)
                if not aside and not previous_aside:
                    no_asides.append(_GAP)
            previous_aside = aside
            if found.inside[i]:
                for sequence, starts in zip((written, no_asides, expanded), inside, strict=True):
                    starts.add(len(sequence))
            written.append(fam)
            unit.append(fam)
            if not aside:
                no_asides.append(fam)
            capitals = found.capitals[i]
            if capitals and authored:
                self.capitals.add(fam)
            acronyms = [word] if capitals and word in ACRONYMS else []
            own = acronyms and found.asides[i] and rules.own_definitions
            if own and _defines_otherwise(word, words_[:k]):
                self.redefined.add(word)
            acronyms = [a for a in acronyms if a not in self.redefined]
            # A name's words count as said (MonkeyOCR says OCR), but not as an acronym the
            # authors wrote: ViRL39K is a data set, not a paper about RL.
            for part, _is_acronym in found.parts.get(i, ()) if rules.camel_case else ():
                extra.append(key(part))
                unit.extend((_GAP, key(part), _GAP))
                self.forms.setdefault(key(part), part)
            spelled = [w for a in acronyms for w in _expansion(a, rules.word_families)]
            if authored:
                self.termed.update(spelled)
            if rules.expand_acronyms and spelled:
                extra.extend(spelled)
                unit.extend((_GAP, *spelled, _GAP))
                expanded.extend(spelled if word in acronyms else [fam, *spelled])
            else:
                expanded.append(fam)
        counts.update(extra)
        sequences = [written]
        cannot_start = [inside[0]]
        if no_asides != written:
            sequences.append(no_asides)
            cannot_start.append(inside[1])
        if expanded != written:
            sequences.append(expanded)
            cannot_start.append(inside[2])
        self.inside.append(cannot_start)
        self.words.append(words_)
        self.sequences.append(sequences)
        self.counts.append(counts)
        if index == TITLE:
            self.units.append([*written, _GAP, *extra])
        elif index == ABSTRACT:
            self._add_units(list(units.values()))

    def _add_units(self, sentences: list[list[str]]) -> None:
        if self.rules.near == "window":
            size, step = self.rules.window, max(1, self.rules.window // 2)
            sentences = [
                s[i : i + size] for s in sentences for i in range(0, max(1, len(s) - step), step)
            ]
        self.units.extend(sentences)

    def _find_concepts(self) -> dict[tuple[str, ...], Mention]:
        read: tuple[int, ...] = (TITLE, ABSTRACT)
        if self.rules.generated == "full":
            read = (TITLE, ABSTRACT, *GENERATED)
        keys = list(concept_keys(self.rules.word_families))
        phrases = _concept_phrases(self.rules.word_families)
        found: dict[tuple[str, ...], Mention] = {}
        said = {index: Counter(self.words[index]) for index in read}
        for i in range(len(CONCEPTS)):
            mention = Mention()
            pattern = _pattern(i)
            for index in read:
                if pattern is not None:
                    for word, n in said[index].items():
                        if i in _named(word):
                            mention.counts[index] += n
                            mention.via = mention.via or word
                for phrase, written in phrases[i]:
                    if phrase[0] not in self.counts[index]:
                        continue
                    n = self.occurrences(index, phrase)
                    if n:
                        mention.counts[index] += n
                        mention.via = mention.via or written
            if any(mention.counts):
                mention.units = {
                    u
                    for u, unit in enumerate(self.units)
                    if (pattern is not None and any(pattern.fullmatch(w) for w in unit))
                    or any(count_in(unit, p) for p, _written in phrases[i])
                }
                found[keys[i]] = mention
        for i, concept in enumerate(CONCEPTS):  # a VLM is also an LLM, and multimodal
            source = found.get(keys[i])
            if source is None:
                continue
            for broader in concept.also:
                target = found.setdefault(tuple(self.key(w) for w in words(broader)), Mention())
                target.counts = [a + b for a, b in zip(target.counts, source.counts, strict=True)]
                target.via = target.via or source.via
                target.units |= source.units
        return found

    def occurrences(self, index: int, wanted: tuple[str, ...]) -> int:
        """How often the families `wanted` stand in field `index`, word after word, in the
        sequence that has them most often."""
        if wanted[0] not in self.counts[index]:
            return 0
        if len(wanted) == 1:
            return self.counts[index][wanted[0]]
        best = 0
        size, target = len(wanted), list(wanted)
        for n, sequence in enumerate(self.sequences[index]):
            positions = self._positions.get((index, n))
            if positions is None:
                positions = self._positions[(index, n)] = {}
                for i, fam in enumerate(sequence):
                    positions.setdefault(fam, []).append(i)
            inside = self.inside[index][n]
            found = sum(
                1
                for i in positions.get(wanted[0], ())
                if sequence[i : i + size] == target and i not in inside
            )
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
        if self.rules.generated == "full":
            found.update(c[SUMMARY], c[KEYWORD])
        elif self.rules.generated == "corroborate":
            found.update((set(c[SUMMARY]) | set(c[KEYWORD])) & set(c[ABSTRACT]))
        return frozenset(found)

    @cached_property
    def typo_buckets(self) -> dict[str, list[str]]:
        """The paper's typo-able words by first letter (a first letter is never forgiven)."""
        buckets: dict[str, list[str]] = {}
        for word in self.all_words:
            if len(word) >= FUZZY_MIN_LENGTH and not word.isdigit():
                buckets.setdefault(word[0], []).append(word)
        return buckets

    @cached_property
    def all_words(self) -> frozenset[str]:
        return frozenset(w for words_ in self.words for w in words_)

    @cached_property
    def typo_keys(self) -> set[str]:
        """Salient typo-able words and their deletions (what the topic index looks up)."""
        return typo_keys(w for w in self.all_words if self.key(w) in self.salient)

    @cached_property
    def typo_keys_all(self) -> set[str]:
        return typo_keys(self.all_words)


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


def typo_keys(words_: Iterable[str]) -> set[str]:
    """Typo-able words and every deletion of them but the first letter's (never forgiven)."""
    keys: set[str] = set()
    for word in words_:
        if len(word) >= FUZZY_MIN_LENGTH and not word.isdigit():
            keys.add(word)
            keys.update(word[:i] + word[i + 1 :] for i in range(1, len(word)))
    return keys


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
