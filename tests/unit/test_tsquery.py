"""Search expressions turned into PostgreSQL tsqueries, the same meaning as FTS5's."""

from __future__ import annotations

import pytest

from bot.core.matching.query import parse
from bot.core.search import fts_expression
from bot.core.store.tsquery import TsqueryError, search_column, to_tsquery


def test_words_phrases_and_alternatives() -> None:
    assert to_tsquery('("graph" OR "graphs")') == "('graph' | 'graphs')"
    assert to_tsquery('("state space model")') == "('state' <-> 'space' <-> 'model')"
    assert to_tsquery('(("a") AND ("b")) NOT ("c")') == "(('a' & 'b') & !'c')"


def test_columns_become_weights() -> None:
    assert to_tsquery('title : ("mamba")') == "'mamba':A"
    assert to_tsquery('{abstract ai_summary} : ("x y")') == "('x':D <-> 'y':D)"
    assert to_tsquery('authors : ("lovelace")') == "'lovelace':C"


def test_titles_only_are_searched_on_the_title_vector() -> None:
    assert search_column(fts_expression(parse("title:mamba").tree))[0] == "title_search"
    assert search_column(fts_expression(parse('title:"state space"').tree))[0] == "title_search"
    for mixed in ["title:mamba ssm", "title:mamba author:gu", "mamba", "abstract:mamba"]:
        assert search_column(fts_expression(parse(mixed).tree))[0] == "search", mixed


def test_every_expression_search_writes_is_read() -> None:
    for query in [
        "diffusion OR flow",
        '"large language model" -survey',
        "title:mamba author:gu",
        "vision language model",
        "RLHF",
    ]:
        converted = to_tsquery(fts_expression(parse(query).tree))
        assert converted.count("(") == converted.count(")")
        assert "'" in converted


def test_quotes_inside_a_word_stay_inside_the_lexeme() -> None:
    assert to_tsquery('("o\'neil")') == "'o''neil'"


@pytest.mark.parametrize("broken", ['("a"', "title :", '"a" OR', ") (", 'nowhere : ("a")'])
def test_what_search_never_writes_is_refused(broken: str) -> None:
    with pytest.raises(TsqueryError):
        to_tsquery(broken)
