"""The topic language: parse what a user types into a query tree.

    video diffusion                 one interest in two words (a `Group`)
    "state space"                   a phrase
    mamba OR "state space"          either
    (video OR image) diffusion      grouping
    -survey  -"position paper"      exclusions
    title:agent  author:"Yann LeCun"  abstract:x  keyword:y   one field only

Case, accents, hyphens and word forms don't matter; common ML acronyms match their expansion
both ways (LLM ↔ "large language model"), alone and inside unquoted words (`graph neural network
pooling` ↔ "GNN pooling"); words of five letters or more forgive one typo.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Union

from bot.core.errors import UserError
from bot.core.matching.acronyms import ACRONYMS, COMPOUND_PREFIXES
from bot.core.matching.text import STOPWORDS, words

MAX_LENGTH = 300
MAX_TERMS = 30
FUZZY_MIN_LENGTH = 5
MAX_VARIANTS = 24  # ways the words of a Group may stand together (acronyms in and out)
FIELDS = {
    "title": "title",
    "abstract": "abstract",
    "summary": "abstract",
    "author": "author",
    "authors": "author",
    "keyword": "keyword",
    "keywords": "keyword",
}


class QueryError(UserError):
    """A query that cannot be parsed; the message points at the problem."""


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


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed topic: the tree to match with, and its canonical text."""

    text: str  # as the user typed it
    tree: Node  # with acronym expansions, what matching uses
    canonical: str  # normalised, without expansions: equal queries have equal canonical text
    understood: str  # the tree as text, shown back to the user
    terms: int


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # WORD PHRASE LPAREN RPAREN OR NEG FIELD
    text: str
    pos: int


_FIELD_PREFIX = re.compile(r"^([A-Za-z]+):(.*)$", re.DOTALL)
_BREAK = set(' \t\n()"')


def parse(text: str, *, expand: bool = True) -> Query:
    """Parse a topic query; raises `QueryError` with a pointer at the problem.

    `expand=False` leaves out the acronym and compound alternatives (the query as typed).
    """
    stripped = text.strip()
    if not stripped:
        raise QueryError("The query is empty: type the words a paper should contain.")
    if len(stripped) > MAX_LENGTH:
        raise QueryError(
            f"The query is {len(stripped)} characters long; the limit is {MAX_LENGTH}."
        )
    parser = _Parser(stripped, _lex(stripped))
    tree = parser.parse()
    if parser.terms > MAX_TERMS:
        raise QueryError(f"The query has {parser.terms} terms; the limit is {MAX_TERMS}.")
    _check_positive(tree, stripped)
    expanded = _expand(tree) if expand else tree
    return Query(
        text=stripped,
        tree=expanded,
        canonical=render(tree, canonical=True),
        understood=render(expanded),
        terms=parser.terms,
    )


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


def _lex(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    skipped: list[int] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c in "()":
            tokens.append(_Token("LPAREN" if c == "(" else "RPAREN", c, i))
            i += 1
        elif c == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise QueryError(_pointer(text, i, "This quote is never closed"))
            tokens.append(_Token("PHRASE", text[i + 1 : end], i))
            i = end + 1
        elif c == "-" and i + 1 < n and not text[i + 1].isspace() and _starts_term(tokens, text, i):
            tokens.append(_Token("NEG", c, i))
            i += 1
        else:
            start = i
            while i < n and text[i] not in _BREAK:
                i += 1
            chunk = text[start:i]
            if chunk in ("OR", "|"):
                tokens.append(_Token("OR", chunk, start))
            elif chunk == "AND":
                continue
            elif chunk == "NOT":
                tokens.append(_Token("NEG", chunk, start))
            elif not words(chunk) and ":" not in chunk:
                # An emoji or a dash among words says nothing to look for: leave it out
                # ("🚀 diffusion" is "diffusion"); a query of nothing else is refused below.
                skipped.append(start)
            else:
                tokens.extend(_field_or_word(text, chunk, start))
    if skipped and not any(t.kind in ("WORD", "PHRASE") for t in tokens):
        raise QueryError(
            _pointer(text, skipped[0], "This word has no letters or digits to look for")
        )
    return tokens


def _starts_term(tokens: list[_Token], text: str, i: int) -> bool:
    """A '-' is an exclusion at the start of a term, not inside a word like x-ray."""
    return i == 0 or text[i - 1].isspace() or text[i - 1] == "("


def _field_or_word(text: str, chunk: str, start: int) -> list[_Token]:
    match = _FIELD_PREFIX.match(chunk)
    if match is None:
        return [_Token("WORD", chunk, start)]
    name, rest = match.group(1), match.group(2)
    field = FIELDS.get(name.lower())
    if field is None:
        raise QueryError(
            _pointer(
                text,
                start,
                f"`{name}:` is not a field; use title:, abstract:, author: or keyword:",
            )
        )
    tokens = [_Token("FIELD", field, start)]
    if rest:
        tokens.append(_Token("WORD", rest, start + len(name) + 1))
    return tokens


def _pointer(text: str, pos: int, message: str) -> str:
    window_start = max(0, pos - 20)
    snippet = text[window_start : pos + 20]
    caret = " " * (pos - window_start)
    return f"{message} (at character {pos + 1}):\n```\n{snippet}\n{caret}^\n```"


class _Parser:
    def __init__(self, text: str, tokens: list[_Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.i = 0
        self.terms = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def parse(self) -> Node:
        node = self.parse_or(None)
        token = self.peek()
        if token is not None:
            raise QueryError(
                _pointer(self.text, token.pos, "This closing parenthesis has no opening one")
            )
        return node

    def parse_or(self, field: str | None) -> Node:
        branches = [self.parse_and(field)]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.take()
            nxt = self.peek()
            if nxt is None or nxt.kind in ("OR", "RPAREN"):
                raise QueryError(_pointer(self.text, token.pos, "OR needs a term on both sides"))
            branches.append(self.parse_and(field))
        return branches[0] if len(branches) == 1 else Any_(tuple(branches))

    def parse_and(self, field: str | None) -> Node:
        items: list[Node] = []
        run: list[Node] = []  # bare words side by side: one Group
        while (token := self.peek()) is not None and token.kind not in ("OR", "RPAREN"):
            bare = token.kind == "WORD" and field is None
            node = self.parse_unary(field)
            if bare:
                run.append(node)
                continue
            items.extend(_grouped(run))
            run = []
            items.append(node)
        items.extend(_grouped(run))
        if not items:
            token = self.peek()
            where = token.pos if token else len(self.text) - 1
            if token is not None and token.kind == "OR":
                raise QueryError(_pointer(self.text, where, "OR needs a term on both sides"))
            raise QueryError(_pointer(self.text, where, "Expected a word or a phrase here"))
        return items[0] if len(items) == 1 else All(tuple(items))

    def parse_unary(self, field: str | None) -> Node:
        token = self.peek()
        if token is not None and token.kind == "NEG":
            self.take()
            nxt = self.peek()
            if nxt is None or nxt.kind in ("OR", "RPAREN", "NEG"):
                raise QueryError(
                    _pointer(self.text, token.pos, "Exclude what? Put a word right after -")
                )
            return Not(self.parse_primary(field))
        return self.parse_primary(field)

    def parse_primary(self, field: str | None) -> Node:
        token = self.take()
        if token.kind == "FIELD":
            if field is not None:
                raise QueryError(
                    _pointer(self.text, token.pos, "A field cannot be inside another field")
                )
            nxt = self.peek()
            if nxt is None or nxt.kind not in ("WORD", "PHRASE", "LPAREN"):
                raise QueryError(
                    _pointer(
                        self.text,
                        token.pos,
                        f"{token.text}: needs a word, a phrase or a group after it",
                    )
                )
            return self.parse_primary(token.text)
        if token.kind == "LPAREN":
            nxt = self.peek()
            if nxt is not None and nxt.kind == "RPAREN":
                raise QueryError(_pointer(self.text, token.pos, "These parentheses are empty"))
            node = self.parse_or(field)
            close = self.peek()
            if close is None or close.kind != "RPAREN":
                raise QueryError(_pointer(self.text, token.pos, "This parenthesis is never closed"))
            self.take()
            return node
        if token.kind in ("WORD", "PHRASE"):
            found = words(token.text)
            if not found:
                what = "phrase" if token.kind == "PHRASE" else "word"
                raise QueryError(
                    _pointer(
                        self.text, token.pos, f"This {what} has no letters or digits to look for"
                    )
                )
            self.terms += 1
            if len(found) == 1:
                word = found[0]
                fuzzy = (
                    token.kind == "WORD" and len(word) >= FUZZY_MIN_LENGTH and not word.isdigit()
                )
                return Term(word, field, fuzzy, token.text.lower(), _is_acronym(token.text, word))
            return Phrase(tuple(found), field, " ".join(token.text.lower().split()))
        if token.kind == "RPAREN":
            raise QueryError(
                _pointer(self.text, token.pos, "This closing parenthesis has no opening one")
            )
        raise QueryError(_pointer(self.text, token.pos, "OR needs a term on both sides"))


def _grouped(run: list[Node]) -> list[Node]:
    if len(run) < 2:
        return run
    label = " ".join(render(n, top=False) for n in run)
    return [Group(tuple(run), label)]


def _is_acronym(typed: str, word: str) -> bool:
    """A known acronym, or a short word typed with two capitals or more (GUI, NeRF, MoE)."""
    if word in ACRONYMS:
        return True
    letters = typed.strip()
    return len(letters) <= 8 and sum(c.isupper() for c in letters) >= 2


def _check_positive(node: Node, text: str) -> None:
    """Every way of matching must look for something: `-survey` alone would match everything."""
    if not _positive(node):
        raise QueryError(
            "A topic needs at least one word or phrase that papers must contain, not only "
            "exclusions (every OR branch too)."
        )


def _positive(node: Node) -> bool:
    if isinstance(node, Term | Phrase | Group):
        return True
    if isinstance(node, Not):
        return False
    if isinstance(node, All):
        return any(_positive(c) for c in node.children)
    return all(_positive(c) for c in node.children)


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


def _expand(node: Node) -> Node:
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
        return Not(_expand(node.child))
    if isinstance(node, Group):
        return _expand_group(node)
    if isinstance(node, All):
        return All(tuple(_expand(c) for c in node.children))
    return Any_(tuple(_expand(c) for c in node.children))


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
                found.append(_expand(Phrase(run, None, " ".join(run))))
                i = end
                break
        else:
            part = parts[i]
            if not (isinstance(part, Term) and part.word in STOPWORDS):
                found.append(_expand(part))
            i += 1
    return tuple(found) or tuple(_expand(p) for p in parts)
