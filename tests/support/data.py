"""Papers for benches and load tests: the real ones of the captured answers, the project's
own, and recombinations of either at any volume."""

from __future__ import annotations

import random
import re
from datetime import datetime
from pathlib import Path

from bot.core.hf.parser import parse_body
from bot.core.matching.query import parse
from bot.core.matching.text import STOPWORDS
from bot.core.matching.tree import Node
from bot.core.models import Paper
from bot.core.store import Store
from bot.core.store.driver import to_iso
from tests.support.fixtures import OWN, SHARED, SharedDataMissing

TOPICS_PER_GUILD = 200


def _papers_of(folder: Path) -> list[Paper]:
    found: dict[str, Paper] = {}
    lists = [*folder.glob("daily_papers*.json"), *folder.glob("papers_search*.json")]
    for path in sorted(lists):
        for paper in parse_body(path.read_bytes()).papers:
            found.setdefault(paper.id, paper)
    return list(found.values())


def real_papers() -> list[Paper]:
    """Every distinct real paper in the captured Hugging Face API bodies (the shared folder)."""
    papers = _papers_of(SHARED / "hf-api")
    if not papers:
        raise SharedDataMissing(
            f"the captured Hugging Face answers are expected in {SHARED / 'hf-api'} (the shared "
            "folder beside the clone, or PAPERBOT_SHARED)"
        )
    return papers


def own_papers() -> list[Paper]:
    """The papers of the project's own fixtures (tests/fixtures/hf-api), always there."""
    return _papers_of(OWN / "hf-api")


SYLLABLES = [
    "neu",
    "ral",
    "trans",
    "form",
    "gra",
    "dient",
    "sto",
    "chas",
    "tic",
    "vari",
    "ation",
    "kern",
    "tensor",
    "quant",
    "spec",
    "tral",
    "morph",
    "opti",
    "mal",
    "robo",
    "flow",
]


def make_papers(n: int, rng: random.Random, base: list[Paper] | None = None) -> list[Paper]:
    """New papers: `base`'s titles and metadata (the real papers, unless given), abstracts of
    8 of their sentences recombined."""
    base = base or real_papers()
    sentences = [s for p in base for s in re.split(r"(?<=\.) ", p.abstract) if len(s) > 30]
    papers = []
    for i in range(n):
        source = rng.choice(base)
        abstract = " ".join(rng.sample(sentences, 8))
        papers.append(
            Paper(
                id=f"2611.{i:05d}",
                title=source.title,
                abstract=abstract,
                authors=source.authors,
                ai_summary=source.ai_summary,
                ai_keywords=source.ai_keywords,
            )
        )
    return papers


def typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word))
    return word[:i] + word[i + 1 :]


def make_queries(n: int, rng: random.Random, base: list[Paper] | None = None) -> list[str]:
    """Topic queries from `base`'s words and phrases (the real papers, unless given), with ORs,
    exclusions, fields, typos."""
    base = base or real_papers()
    phrases = sorted({k for p in base for k in p.ai_keywords if 1 < len(k.split()) <= 3})
    # Stop words alone make no topic (the parser refuses one): none is drawn.
    vocab = sorted({w for p in base for w in re.findall(r"[a-z]{4,}", p.title.lower())} - STOPWORDS)
    # Across thousands of servers, most topics name things a given day's papers never mention.
    vocab += [
        f"{rng.choice(SYLLABLES)}{rng.choice(SYLLABLES)}{rng.choice(SYLLABLES)}"
        for _ in range(20000)
    ]
    queries = []
    for _ in range(n):
        roll = rng.random()
        w1, w2, w3 = rng.choice(vocab), rng.choice(vocab), rng.choice(vocab)
        if roll < 0.3:
            q = f'"{rng.choice(phrases)}"'
        elif roll < 0.5:
            q = f"{w1} {w2}"
        elif roll < 0.65:
            q = f"{w1} OR {w2}"
        elif roll < 0.75:
            q = f"{w1} -{w2}"
        elif roll < 0.85:
            q = f"title:{w1} ({w2} OR {w3})"
        else:
            q = typo(w1, rng) if len(w1) >= 6 else w1
        queries.append(q)
    return queries


def make_topics(n: int, rng: random.Random) -> list[Node]:
    return [parse(q).tree for q in make_queries(n, rng)]


async def insert_topics(store: Store, queries: list[str], created: datetime) -> None:
    """Insert the topics in one statement: `/topic add` checks limits one by one and would take
    minutes for 100,000 (500 servers of 200 topics). A repeat in one channel is skipped."""
    rows = [
        (i // TOPICS_PER_GUILD, i // 25, q, parse(q).canonical, to_iso(created))
        for i, q in enumerate(queries)
    ]
    async with store.transaction() as conn:
        await conn.executemany(
            "INSERT OR IGNORE INTO topics (guild_id, channel_id, query, canonical, created_by, "
            "created_at) VALUES (?, ?, ?, ?, 0, ?)",
            rows,
        )
