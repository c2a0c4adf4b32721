"""What the benchmarks share: the real papers of tests/fixtures, and recombinations of them."""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.core.hf.parser import parse_body  # noqa: E402
from bot.core.matching.query import parse  # noqa: E402
from bot.core.matching.tree import Node  # noqa: E402
from bot.core.models import Paper  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "hf-api"


def real_papers() -> list[Paper]:
    """Every distinct real paper in the captured Hugging Face API bodies."""
    found: dict[str, Paper] = {}
    for path in sorted(FIXTURES.glob("*.json")):
        for paper in parse_body(path.read_bytes()).papers:
            found.setdefault(paper.id, paper)
    return list(found.values())


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


def make_papers(n: int, rng: random.Random) -> list[Paper]:
    """New papers: real titles and metadata, abstracts of 8 real sentences recombined."""
    base = real_papers()
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


def make_queries(n: int, rng: random.Random) -> list[str]:
    """Topic queries from the fixtures' words and phrases, with ORs, exclusions, fields, typos."""
    base = real_papers()
    phrases = sorted({k for p in base for k in p.ai_keywords if 1 < len(k.split()) <= 3})
    vocab = sorted({w for p in base for w in re.findall(r"[a-z]{4,}", p.title.lower())})
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
