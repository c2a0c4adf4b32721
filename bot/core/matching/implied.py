"""What a prepared paper implies without writing it: the concepts (`concepts.py`) its words
name, found once per paper, with where they were said and by what."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.core.matching.concepts import (
    CONCEPTS,
    broader_concepts,
    concept_key_list,
    concept_pattern,
    concept_phrases,
    named_concepts,
)
from bot.core.matching.fields import ABSTRACT, GENERATED, TITLE
from bot.core.matching.rules import Rules
from bot.core.matching.text import count_in, words

if TYPE_CHECKING:  # a Doc finds its concepts here: the type only, to keep one way round
    from bot.core.matching.doc import Doc


@dataclass
class Mention:
    """Where a paper implies a concept: how often per field, and by what."""

    counts: list[int] = field(default_factory=lambda: [0, 0, 0, 0, 0])
    via: str = ""  # the first word or phrase that implied it
    index: int = -1  # the concept's place in CONCEPTS (-1: only implied by narrower ones)
    sources: list[Mention] = field(default_factory=list)  # the narrower concepts that imply it


def concept_fields(rules: Rules) -> tuple[int, ...]:
    """The fields concepts are read in: the authors' own, and the generated ones if trusted."""
    if rules.generated == "full":
        return (TITLE, ABSTRACT, *GENERATED)
    return (TITLE, ABSTRACT)


def possible_concepts(doc: Doc) -> tuple[set[int], frozenset[str]]:
    """The concepts the paper may imply, by index, and every key they may stand for (theirs
    and the broader ones they imply), as the topic index looks them up."""
    candidates = _concept_candidates(doc)
    keys = concept_key_list(doc.rules.word_families)
    found = {keys[i] for i in candidates}
    for i in sorted(candidates):
        found.update(broader_concepts(i, doc.rules.word_families))
    return candidates, frozenset(" ".join(k) for k in found)


def _concept_candidates(doc: Doc) -> set[int]:
    """The concepts whose name the paper writes or whose phrases' words it holds (a
    superset of `concepts`, found with set operations), and the broader ones they imply."""
    read = concept_fields(doc.rules)
    held = set().union(*(doc.counts[i] for i in read))
    named = set().union(*map(named_concepts, set().union(*(doc.words[i] for i in read))))
    phrases = concept_phrases(doc.rules.word_families)
    possible = {
        i for i, options in enumerate(phrases) if any(held.issuperset(p) for p, _ in options)
    }
    return possible | named


def find_concepts(doc: Doc, candidates: set[int]) -> dict[tuple[str, ...], Mention]:
    """The concepts the paper implies, by key, with where and by what."""
    read = concept_fields(doc.rules)
    keys = concept_key_list(doc.rules.word_families)
    phrases = concept_phrases(doc.rules.word_families)
    found: dict[tuple[str, ...], Mention] = {}
    # Which concepts each field's words name, asked once per distinct word.
    named: dict[int, list[tuple[int, str, int]]] = {}
    for index in read:
        for word, n in Counter(doc.words[index]).items():
            for i in named_concepts(word):
                named.setdefault(i, []).append((index, word, n))
    for i in sorted(candidates):  # the rest cannot be implied
        mention = Mention()
        for index, word, n in named.get(i, ()):
            mention.counts[index] += n
            mention.via = mention.via or word
        for index in read:
            held = doc.counts[index].keys()
            for phrase, written in phrases[i]:
                times = doc.occurrences(index, phrase) if held >= set(phrase) else 0
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
            target = found.setdefault(tuple(doc.key(w) for w in words(broader)), Mention())
            target.counts = [a + b for a, b in zip(target.counts, source.counts, strict=True)]
            target.via = target.via or source.via
            target.sources.append(source)
    return found


def units_of(mention: Mention, doc: Doc) -> set[int]:
    """The units (0 the title, i the abstract's sentence i - 1) where a concept is implied."""
    found: set[int] = set()
    for source in mention.sources:
        found |= units_of(source, doc)
    if mention.index < 0:
        return found
    pattern = concept_pattern(mention.index)
    phrases = concept_phrases(doc.rules.word_families)[mention.index]
    for u, unit in enumerate(doc.units):
        if (pattern is not None and any(pattern.fullmatch(w) for w in unit)) or any(
            count_in(unit, p) for p, _written in phrases
        ):
            found.add(u)
    return found
