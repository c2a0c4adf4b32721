"""Many topics at once: the few topics a paper could match, found through "anchor" words.

A poll checks 1,000 papers against 100,000 topics without trying every pair: each topic is
filed under words of which a matching paper must hold at least one (exactly, by word family, or
within a typo), and only the topics filed under a paper's words are checked in full.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.core.match_rules import RULES, Rules
from bot.core.matching import Check, compile_query
from bot.core.paper_doc import Doc, concept_keys, typo_keys
from bot.core.query import All, Group, Node, Not, Phrase, Term
from bot.core.text import family, words

K = TypeVar("K", bound=Hashable)

# Words so frequent in ML abstracts that they make poor anchors when a rarer word is available.
_COMMON_WORDS = words(
    "model models learning language network networks neural data method methods task tasks "
    "training train based performance large deep approach results framework system propose "
    "using use new show paper study generation image images video text multi state space "
    "vision time high efficient existing demonstrate benchmark benchmarks evaluation of the a "
    "an and for in on to with"
)
_COMMON = frozenset(_COMMON_WORDS) | frozenset(family(w) for w in _COMMON_WORDS)


@dataclass(frozen=True, slots=True)
class Anchors:
    """Words of which a matching paper must contain at least one.

    `exact` holds word families, `fuzzy` typed words whose typos count too. Each is paired with
    `broad`: True when it may occur anywhere in the paper (a phrase, an `abstract:` term),
    False when a match needs it among the paper's salient words (`Doc.salient`).
    """

    exact: frozenset[tuple[str, bool]]
    fuzzy: frozenset[tuple[str, bool]]

    @property
    def cost(self) -> float:
        words_ = [w for w, _ in self.exact | self.fuzzy]
        common = sum(1 for w in words_ if w in _COMMON)
        return len(self.exact) + 3 * len(self.fuzzy) + 50 * common


def anchors(node: Node, rules: Rules = RULES) -> Anchors | None:
    """The cheapest anchor set for `node`, or None when it cannot be anchored (an exclusion)."""
    key = family if rules.word_families else str.strip
    if isinstance(node, Term):
        # Generated keywords are salient only when they are trusted in full.
        broad = node.field == "abstract" or (node.field == "keyword" and rules.generated != "full")
        fuzzy = frozenset({(node.word, broad)}) if node.fuzzy else frozenset()
        return Anchors(frozenset({(key(node.word), broad)}), fuzzy)
    if isinstance(node, Phrase):
        # Broad: a phrase counts on one mention anywhere, and its words need not be salient.
        rarest = min(node.words, key=lambda w: (w in _COMMON, -len(w)))
        anchored = {(key(rarest), True)}
        wanted = tuple(key(w) for w in node.words)
        if rules.concepts and wanted in concept_keys(rules.word_families):
            anchored.add((" ".join(wanted), True))  # a concept the paper implies (Doc.every)
        return Anchors(frozenset(anchored), frozenset())
    if isinstance(node, Not):
        return None
    if isinstance(node, Group):
        options: list[Anchors | None] = [anchors(p, rules) for p in node.phrases]
        options.append(anchors(All(node.parts), rules))
        return _union(options)
    found = [anchors(c, rules) for c in node.children]
    if isinstance(node, All):
        usable = [a for a in found if a is not None]
        return min(usable, key=lambda a: a.cost) if usable else None
    return _union(found)


def _union(options: list[Anchors | None]) -> Anchors | None:
    if any(a is None for a in options):
        return None
    return Anchors(
        frozenset().union(*(a.exact for a in options if a)),
        frozenset().union(*(a.fuzzy for a in options if a)),
    )


class TopicIndex(Generic[K]):
    """Topics indexed by their anchor words; `match` returns the keys of matching topics.

    Identical queries (popular topics subscribed in many channels) are evaluated once. Anchors
    are looked up among a paper's salient words, except broad ones (among all its words).
    """

    def __init__(self, topics: Iterable[tuple[K, Node]], rules: Rules = RULES) -> None:
        self._checks: list[Check] = []
        self._keys: list[list[K]] = []
        # [salient, broad] lookups: word → topic slots.
        self._exact: tuple[dict[str, list[int]], dict[str, list[int]]] = ({}, {})
        self._fuzzy: tuple[dict[str, list[int]], dict[str, list[int]]] = ({}, {})
        slots: dict[Node, int] = {}
        for key, node in topics:
            slot = slots.get(node)
            if slot is not None:
                self._keys[slot].append(key)
                continue
            found = anchors(node, rules)
            if found is None:
                continue  # the parser refuses such queries; nothing could anchor them
            slot = slots[node] = len(self._checks)
            self._checks.append(compile_query(node))
            self._keys.append([key])
            for word, broad in found.exact:
                self._exact[broad].setdefault(word, []).append(slot)
            for word, broad in found.fuzzy:
                for k in typo_keys([word]):
                    self._fuzzy[broad].setdefault(k, []).append(slot)

    def __len__(self) -> int:
        return sum(len(keys) for keys in self._keys)

    def candidates(self, doc: Doc) -> set[int]:
        slots: set[int] = set()
        # Set intersections run in C; only the keys both sides share are looked up.
        for broad, pool in ((False, doc.salient), (True, doc.every)):
            exact, fuzzy = self._exact[broad], self._fuzzy[broad]
            for word in pool & exact.keys():
                slots.update(exact[word])
            if fuzzy:
                keys = doc.typo_keys_all if broad else doc.typo_keys
                for key in keys & fuzzy.keys():
                    slots.update(fuzzy[key])
        return slots

    def match(self, doc: Doc) -> list[K]:
        checks, keys = self._checks, self._keys
        found: list[K] = []
        for slot in sorted(self.candidates(doc)):
            if checks[slot](doc):
                found.extend(keys[slot])
        return found
