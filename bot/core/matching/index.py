"""Many topics at once: a poll checks 1,000 papers against 100,000 topics without trying every
pair, and asks each distinct term or phrase about a paper once.

The topics' distinct terms and phrases (leaves) are filed under the words a paper must hold for
them to be strong (exactly, by word family, within a typo, or as a concept). For each paper:

1. the leaves filed under its words are asked `judge.find` (the one judge of a leaf);
2. each strong leaf marks the topics it stands in, and the part of each topic it satisfies;
3. a topic none of whose required parts is left unmarked is decided by its compiled query
   (`judge.compile_query`); a topic that is a leaf, or leaves joined by OR, needs no more
   than one strong leaf, and is decided at once.

Identical queries (a popular topic subscribed in many channels) are one slot. The index finds
exactly what `judge.matches` finds on every topic: step 1 and 2 only rule out topics that
cannot match.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.core.matching.concepts import concept_keys
from bot.core.matching.doc import Doc
from bot.core.matching.judge import Check, compile_query, find
from bot.core.matching.rules import RULES, Rules
from bot.core.matching.text import STOPWORDS, family, words
from bot.core.matching.tree import All, Any_, Group, Node, Not, Phrase, Term
from bot.core.matching.typos import typo_keys

K = TypeVar("K", bound=Hashable)
Leaf = Term | Phrase

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
    """Words of which a paper must contain at least one for a leaf to be strong.

    `exact` holds word families, `fuzzy` typed words whose typos count too. Each is paired with
    `broad`: True when it may occur anywhere in the paper (a phrase, an `abstract:` term),
    False when strength needs it among the paper's salient words (`Doc.salient`).
    """

    exact: frozenset[tuple[str, bool]]
    fuzzy: frozenset[tuple[str, bool]]


def anchors(leaf: Leaf, rules: Rules = RULES) -> Anchors:
    """The words under which `leaf` is filed."""
    key = family if rules.word_families else str.strip
    if isinstance(leaf, Term):
        # Generated keywords are salient only when they are trusted in full.
        broad = leaf.field == "abstract" or (leaf.field == "keyword" and rules.generated != "full")
        fuzzy = frozenset({(leaf.word, broad)}) if leaf.fuzzy else frozenset()
        return Anchors(frozenset({(key(leaf.word), broad)}), fuzzy)
    # A phrase counts on one mention anywhere: each of its words is in the paper (`Doc.every`),
    # the rarest is the one looked up; or the paper implies it as a concept.
    rarest = min(leaf.words, key=lambda w: (w in STOPWORDS, w in _COMMON, -len(w)))
    anchored = {(key(rarest), True)}
    wanted = tuple(key(w) for w in leaf.words)
    if rules.concepts and wanted in concept_keys(rules.word_families):
        anchored.add((" ".join(wanted), True))  # a concept the paper implies (Doc.every)
    return Anchors(frozenset(anchored), frozenset())


def _leaves(node: Node) -> list[Leaf]:
    """The positive leaves of `node` (those inside an exclusion are never required)."""
    if isinstance(node, Term | Phrase):
        return [node]
    if isinstance(node, Not):
        return []
    children = (*node.phrases, *node.parts) if isinstance(node, Group) else node.children
    return [leaf for child in children for leaf in _leaves(child)]


def _needed(node: Node) -> bool:
    """Whether `node` can only hold when one of its positive leaves is strong."""
    if isinstance(node, Term | Phrase | Group):
        return True
    if isinstance(node, Not):
        return False
    if isinstance(node, All):
        return any(_needed(c) for c in node.children)
    return all(_needed(c) for c in node.children)


@dataclass(frozen=True, slots=True)
class _Plan:
    """How one slot (a distinct query) is decided once some of its leaves are strong.

    Each required part of the query has a bit; a strong leaf sets the bits of the parts it
    stands in. `need` is every required bit; `check` is None when any strong leaf decides.
    `generic` lists, for a Group, each part's bit with the word that may be dropped when it is
    a generic head (`judge._scattered`), so that its bit is not required then.
    """

    need: int
    check: Check | None
    generic: tuple[tuple[int, str], ...] = ()


def _plan(node: Node) -> tuple[_Plan, list[tuple[Leaf, int]]]:
    """The slot's plan, and each of its positive leaves with the bits it sets."""
    if isinstance(node, Term | Phrase):
        return _Plan(1, None), [(node, 1)]
    if isinstance(node, Any_) and all(isinstance(c, Term | Phrase) for c in node.children):
        return _Plan(1, None), [(leaf, 1) for leaf in _leaves(node)]
    check = compile_query(node)
    if isinstance(node, Group) and 1 < len(node.parts) <= 30:
        every = (1 << len(node.parts)) - 1
        marks = [(leaf, every) for phrase in node.phrases for leaf in _leaves(phrase)]
        generic = []
        for i, part in enumerate(node.parts):
            marks.extend((leaf, 1 << i) for leaf in _leaves(part))
            if isinstance(part, Term):
                generic.append((1 << i, part.word))
        return _Plan(every, check, tuple(generic)), marks
    if isinstance(node, All) and len(node.children) <= 30:
        need, marks = 0, []
        for i, child in enumerate(node.children):
            if _needed(child):
                need |= 1 << i
                marks.extend((leaf, 1 << i) for leaf in _leaves(child))
        return _Plan(need, check), marks
    return _Plan(1, check), [(leaf, 1) for leaf in _leaves(node)]


class TopicIndex(Generic[K]):
    """Topics indexed by their leaves, and leaves by their anchor words; `match` returns the
    keys of the topics a prepared paper matches, in the order the topics were given."""

    def __init__(self, topics: Iterable[tuple[K, Node]], rules: Rules = RULES) -> None:
        self._rules = rules
        self._keys: list[list[K]] = []
        self._plans: list[_Plan] = []
        self._leaves: list[Leaf] = []
        self._marks: list[list[tuple[int, int]]] = []  # leaf → (slot, bits)
        # [salient, broad] lookups: word → leaves.
        self._exact: tuple[dict[str, list[int]], dict[str, list[int]]] = ({}, {})
        self._fuzzy: tuple[dict[str, list[int]], dict[str, list[int]]] = ({}, {})
        slots: dict[Node, int] = {}
        leaf_ids: dict[Leaf, int] = {}
        for key, node in topics:
            slot = slots.get(node)
            if slot is not None:
                self._keys[slot].append(key)
                continue
            if not _needed(node):
                continue  # the parser refuses such queries; nothing could anchor them
            slot = slots[node] = len(self._plans)
            plan, marks = _plan(node)
            self._plans.append(plan)
            self._keys.append([key])
            for leaf, bits in marks:
                leaf_id = leaf_ids.get(leaf)
                if leaf_id is None:
                    leaf_id = leaf_ids[leaf] = self._add_leaf(leaf)
                self._marks[leaf_id].append((slot, bits))

    def _add_leaf(self, leaf: Leaf) -> int:
        leaf_id = len(self._leaves)
        self._leaves.append(leaf)
        self._marks.append([])
        found = anchors(leaf, self._rules)
        for word, broad in found.exact:
            self._exact[broad].setdefault(word, []).append(leaf_id)
        for word, broad in found.fuzzy:
            for k in typo_keys([word]):
                self._fuzzy[broad].setdefault(k, []).append(leaf_id)
        return leaf_id

    def __len__(self) -> int:
        return sum(len(keys) for keys in self._keys)

    def candidates(self, doc: Doc) -> set[int]:
        """The leaves that may be strong in `doc`: those filed under its words."""
        leaves: set[int] = set()
        # Set intersections run in C; only the keys both sides share are looked up.
        for broad, pool in ((False, doc.salient), (True, doc.every)):
            exact, fuzzy = self._exact[broad], self._fuzzy[broad]
            for word in pool & exact.keys():
                leaves.update(exact[word])
            if fuzzy:
                keys = doc.typo_keys_all if broad else doc.typo_keys
                for key in keys & fuzzy.keys():
                    leaves.update(fuzzy[key])
        return leaves

    def match(self, doc: Doc) -> list[K]:
        all_leaves, marks = self._leaves, self._marks
        hits: dict[int, int] = {}
        for leaf_id in self.candidates(doc):
            if find(all_leaves[leaf_id], doc).strong:
                for slot, bits in marks[leaf_id]:
                    hits[slot] = hits.get(slot, 0) | bits
        plans, keys = self._plans, self._keys
        found: list[K] = []
        for slot in sorted(hits):
            plan = plans[slot]
            bits = hits[slot]
            if bits & plan.need != plan.need and not self._generic_only(plan, bits, doc):
                continue
            if plan.check is None or plan.check(doc):
                found.extend(keys[slot])
        return found

    def _generic_only(self, plan: _Plan, bits: int, doc: Doc) -> bool:
        """Whether the parts a Group lacks are all generic heads, which it may do without."""
        if not plan.generic or self._rules.generic_heads == "keep":
            return False
        missing = plan.need & ~bits
        for bit, word in plan.generic:
            if missing & bit and doc.vocabulary.share(doc.key(word)) >= doc.rules.generic_share:
                missing &= ~bit
        return not missing
