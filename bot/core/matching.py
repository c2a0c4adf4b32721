"""Matching papers against topic queries, one at a time or against many topics at once.

`Doc` is a paper prepared once (words per field, word sets, a typo index); `matches` evaluates a
query tree on it (`explain.py` says why it did or did not). `TopicIndex` finds the few topics a
paper could match through "anchor" words, so that a poll checks 1,000 papers against 100,000
topics without trying every pair.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Generic, TypeVar

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.core.concepts import concepts_of
from bot.core.models import Paper
from bot.core.query import FUZZY_MIN_LENGTH, All, Any_, Node, Not, Phrase, Term
from bot.core.text import words

K = TypeVar("K", bound=Hashable)
FIELD_NAMES = ("title", "abstract", "summary", "author", "keyword")
SALIENT_FIELDS = ("title", "summary", "keyword", "author")

# Words so frequent in ML abstracts that they make poor anchors when a rarer word is available.
_COMMON = frozenset(
    words(
        "model models learning language network networks neural data method methods task tasks "
        "training train based performance large deep approach results framework system propose "
        "using use new show paper study generation image images video text multi state space "
        "vision time high efficient existing demonstrate benchmark benchmarks evaluation"
    )
)


@dataclass
class Doc:
    """A paper's words, prepared once for matching many queries.

    `salient` holds the words that say what the paper is about: those of its title, AI summary,
    keywords and authors, abstract words that occur at least twice, and the concepts its model
    names imply (`concepts.py`). A bare term matches salient words; `abstract:` and exclusions
    look at every word.
    """

    fields: dict[str, list[str]]
    # Many topics share terms: each term is looked up once per paper.
    cache: dict[tuple[Term | Phrase, bool], bool] = field(init=False, default_factory=dict)
    sets: dict[str, frozenset[str]] = field(init=False)
    every: frozenset[str] = field(init=False)
    salient: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        self.sets = {name: frozenset(ws) for name, ws in self.fields.items()}
        self.every = frozenset().union(*self.sets.values())
        # A word said once in an abstract is often said in passing ("a classical benchmark",
        # "such as speech recognition"); one the abstract repeats is what it is about.
        seen: set[str] = set()
        repeated = {w for w in self.fields.get("abstract", []) if w in seen or seen.add(w)}  # type: ignore[func-returns-value]
        concepts = concepts_of(
            w
            for name in ("title", "abstract", "summary", "keyword")
            for w in self.sets.get(name, ())
        )
        self.every |= concepts
        self.salient = frozenset(repeated | concepts).union(
            *(self.sets.get(name, frozenset()) for name in SALIENT_FIELDS)
        )

    @cached_property
    def typo_words(self) -> list[str]:
        """The words long enough to forgive a typo in."""
        return [w for w in self.every if len(w) >= FUZZY_MIN_LENGTH and not w.isdigit()]

    @cached_property
    def typo_keys(self) -> set[str]:
        """Salient typo-able words and their deletions (what the topic index looks up)."""
        return _typo_keys(self.salient)

    @cached_property
    def typo_keys_all(self) -> set[str]:
        return _typo_keys(self.every)

    @cached_property
    def typo_buckets(self) -> dict[str, list[str]]:
        """`typo_words` by first letter (a typo in the first letter is not forgiven)."""
        buckets: dict[str, list[str]] = {}
        for word in self.typo_words:
            buckets.setdefault(word[0], []).append(word)
        return buckets

    def words_in(self, field_name: str | None, *, salient: bool = True) -> frozenset[str]:
        if field_name is None:
            return self.salient if salient else self.every
        if field_name == "abstract":
            return self.sets.get("abstract", frozenset()) | self.sets.get("summary", frozenset())
        return self.sets.get(field_name, frozenset())


def doc_of(paper: Paper) -> Doc:
    return Doc(
        {
            "title": words(paper.title),
            "abstract": words(paper.abstract),
            "summary": words(paper.ai_summary or ""),
            "author": [w for name in paper.authors for w in words(name)],
            "keyword": [w for keyword in paper.ai_keywords for w in words(keyword)],
        }
    )


def typo_matches(word: str, doc: Doc) -> set[str]:
    """Words of `doc` within one typo of `word` (same first letter, OSA distance 1)."""
    bucket = doc.typo_buckets.get(word[0])
    if not bucket:
        return set()
    found = process.extract(word, bucket, scorer=OSA.distance, score_cutoff=1, limit=None)
    return {candidate for candidate, _distance, _index in found if candidate != word}


def _term(term: Term, doc: Doc, salient: bool) -> bool:
    pool = doc.words_in(term.field, salient=salient)
    if term.word in pool:
        return True
    if not term.fuzzy:
        return False
    return any(w in pool for w in typo_matches(term.word, doc))


def _occurrences(sequence: list[str], wanted: list[str]) -> int:
    size, first = len(wanted), wanted[0]
    return sum(1 for i, w in enumerate(sequence) if w == first and sequence[i : i + size] == wanted)


def _phrase(phrase: Phrase, doc: Doc, salient: bool) -> bool:
    wanted = list(phrase.words)
    needed = set(wanted)
    if phrase.field is None:
        names: tuple[str, ...] = FIELD_NAMES
    elif phrase.field == "abstract":
        names = ("abstract", "summary")
    else:
        names = (phrase.field,)
    for name in names:
        if not needed <= doc.sets.get(name, frozenset()):
            continue
        found = _occurrences(doc.fields[name], wanted)
        # A bare phrase mentioned once in passing in the abstract is not what the paper is about,
        # when HF's AI summary says what it is about. Without one, a phrase is specific enough
        # that one mention counts (the labeled set agrees: bench/topic_quality.py).
        strict = salient and phrase.field is None and name == "abstract" and doc.fields["summary"]
        if found >= (2 if strict else 1):
            return True
    return False


def matches(node: Node, doc: Doc, *, salient: bool = True) -> bool:
    """Whether the paper prepared as `doc` matches the query tree `node`.

    Positive terms must be salient in the paper; an exclusion hits on any mention at all.
    """
    if isinstance(node, Term | Phrase):
        key = (node, salient)
        found = doc.cache.get(key)
        if found is None:
            found = (
                _term(node, doc, salient) if isinstance(node, Term) else _phrase(node, doc, salient)
            )
            doc.cache[key] = found
        return found
    if isinstance(node, All):
        return all(matches(c, doc, salient=salient) for c in node.children)
    if isinstance(node, Any_):
        return any(matches(c, doc, salient=salient) for c in node.children)
    return not matches(node.child, doc, salient=False)


Check = Callable[[Doc], bool]


def compile_query(node: Node, *, salient: bool = True) -> Check:
    """`matches` as a closure built once per topic: no type dispatch per paper."""
    if isinstance(node, Term | Phrase):
        leaf: Term | Phrase = node
        key = (leaf, salient)

        def check_leaf(doc: Doc) -> bool:
            found = doc.cache.get(key)
            if found is None:
                if isinstance(leaf, Term):
                    found = _term(leaf, doc, salient)
                else:
                    found = _phrase(leaf, doc, salient)
                doc.cache[key] = found
            return found

        return check_leaf
    if isinstance(node, Not):
        inner = compile_query(node.child, salient=False)
        return lambda doc: not inner(doc)
    parts = [compile_query(c, salient=salient) for c in node.children]
    if isinstance(node, All):
        if len(parts) == 2:
            a, b = parts
            return lambda doc: a(doc) and b(doc)
        return lambda doc: all(p(doc) for p in parts)
    return lambda doc: any(p(doc) for p in parts)


# -- many topics at once ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Anchors:
    """Words of which a matching paper must contain at least one (exactly or within a typo).

    Each word is paired with `broad`: True when it may occur anywhere in the paper (an
    `abstract:` term), False when a match needs it among the paper's salient words.
    """

    exact: frozenset[tuple[str, bool]]
    fuzzy: frozenset[tuple[str, bool]]

    @property
    def cost(self) -> float:
        words_ = [w for w, _ in self.exact | self.fuzzy]
        common = sum(1 for w in words_ if w in _COMMON)
        return len(self.exact) + 3 * len(self.fuzzy) + 50 * common


def anchors(node: Node) -> Anchors | None:
    """The cheapest anchor set for `node`, or None when it cannot be anchored (an exclusion)."""
    if isinstance(node, Term):
        item = frozenset({(node.word, node.field == "abstract")})
        return Anchors(frozenset(), item) if node.fuzzy else Anchors(item, frozenset())
    if isinstance(node, Phrase):
        rarest = min(node.words, key=lambda w: (w in _COMMON, -len(w)))
        # Broad: a phrase can match on one abstract mention (when HF gave no AI summary), and
        # then its words need not be salient.
        return Anchors(frozenset({(rarest, True)}), frozenset())
    if isinstance(node, Not):
        return None
    options = [anchors(c) for c in node.children]
    if isinstance(node, All):
        usable = [a for a in options if a is not None]
        return min(usable, key=lambda a: a.cost) if usable else None
    if any(a is None for a in options):
        return None
    return Anchors(
        frozenset().union(*(a.exact for a in options if a)),
        frozenset().union(*(a.fuzzy for a in options if a)),
    )


def _typo_keys(words_: Iterable[str]) -> set[str]:
    """Typo-able words and every deletion of them but the first letter's (never forgiven)."""
    keys: set[str] = set()
    for word in words_:
        if len(word) >= FUZZY_MIN_LENGTH and not word.isdigit():
            keys.add(word)
            keys.update(word[:i] + word[i + 1 :] for i in range(1, len(word)))
    return keys


class TopicIndex(Generic[K]):
    """Topics indexed by their anchor words; `match` returns the keys of matching topics.

    Identical queries (popular topics subscribed in many channels) are evaluated once. Anchors
    are looked up among a paper's salient words, except for `abstract:` terms (`broad`).
    """

    def __init__(self, topics: Iterable[tuple[K, Node]]) -> None:
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
            found = anchors(node)
            if found is None:
                continue  # the parser refuses such queries; nothing could anchor them
            slot = slots[node] = len(self._checks)
            self._checks.append(compile_query(node))
            self._keys.append([key])
            for word, broad in found.exact:
                self._exact[broad].setdefault(word, []).append(slot)
            for word, broad in found.fuzzy:
                for k in _typo_keys([word]):
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
