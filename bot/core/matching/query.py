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

from bot.core.errors import UserError
from bot.core.matching.acronyms import ACRONYMS
from bot.core.matching.expansion import expand_tree
from bot.core.matching.text import STOPWORDS, visible, words
from bot.core.matching.tree import All, Any_, Group, Node, Not, Phrase, Term, render

MAX_LENGTH = 300
MAX_TERMS = 30
FUZZY_MIN_LENGTH = 5
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
    stripped = visible(text).strip()
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
    _check_says_something(tree)
    expanded = expand_tree(tree) if expand else tree
    return Query(
        text=stripped,
        tree=expanded,
        canonical=render(tree, canonical=True),
        understood=render(expanded),
        terms=parser.terms,
    )


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


STOP_WORDS_ONLY = (
    "A topic needs a word besides stop words such as a, of and the (every OR branch too): "
    "those alone would match nearly every paper."
)


def _check_says_something(node: Node) -> None:
    """Every way of matching must name something: `a` or `the of` is in nearly every paper."""
    if not _says_something(node):
        raise QueryError(STOP_WORDS_ONLY)


def _says_something(node: Node) -> bool:
    if isinstance(node, Term):
        return node.word not in STOPWORDS
    if isinstance(node, Phrase):
        return any(w not in STOPWORDS for w in node.words)
    if isinstance(node, Group):
        return any(_says_something(p) for p in node.parts)
    if isinstance(node, Not):
        return False
    if isinstance(node, All):
        return any(_says_something(c) for c in node.children)
    return all(_says_something(c) for c in node.children)


def _positive(node: Node) -> bool:
    if isinstance(node, Term | Phrase | Group):
        return True
    if isinstance(node, Not):
        return False
    if isinstance(node, All):
        return any(_positive(c) for c in node.children)
    return all(_positive(c) for c in node.children)
