"""Saying why a paper matches a query, or why it does not: what `/topic test` shows an admin.

`evidence` names, for a match, each term that held and where ("`video` in the title", "`llm`
via qwen3" when a model name stood for the term, "`reinforcment` ≈ “reinforcement” in the
abstract"); `explain` names, for a miss, exactly which term failed, what the paper does say of
it and what the rule wanted ("`decoding` is said once, in the abstract: a bare word counts in
the title, twice in the abstract, ..."), or which exclusion hit. Both read the same `Found`
that the matcher decides by, so an explanation never disagrees with a verdict.
"""

from __future__ import annotations

from bot.core.matching.doc import Doc
from bot.core.matching.fields import ABSTRACT, AUTHOR, KEYWORD, SUMMARY, TITLE
from bot.core.matching.judge import (
    Found,
    find,
    group_matches,
    matches,
    mentions,
    near,
    typo_candidates,
)
from bot.core.matching.tree import All, Group, Node, Not, Phrase, Term, render

MAX_EVIDENCE = 3
_PLACE = {
    TITLE: "the title",
    ABSTRACT: "the abstract",
    SUMMARY: "the AI summary",
    KEYWORD: "the AI keywords",
    AUTHOR: "the authors",
}
# Where a term is said to be found first.
_SHOWN_ORDER = (TITLE, ABSTRACT, KEYWORD, SUMMARY, AUTHOR)
_TIMES = {1: "once", 2: "twice"}


def match_count(count: int) -> str:
    """How many papers matched, as every reply and the command line say it: "1 match",
    "0 matches", "2 matches"."""
    return f"{count} match" if count == 1 else f"{count} matches"


def shown(node: Node) -> str:
    text = node.label if isinstance(node, Group) and node.label else render(node, top=False)
    return "`" + text.replace("`", "'") + "`"


# -- why it matched --------------------------------------------------------------------------


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
        return [_where(node, find(node, doc))] if matches(node, doc) else []
    if isinstance(node, Group):
        for phrase in node.phrases:
            if find(phrase, doc).strong:
                return [_where(phrase, find(phrase, doc), label=shown(node))]
        if group_matches(node, doc):
            return [line for p in node.parts for line in _evidence(p, doc)]
        return []
    return [line for c in node.children if matches(c, doc) for line in _evidence(c, doc)]


def _where(leaf: Term | Phrase, found: Found, *, label: str = "") -> str:
    name = label or shown(leaf)
    if found.via:
        return f"{name} via {found.via}"
    place = next((_PLACE[i] for i in _SHOWN_ORDER if found.counts[i]), "")
    if found.form:
        name = f"{name} ≈ “{found.form}”"
    return f"{name} in {place}" if place else name


# -- why it did not --------------------------------------------------------------------------


def explain(node: Node, doc: Doc) -> list[str]:
    """Why `doc` does not match `node`: the terms that failed and why, the exclusions that hit."""
    if matches(node, doc):
        return []
    if isinstance(node, Not):
        return [f"excluded by {shown(node)} ({_mentioned(node.child, doc)})"]
    if isinstance(node, Term | Phrase):
        return [_why_not(node, doc)]
    if isinstance(node, Group):
        return [_why_not_group(node, doc)]
    if isinstance(node, All):
        return [line for c in node.children for line in explain(c, doc)]
    reasons = [line for c in node.children for line in explain(c, doc)]
    return ["none of these holds: " + "; ".join(reasons)] if len(reasons) > 1 else reasons


def _why_not(leaf: Term | Phrase, doc: Doc) -> str:
    found = find(leaf, doc)
    name = shown(leaf)
    if leaf.field is not None:
        where = "the abstract" if leaf.field == "abstract" else f"the {leaf.field}s"
        where = "the title" if leaf.field == "title" else where
        return f"{name}: not in {where}"
    if not found.present:
        return f"no {name} in the paper" + _refused_typos(leaf, doc)
    said = _said(found)
    if isinstance(leaf, Phrase):
        return f"{name} is said only {said}: a phrase counts in the title or the abstract"
    share = doc.vocabulary.share(doc.key(leaf.word))
    if share >= doc.rules.common_share:
        return (
            f"{name} is said {said}: {share:.0%} of stored papers use it, so it counts in the "
            "title or three times in the abstract"
        )
    return f"{name} is said {said}: {_bare_rule(doc)}"


def _why_not_group(group: Group, doc: Doc) -> str:
    if not any(mentions(p, doc) for p in group.parts):
        return f"no {shown(group)} in the paper"
    parts = [p for p in group.parts if not matches(p, doc)]
    lead = f"{shown(group)}: its words never stand together"
    if parts:
        return lead + "; " + "; ".join(_part_reason(p, doc) for p in parts)
    if not near(group.parts, doc):
        return lead + ", and they are found only apart (not in the title or one sentence)"
    return lead


def _part_reason(node: Node, doc: Doc) -> str:
    reasons = explain(node, doc)
    return "; ".join(reasons) if reasons else f"no {shown(node)}"


def _refused_typos(leaf: Term | Phrase, doc: Doc) -> str:
    if not isinstance(leaf, Term) or not leaf.fuzzy:
        return ""
    refused = [
        w for w in typo_candidates(leaf.word, doc) if not doc.vocabulary.forgives(leaf.word, w)
    ]
    if not refused:
        return ""
    return f" (“{refused[0]}” is a different word, not a typo of it)"


def _said(found: Found) -> str:
    places = []
    for i in (TITLE, ABSTRACT, SUMMARY, KEYWORD, AUTHOR):
        n = found.counts[i]
        if n:
            places.append(f"{_TIMES.get(n, f'{n} times')} in {_PLACE[i]}")
    if found.form:
        places.append(f"as “{found.form}”")
    return ", ".join(places)


def _bare_rule(doc: Doc) -> str:
    rules = doc.rules
    ways = ["in the title", "twice in the abstract"]
    if rules.generated == "full":
        ways.append("in HF's AI summary or keywords")
    elif rules.generated == "corroborate":
        ways.append("once in the abstract and again in HF's AI summary or keywords")
    if rules.acronym_once:
        ways.append("once as an acronym (MoE)")
    return "a bare word counts " + ", ".join(ways[:-1]) + " or " + ways[-1]


def _mentioned(node: Node, doc: Doc) -> str:
    leaves = [leaf for leaf in _leaves(node) if mentions(leaf, doc)]
    for leaf in leaves:
        found = find(leaf, doc)
        place = next((_PLACE[i] for i in _SHOWN_ORDER if found.counts[i]), "")
        if place:
            return f"in {place}"
    return "mentioned"


def _leaves(node: Node) -> list[Term | Phrase]:
    if isinstance(node, Term | Phrase):
        return [node]
    if isinstance(node, Not):
        return _leaves(node.child)
    if isinstance(node, Group):
        return [*node.phrases, *(leaf for p in node.parts for leaf in _leaves(p))]
    return [leaf for c in node.children for leaf in _leaves(c)]


def match_share(node: Node, doc: Doc) -> float:
    """The share of a query's top-level terms a paper satisfies (to rank near misses)."""
    if isinstance(node, Group):
        return sum(1 for p in node.parts if matches(p, doc)) / len(node.parts)
    children = node.children if isinstance(node, All) else (node,)
    return sum(
        match_share(c, doc) if isinstance(c, Group) else matches(c, doc) for c in children
    ) / len(children)
