"""A query's alternatives: acronyms and their expansions both ways (`LLM` ↔ "large language
model"), joined and hyphenated compounds (multimodal ↔ multi-modal), and the ways the words of
a `Group` may stand together in a paper."""

from __future__ import annotations

from bot.core.matching.acronyms import ACRONYMS, COMPOUND_PREFIXES
from bot.core.matching.text import STOPWORDS, words
from bot.core.matching.tree import All, Any_, Group, Node, Not, Phrase, Term

MAX_VARIANTS = 24  # ways the words of a Group may stand together (acronyms in and out)

_EXPANSIONS: dict[tuple[str, ...], str] = {}
for _acronym, _meanings in ACRONYMS.items():
    for _meaning in _meanings:
        _EXPANSIONS[tuple(words(_meaning))] = _acronym
_ACRONYM_WORDS = {
    acronym: [tuple(words(m)) for m in meanings] for acronym, meanings in ACRONYMS.items()
}


def _split_compound(word: str) -> tuple[str, str] | None:
    for prefix in COMPOUND_PREFIXES:
        rest = word[len(prefix) :]
        if word.startswith(prefix) and len(rest) >= 4:
            return prefix, rest
    return None


def expand_tree(node: Node) -> Node:
    """Add the acronym ↔ expansion alternatives, and joined ↔ hyphenated compounds."""
    if isinstance(node, Term):
        meanings = _ACRONYM_WORDS.get(node.word)
        if not meanings:
            parts = _split_compound(node.word)
            if parts is None:
                return node
            return Any_((node, Phrase(parts, node.field, "-".join(parts))))
        exact = Term(node.word, node.field, False, node.label, True)
        shown = ACRONYMS[node.word]
        return Any_(
            (exact, *(Phrase(m, node.field, t) for m, t in zip(meanings, shown, strict=True)))
        )
    if isinstance(node, Phrase):
        acronym = _EXPANSIONS.get(node.words)
        if acronym is None:
            if len(node.words) == 2 and node.words[0] in COMPOUND_PREFIXES:
                joined = "".join(node.words)
                return Any_((node, Term(joined, node.field, False, joined)))
            return node
        alternatives: list[Node] = [
            node,
            Term(acronym, node.field, False, acronym.upper(), True),
        ]
        alternatives += [
            Phrase(m, node.field, t)
            for m, t in zip(_ACRONYM_WORDS[acronym], ACRONYMS[acronym], strict=True)
            if m != node.words
        ]
        return Any_(tuple(alternatives))
    if isinstance(node, Not):
        return Not(expand_tree(node.child))
    if isinstance(node, Group):
        return _expand_group(node)
    if isinstance(node, All):
        return All(tuple(expand_tree(c) for c in node.children))
    return Any_(tuple(expand_tree(c) for c in node.children))


def _words_of(node: Node) -> tuple[str, ...]:
    assert isinstance(node, Term | Phrase), "a Group holds words and hyphenated words only"
    return (node.word,) if isinstance(node, Term) else node.words


def _expand_group(group: Group) -> Group:
    """Fill in the ways a Group's words may stand together, and its parts for scattered words.

    An acronym's expansion written out among the words is one unit: `graph neural network
    pooling` holds "GNN pooling" among its phrases, and "GNN" or the phrase among its parts
    (not "graph", "neural" and "network" on their own).
    """
    sequences = [_words_of(p) for p in group.parts]
    # units[i]: (end, alternatives) for the units that start at part i and end before `end`.
    units: list[list[tuple[int, list[tuple[str, ...]]]]] = []
    for i, part in enumerate(group.parts):
        here = [(i + 1, _alternatives(part))]
        for end in range(len(sequences), i + 1, -1):
            run = tuple(w for seq in sequences[i:end] for w in seq)
            acronym = _EXPANSIONS.get(run)
            if acronym is not None:
                here.append((end, [(acronym,)]))
        units.append(here)
    variants: list[tuple[str, ...]] = []

    def walk(i: int, prefix: tuple[str, ...]) -> None:
        if len(variants) >= MAX_VARIANTS:
            return
        if i == len(sequences):
            if prefix not in variants:
                variants.append(prefix)
            return
        for end, alternatives in units[i]:
            for words_ in alternatives:
                walk(end, prefix + words_)

    walk(0, ())
    phrases = tuple(Phrase(v, None, _shown(v)) for v in variants)
    return Group(_scattered_parts(group.parts, sequences), group.label, phrases)


def _alternatives(part: Node) -> list[tuple[str, ...]]:
    """How one typed word (or hyphenated word) may be written in a paper."""
    words_ = _words_of(part)
    found = [words_]
    if len(words_) == 1:
        split = _split_compound(words_[0])
        if split is not None:
            found.append(split)
        found += _ACRONYM_WORDS.get(words_[0], [])
    else:
        if len(words_) == 2 and words_[0] in COMPOUND_PREFIXES:
            found.append(("".join(words_),))
        acronym = _EXPANSIONS.get(words_)
        if acronym is not None:
            found.append((acronym,))
    return found


def _shown(variant: tuple[str, ...]) -> str:
    return " ".join(w.upper() if w in ACRONYMS else w for w in variant)


def _scattered_parts(parts: tuple[Node, ...], sequences: list[tuple[str, ...]]) -> tuple[Node, ...]:
    found: list[Node] = []
    i = 0
    while i < len(parts):
        for end in range(len(parts), i + 1, -1):
            run = tuple(w for seq in sequences[i:end] for w in seq)
            if run in _EXPANSIONS:
                found.append(expand_tree(Phrase(run, None, " ".join(run))))
                i = end
                break
        else:
            part = parts[i]
            if not (isinstance(part, Term) and part.word in STOPWORDS):
                found.append(expand_tree(part))
            i += 1
    return tuple(found) or tuple(expand_tree(p) for p in parts)
