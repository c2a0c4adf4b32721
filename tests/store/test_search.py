"""Search over a real index: SQLite FTS5, and PostgreSQL full-text search (by parameter)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.errors import UserError
from bot.core.models import Paper
from bot.core.search import SearchService
from bot.core.store import Store
from bot.core.store.search import SearchStore

NOW = datetime(2026, 11, 20, tzinfo=UTC)
PAPERS = [
    Paper(
        id="2611.00001",
        title="Physics-informed neural networks for fluids",
        abstract="We train PINNs.",
        upvotes=5,
        submitted_at=NOW - timedelta(days=1, hours=1),
    ),
    Paper(
        id="2611.00002",
        title="Underpinning storage organs",
        abstract="Nothing about ML.",
        upvotes=50,
        submitted_at=NOW - timedelta(days=20),
    ),
    Paper(
        id="2611.00003",
        title="Reinforcement learning from human feedback",
        abstract="RLHF for large language models.",
        upvotes=9,
        submitted_at=NOW - timedelta(hours=3),
        authors=("Ada Lovelace",),
    ),
    Paper(
        id="2611.00004",
        title="State space models",
        abstract="Mamba and friends.",
        upvotes=1,
        submitted_at=NOW - timedelta(days=3),
    ),
]


@pytest.fixture
async def search(store: Store) -> SearchService:
    await store.upsert_papers(PAPERS, NOW)
    return SearchService(store, SearchStore(store), clock=lambda: NOW)


async def ids(search: SearchService, query: str, sort: str = "relevance") -> list[str]:
    result = await search.search(query, sort, ask_hf=False)  # type: ignore[arg-type]
    return [p.id for p in result.papers]


async def test_word_boundaries_plurals_and_acronyms(search: SearchService) -> None:
    assert await ids(search, "PINN") == ["2611.00001"]
    assert await ids(search, "organ") == ["2611.00002"]
    assert await ids(search, "state-space model") == ["2611.00004"]
    assert await ids(search, "LLM") == ["2611.00003"]
    assert await ids(search, "author:lovelace") == ["2611.00003"]
    assert await ids(search, "title:feedback -storage") == ["2611.00003"]
    assert await ids(search, "title:state") == ["2611.00004"]
    assert await ids(search, "mamba") == ["2611.00004"]
    assert await ids(search, "title:mamba") == []  # in its abstract, not its title


async def test_a_typo_is_corrected_from_the_index_vocabulary(search: SearchService) -> None:
    result = await search.search("reinforcment", ask_hf=False)
    assert [p.id for p in result.papers] == ["2611.00003"]
    assert result.corrected


async def test_sort_orders(search: SearchService) -> None:
    assert await ids(search, "model OR organ OR fluids", "upvotes") == [
        "2611.00002",
        "2611.00003",
        "2611.00001",
        "2611.00004",
    ]
    assert await ids(search, "model OR organ OR fluids", "newest") == [
        "2611.00003",
        "2611.00001",
        "2611.00004",
        "2611.00002",
    ]


async def test_trending_and_autocomplete(search: SearchService) -> None:
    assert [p.id for p in await search.trending("week")] == [
        "2611.00003",
        "2611.00001",
        "2611.00004",
    ]
    assert [p.id for p in await search.trending("today")] == ["2611.00003"]
    assert (await search.complete("state spce"))[0][0] == "2611.00004"
    assert (await search.complete("2611.0000"))[0][0].startswith("2611.0000")


async def test_show_refuses_what_is_not_an_id(search: SearchService) -> None:
    with pytest.raises(UserError, match="is not a paper id"):
        await search.show("hello")
    with pytest.raises(UserError, match=r"No paper 2611\.99999"):
        await search.show("2611.99999")
    assert (
        await search.show("https://huggingface.co/papers/2611.00004")
    ).title == "State space models"


async def test_bm25_ranks_the_newest_papers_and_older_matches_follow_newest_first(
    store: Store,
) -> None:
    store.ranked_papers = 3  # the newest three rowids are ranked; the rest follow by age
    older = [
        Paper(id=f"2610.0000{i}", title=f"Paper {i}", abstract="We study graph kernels.")
        for i in range(1, 4)
    ]
    newer = [
        Paper(id="2611.00011", title="Kernels", abstract="Graph graph graph kernels."),
        Paper(id="2611.00012", title="Other", abstract="A graph, once."),
        Paper(id="2611.00013", title="Graph kernels", abstract="Graph kernels for graphs."),
    ]
    for paper in [*older, *newer]:  # one at a time: rowids follow the order of first sight
        await store.upsert_papers([paper], NOW)
    search = SearchService(store, SearchStore(store), clock=lambda: NOW)

    found = await ids(search, "graph")
    assert found[:3] == ["2611.00013", "2611.00011", "2611.00012"]  # bm25: title first
    assert found[3:] == ["2610.00003", "2610.00002", "2610.00001"]  # then newest first
    if store.dialect == "postgresql":
        ranked = await store.fetch_all("SELECT seq FROM papers_recent ORDER BY seq")
        papers = await store.fetch_all("SELECT seq FROM papers ORDER BY seq")
    else:
        ranked = await store.fetch_all("SELECT rowid FROM papers_recent_fts ORDER BY rowid")
        papers = await store.fetch_all("SELECT rowid FROM papers ORDER BY rowid")
    assert [r[0] for r in ranked] == [r[0] for r in papers][-3:]  # the oldest were trimmed
