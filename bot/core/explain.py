"""Saying why a paper matches a query, or why it does not: what `/topic test` shows an admin.

`evidence` names, for a match, each term that held and where it was found ("`video` in the
title", "`llm` via qwen3" when a model name stood for the term, "`reinforcment` ≈ “reinforcement”
in the abstract"); `explain` names, for a miss, the terms missing and the exclusions that hit;
`match_share` ranks near misses.
"""

from __future__ import annotations

from bot.core.concepts import named_by
from bot.core.matching import FIELD_NAMES, Doc, matches, typo_matches
from bot.core.query import All, Node, Not, Phrase, Term, render

# Where a word is looked for first when saying where it was found.
_SHOWN_ORDER = ("title", "keyword", "summary", "abstract", "author")
_FIELD_LABEL = {
    "title": "the title",
    "keyword": "the HF keywords",
    "summary": "the AI summary",
    "abstract": "the abstract",
    "author": "the authors",
}
MAX_EVIDENCE = 3


def evidence(node: Node, doc: Doc) -> list[str]:
    """Why `doc` matches `node`: each positive term that holds, and where (at most three)."""
    found: list[str] = []
    for line in _evidence(node, doc):
        if line not in found:
            found.append(line)
    return found[:MAX_EVIDENCE]


def _evidence(node: Node, doc: Doc) -> list[str]:
    if isinstance(node, Not):
        return []
    if isinstance(node, Term | Phrase):
        return [_where(node, doc)] if matches(node, doc) else []
    return [line for c in node.children if matches(c, doc) for line in _evidence(c, doc)]


def _where(leaf: Term | Phrase, doc: Doc) -> str:
    shown = f"`{render(leaf, top=False)}`"
    if isinstance(leaf, Phrase):
        names = (leaf.field,) if leaf.field else _SHOWN_ORDER
        field = next((n for n in names if set(leaf.words) <= doc.sets.get(n, frozenset())), None)
        return f"{shown} in {_FIELD_LABEL[field]}" if field else shown
    field = _field_of(leaf.word, leaf.field, doc)
    if field:
        return f"{shown} in {_FIELD_LABEL[field]}"
    models = named_by(leaf.word, (w for n in FIELD_NAMES if n != "author" for w in doc.sets[n]))
    if models:
        return f"{shown} via {', '.join(models[:2])}"
    for near in sorted(typo_matches(leaf.word, doc)):
        field = _field_of(near, leaf.field, doc)
        if field:
            return f"{shown} ≈ “{near}” in {_FIELD_LABEL[field]}"
    return shown


def _field_of(word: str, only: str | None, doc: Doc) -> str | None:
    names = ("abstract", "summary") if only == "abstract" else (only,) if only else _SHOWN_ORDER
    return next((n for n in names if word in doc.sets.get(n, frozenset())), None)


def explain(node: Node, doc: Doc) -> list[str]:
    """Why `doc` does not match `node`: the missing terms and the exclusions that hit."""
    children = node.children if isinstance(node, All) else (node,)
    reasons: list[str] = []
    for child in children:
        if isinstance(child, Not):
            if matches(child.child, doc, salient=False):
                reasons.append(f"excluded by `-{render(child.child, top=False)}`")
        elif not matches(child, doc):
            reasons.append(f"no `{render(child, top=False)}`")
    return reasons


def match_share(node: Node, doc: Doc) -> float:
    """The share of a query's top-level terms a paper satisfies (to rank near misses)."""
    children = node.children if isinstance(node, All) else (node,)
    return sum(1 for c in children if matches(c, doc)) / len(children)
