"""Search expressions in PostgreSQL's terms: an FTS5 MATCH expression as a tsquery.

`search.fts_expression` writes the one expression language paperbot's search speaks: quoted
token runs, AND, OR, NOT, parentheses and column filters (`title : (...)`,
`{abstract ai_summary} : (...)`). On PostgreSQL the columns are the weights of the papers'
`search` vector (migrations_pg/0001): A title, B keywords, C authors, D abstract and summary.
"""

from __future__ import annotations

import re

WEIGHTS = {"title": "A", "ai_keywords": "B", "authors": "C", "abstract": "D", "ai_summary": "D"}
# ts_rank's weights, in its order {D, C, B, A}: FTS5's bm25(10, 1, 3, 4, 2) scaled to 1.
RANK_WEIGHTS = "{0.1, 0.3, 0.4, 1.0}"

_TOKEN = re.compile(r'\s*(?:("(?:[^"]|"")*")|(\{[^}]*\})|([():])|([^\s():"{}]+))')


class TsqueryError(ValueError):
    """The expression is not one `fts_expression` writes."""


def _tokens(expression: str) -> list[str]:
    tokens: list[str] = []
    position = 0
    while position < len(expression):
        match = _TOKEN.match(expression, position)
        if match is None or match.end() == position:
            if expression[position:].strip():
                raise TsqueryError(f"cannot read {expression[position:]!r}")
            break
        tokens.append(next(g for g in match.groups() if g is not None))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.at = 0
        self.weights: set[str] = set()  # the weight sets of the words ("" for any column)
        self.query = ""

    def peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise TsqueryError("the expression ends too soon")
        self.at += 1
        return token

    def any_of(self, weights: str) -> str:
        parts = [self.all_of(weights)]
        while self.peek() == "OR":
            self.take()
            parts.append(self.all_of(weights))
        return parts[0] if len(parts) == 1 else "(" + " | ".join(parts) + ")"

    def all_of(self, weights: str) -> str:
        parts = [self.excluding(weights)]
        while self.peek() not in (None, ")", "OR"):
            if self.peek() == "AND":
                self.take()
            parts.append(self.excluding(weights))
        return parts[0] if len(parts) == 1 else "(" + " & ".join(parts) + ")"

    def excluding(self, weights: str) -> str:
        kept = self.primary(weights)
        while self.peek() == "NOT":
            self.take()
            kept = f"({kept} & !{self.primary(weights)})"
        return kept

    def primary(self, weights: str) -> str:
        token = self.take()
        if token == "(":
            inner = self.any_of(weights)
            if self.take() != ")":
                raise TsqueryError("unbalanced parentheses")
            return inner
        if token.startswith('"'):
            words = token[1:-1].replace('""', '"').split()
            if not words:
                raise TsqueryError("an empty phrase")
            self.weights.add(weights)
            if len(words) == 1:
                return _lexeme(words[0], weights)
            return "(" + " <-> ".join(_lexeme(w, weights) for w in words) + ")"
        if self.peek() == ":":  # a column filter: `title : ...` or `{abstract ai_summary} : ...`
            self.take()
            columns = token.strip("{}").split()
            try:
                chosen = "".join(sorted({WEIGHTS[c] for c in columns}))
            except KeyError as exc:
                raise TsqueryError(f"no column {exc.args[0]!r}") from None
            return self.primary(chosen)
        self.weights.add(weights)
        return _lexeme(token, weights)


def _lexeme(word: str, weights: str) -> str:
    quoted = "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"
    return f"{quoted}:{weights}" if weights else quoted


def _translate(expression: str) -> _Parser:
    parser = _Parser(_tokens(expression))
    parser.query = parser.any_of("")
    if parser.peek() is not None:
        raise TsqueryError(f"unexpected {parser.peek()!r}")
    return parser


def to_tsquery(expression: str) -> str:
    """The tsquery text (for `to_tsquery('simple', ...)`) with the meaning of `expression`."""
    return _translate(expression).query


def search_column(expression: str) -> tuple[str, str]:
    """The vector to search for `expression`, and its tsquery: `title_search` (titles only,
    weight A) when every word of it is filtered to titles, else `search` (every column)."""
    parser = _translate(expression)
    return ("title_search" if parser.weights == {"A"} else "search"), parser.query
