"""The tree a topic query parses into, and the tree as query text again (`render`).

`Term` and `Phrase` are the leaves; `All`, `Any_` and `Not` combine them; a `Group` is words
typed side by side without quotes, one interest (`speculative decoding`).
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Union


@dataclass(frozen=True, slots=True)
class Term:
    word: str  # normalised and stemmed
    field: str | None = None
    fuzzy: bool = False
    label: str = dc_field(default="", compare=False)  # as typed, for display
    # A term of art (MoE, NeRF, RLHF): one mention in a paper says what it is about.
    acronym: bool = False


@dataclass(frozen=True, slots=True)
class Phrase:
    words: tuple[str, ...]
    field: str | None = None
    label: str = dc_field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class All:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Group:
    """Words typed side by side without quotes, naming one interest: `speculative decoding`.

    It matches where its words stand together in the paper, in order (`phrases`: the words as
    typed, and with acronyms swapped for their expansions and back), the way a quoted phrase
    does; or where every word of `parts` (stop words left out) holds on its own, near the
    others. `parse` leaves `phrases` empty; the expanded tree fills them.
    """

    parts: tuple[Node, ...]
    label: str = dc_field(default="", compare=False)
    phrases: tuple[Phrase, ...] = ()


@dataclass(frozen=True, slots=True)
class Any_:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    child: Node


Node = Union[Term, Phrase, All, Any_, Not, Group]  # noqa: UP007 (a runtime alias used in isinstance)


def render(node: Node, *, top: bool = True, canonical: bool = False) -> str:
    """A node as query text: as the user wrote its words, or in canonical (normalised) form."""
    if isinstance(node, Term):
        return _field(node.field) + (node.label if node.label and not canonical else node.word)
    if isinstance(node, Phrase):
        text = node.label if node.label and not canonical else " ".join(node.words)
        return _field(node.field) + '"' + text + '"'
    if isinstance(node, Not):
        return "-" + render(node.child, top=False, canonical=canonical)
    if isinstance(node, Group):
        return _render_group(node, top=top, canonical=canonical)
    parts = [render(c, top=False, canonical=canonical) for c in node.children]
    inner = " ".join(parts) if isinstance(node, All) else " OR ".join(parts)
    return inner if top else f"({inner})"


def _render_group(node: Group, *, top: bool, canonical: bool) -> str:
    if canonical or not node.label:
        # Before expansion the parts are the words as typed: the same text as before Groups
        # existed, so a stored topic's canonical form (its duplicate check) is unchanged.
        return " ".join(render(c, top=False, canonical=canonical) for c in node.parts)
    # Spelling a compound hyphenated (multi-modal) is no news to the reader: not shown.
    typed = "".join(node.phrases[0].words) if node.phrases else ""
    others = [f'"{p.label}"' for p in node.phrases[1:] if "".join(p.words) != typed]
    if not others:
        return node.label
    inner = " OR ".join([node.label, *others])
    return f"({inner})"


def _field(field: str | None) -> str:
    return f"{field}:" if field else ""
