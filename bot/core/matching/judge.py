"""Matching papers against topic queries: is this paper about what the topic names?

`find` reads what a prepared paper (`doc.Doc`) says of one term or phrase (`Found`: where
and how often, through which word form, typo or concept), and `Rules` decide whether that is
enough: a word said once in passing is not what a paper is about; the title, a phrase, a term
of art or a name that implies the concept is. `matches` combines the verdicts over the query
tree; `explain.py` turns the same `Found` into words, so the two never disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

from rapidfuzz.distance import OSA

from bot.core.matching.concepts import concept_keys
from bot.core.matching.doc import Counts, Doc, doc_of
from bot.core.matching.fields import ABSTRACT, AUTHOR, FIELD_NAMES, KEYWORD, SUMMARY, TITLE
from bot.core.matching.rules import RULES, Rules
from bot.core.matching.text import STOPWORDS, count_in
from bot.core.matching.tree import All, Any_, Group, Node, Not, Phrase, Term
from bot.core.matching.typos import typo_probes

__all__ = ["FIELD_NAMES", "RULES", "Doc", "Found", "Rules", "doc_of", "find", "matches"]

_FIELD_OF_QUERY = {
    "title": (TITLE,),
    "abstract": (ABSTRACT, SUMMARY),  # `abstract:` (or `summary:`) reads both
    "keyword": (KEYWORD,),
    "author": (AUTHOR,),
}


@dataclass(frozen=True, slots=True)
class Found:
    """What a paper says of one term or phrase."""

    counts: Counts  # mentions per field, in FIELD_NAMES order
    strong: bool  # enough, by the rules, to say the paper is about it
    form: str = ""  # the paper's word when it differs from the query's (a form or a typo)
    typo: bool = False  # `form` is one edit away, forgiven
    via: str = ""  # a name or phrase that implies the term (a concept), when that is the evidence
    via_counts: Counts = (0, 0, 0, 0, 0)  # mentions of what implies it
    capitals: bool = False  # the paper writes it as an acronym

    @property
    def present(self) -> bool:
        return any(self.counts) or any(self.via_counts)


_ABSENT = Found((0, 0, 0, 0, 0), False)


def typo_candidates(word: str, doc: Doc) -> list[str]:
    """Words of `doc` one typo from `word` (same first letter, OSA distance 1)."""
    if doc.typo_sketch.isdisjoint(typo_probes(word)):
        return []  # most words: no word of the paper is near (a C-level test)
    buckets = doc.typo_buckets
    first, size = word[0], len(word)
    found = [
        c
        for length in (size - 1, size, size + 1)
        for c in buckets.get((first, length), ())
        if c != word and OSA.distance(word, c, score_cutoff=1) <= 1
    ]
    return sorted(found) if len(found) > 1 else found


def typo_matches(word: str, doc: Doc) -> list[str]:
    """The `typo_candidates` that may stand for `word`: not two real words (`Vocabulary`)."""
    near_ = typo_candidates(word, doc)
    if not doc.rules.vocabulary_typos:
        return near_
    return [c for c in near_ if doc.vocabulary.forgives(word, c)]


# -- what a paper says of one term -----------------------------------------------------------


def find(leaf: Term | Phrase, doc: Doc) -> Found:
    """What `doc` says of `leaf`, and whether that is enough (cached per paper)."""
    found = doc.cache.get(leaf)
    if found is None:
        found = _find_term(leaf, doc) if isinstance(leaf, Term) else _find_phrase(leaf, doc)
        doc.cache[leaf] = found
    assert isinstance(found, Found)
    return found


def _find_term(term: Term, doc: Doc) -> Found:
    fam = doc.key(term.word)
    if fam not in doc.every and not (term.fuzzy and typo_candidates(term.word, doc)):
        return _ABSENT  # most terms of most topics: nothing to count
    found = _term_found(term, doc, fam, "", typo=False)
    if found.strong or not term.fuzzy:
        return found
    best = found
    for near_ in typo_matches(term.word, doc):
        candidate = _term_found(term, doc, doc.key(near_), near_, typo=True)
        if candidate.strong:
            return candidate
        if not best.present and candidate.present:
            best = candidate
    return best


def _term_found(term: Term, doc: Doc, fam: str, typed: str, *, typo: bool) -> Found:
    counts = _counts(doc, fam)
    form = typed or doc.forms.get(fam, "")
    capitals = fam in doc.capitals
    if term.field is not None:
        strong = any(counts[i] for i in _FIELD_OF_QUERY[term.field])
        return Found(counts, strong, form if form != term.word else "", typo, capitals=capitals)
    if term.acronym:
        counts = (counts[0], counts[1], counts[2], counts[3], 0)  # an author Gui is no GUI
        if term.word in doc.redefined:  # "attack success rate (ASR)": not the ASR asked for
            counts = (0, 0, 0, 0, 0)
    common = doc.vocabulary.share(fam) >= doc.rules.common_share
    termed = (term.acronym and capitals) or (doc.rules.expansion_once and fam in doc.termed)
    strong = _bare_word_strong(counts, doc.rules, acronym=termed, common=common)
    via, via_counts, concept_strong = _concept(doc, (fam,))
    return Found(
        counts,
        strong or concept_strong,
        form if form != term.word else "",
        typo,
        via if not strong else "",
        via_counts,
        capitals,
    )


def _counts(doc: Doc, fam: str) -> Counts:
    c = doc.counts
    return (c[0][fam], c[1][fam], c[2][fam], c[3][fam], c[4][fam])


def _bare_word_strong(counts: Counts, rules: Rules, *, acronym: bool, common: bool) -> bool:
    """A bare word is what a paper is about when its title, its authors or (twice) its abstract
    say it; once, when it is a term of art written as an acronym."""
    title, abstract, summary, keyword, author = counts
    if title or author or abstract >= (3 if common else 2):
        return True
    if abstract and acronym and rules.acronym_once:
        return True
    generated = summary or keyword
    if rules.generated == "full":
        return bool(generated)
    return rules.generated == "corroborate" and bool(abstract and generated)


def _concept(doc: Doc, key: tuple[str, ...]) -> tuple[str, Counts, bool]:
    """What implies the concept named `key` in the paper, and whether that is enough."""
    if " ".join(key) not in doc.concept_tokens:
        return "", (0, 0, 0, 0, 0), False  # not even possible: no need to read the concepts
    mention = doc.concepts.get(key)
    if mention is None:
        return "", (0, 0, 0, 0, 0), False
    c = mention.counts
    counts: Counts = (c[0], c[1], c[2], c[3], c[4])
    strong = doc.rules.concept_once or bool(counts[TITLE]) or counts[ABSTRACT] >= 2
    return mention.via, counts, strong


def _find_phrase(phrase: Phrase, doc: Doc) -> Found:
    wanted = tuple(doc.key(w) for w in phrase.words)
    concept = wanted in concept_keys(doc.rules.word_families)
    if not concept:
        if not all(w in doc.every for w in wanted):
            return _ABSENT  # most phrases of most topics: no field needs a look
        pairs = doc.pairs
        if any(pair not in pairs for pair in pairwise(wanted)):
            return _ABSENT  # its words are all there, never side by side
    counts: Counts = (
        _occurrences(doc, TITLE, wanted),
        _occurrences(doc, ABSTRACT, wanted),
        _occurrences(doc, SUMMARY, wanted),
        _occurrences(doc, KEYWORD, wanted),
        _occurrences(doc, AUTHOR, wanted),
    )
    if phrase.field is not None:
        return Found(counts, any(counts[i] for i in _FIELD_OF_QUERY[phrase.field]))
    strong = _phrase_strong(counts, doc, wanted)
    if concept:
        via, via_counts, concept_strong = _concept(doc, wanted)
        return Found(
            counts, strong or concept_strong, via=via if not strong else "", via_counts=via_counts
        )
    return Found(counts, strong)


def _phrase_strong(counts: Counts, doc: Doc, wanted: tuple[str, ...]) -> bool:
    """A phrase is specific: said once by the authors (title, abstract), it counts."""
    title, abstract, summary, keyword, author = counts
    if title or author or abstract >= 2:
        return True
    if abstract:
        rule = doc.rules.phrase
        if rule == "once":
            return True
        if rule == "echoed" and any(
            doc.counts[TITLE][w] + doc.counts[ABSTRACT][w] > 1 for w in wanted if w not in STOPWORDS
        ):
            return True
    return doc.rules.generated == "full" and bool(summary or keyword)


def _occurrences(doc: Doc, index: int, wanted: tuple[str, ...]) -> int:
    return doc.occurrences(index, wanted)


# -- whole queries ---------------------------------------------------------------------------


def matches(node: Node, doc: Doc) -> bool:
    """Whether the paper prepared as `doc` matches the query tree `node`.

    Positive terms must be strong in the paper (`Rules`); an exclusion hits on any mention.
    """
    if isinstance(node, Term | Phrase):
        return find(node, doc).strong
    if isinstance(node, Group):
        return group_matches(node, doc)
    if isinstance(node, All):
        return all(matches(c, doc) for c in node.children)
    if isinstance(node, Any_):
        return any(matches(c, doc) for c in node.children)
    return not mentions(node.child, doc)


def group_matches(group: Group, doc: Doc) -> bool:
    """A Group holds where its words stand together, or each holds and they are near."""
    if any(find(p, doc).strong for p in group.phrases):
        return True
    parts = _scattered(group, doc)
    return bool(parts) and all(matches(p, doc) for p in parts) and near(parts, doc)


def _scattered(group: Group, doc: Doc) -> tuple[Node, ...]:
    """The parts that must hold when a Group's words stand apart (none: only together)."""
    rule = doc.rules.generic_heads
    if rule == "keep" or len(group.parts) < 2:
        return group.parts
    generic = [
        p
        for p in group.parts
        if isinstance(p, Term) and doc.vocabulary.share(doc.key(p.word)) >= doc.rules.generic_share
    ]
    if not generic:
        return group.parts
    rest = tuple(p for p in group.parts if p not in generic)
    specific = any(
        isinstance(p, Any_ | Phrase) or (isinstance(p, Term) and p.acronym) for p in rest
    )
    if rule == "drop" and specific and rest:
        return rest
    return ()


def near(parts: tuple[Node, ...], doc: Doc) -> bool:
    """Each part in the title, or every other part in one sentence (or window) of the abstract.

    Two words of a topic found in different sentences, each about something else, are how a
    word matcher posts the wrong paper.
    """
    if doc.rules.near == "anywhere" or not doc.units:
        return True
    title, *rest_units = doc.units
    rest = [p for p in parts if not _within(p, title, 0, doc)]
    if not rest:
        return True
    if doc.rules.near == "strict":
        rest = list(parts)
    return any(
        all(_within(p, unit, u, doc) for p in rest) for u, unit in enumerate(rest_units, start=1)
    )


def _within(node: Node, unit: list[str], index: int, doc: Doc) -> bool:
    """Whether `node` is written within `unit` (the title, or a sentence of the abstract)."""
    if isinstance(node, Term):
        fam = doc.key(node.word)
        if fam in unit or _concept_in(doc, (fam,), index):
            return True
        return node.fuzzy and any(doc.key(w) in unit for w in typo_matches(node.word, doc))
    if isinstance(node, Phrase):
        wanted = tuple(doc.key(w) for w in node.words)
        return count_in(unit, wanted) > 0 or _concept_in(doc, wanted, index)
    if isinstance(node, Not):
        return True
    if isinstance(node, Group):
        return any(_within(p, unit, index, doc) for p in node.phrases) or all(
            _within(p, unit, index, doc) for p in node.parts
        )
    if isinstance(node, All):
        return all(_within(c, unit, index, doc) for c in node.children)
    return any(_within(c, unit, index, doc) for c in node.children)


def _concept_in(doc: Doc, key: tuple[str, ...], unit: int) -> bool:
    return key in doc.concepts and unit in doc.concept_units(key)


def mentions(node: Node, doc: Doc) -> bool:
    """Whether the paper mentions `node` at all, anywhere (what an exclusion looks for)."""
    if isinstance(node, Term | Phrase):
        return find(node, doc).present
    if isinstance(node, Group):
        return any(mentions(p, doc) for p in node.phrases) or all(
            mentions(p, doc) for p in node.parts
        )
    if isinstance(node, All):
        return all(mentions(c, doc) for c in node.children)
    if isinstance(node, Any_):
        return any(mentions(c, doc) for c in node.children)
    return not mentions(node.child, doc)


Check = Callable[[Doc], bool]


def compile_query(node: Node) -> Check:
    """`matches` as a closure built once per topic: no type dispatch per paper."""
    if isinstance(node, Term | Phrase):
        leaf: Term | Phrase = node
        return lambda doc: find(leaf, doc).strong
    if isinstance(node, Group):
        group = node
        return lambda doc: group_matches(group, doc)
    if isinstance(node, Not):
        child = node.child
        return lambda doc: not mentions(child, doc)
    parts = [compile_query(c) for c in node.children]
    if isinstance(node, All):
        if len(parts) == 2:
            a, b = parts
            return lambda doc: a(doc) and b(doc)
        return lambda doc: all(p(doc) for p in parts)
    return lambda doc: any(p(doc) for p in parts)


def excluded(node: Node, doc: Doc) -> bool:
    """Whether an exclusion of the query (`-term`) holds the paper back, whatever else it says:
    what feedback can never overturn."""
    if isinstance(node, Not):
        return mentions(node.child, doc)
    if isinstance(node, All | Any_):
        return any(excluded(c, doc) for c in node.children)
    return False
