"""The labeled set of the topic matcher: its real papers, its two halves and its graded topics.

`tests/data/topic_labels.json` grades each (topic, paper) pair `must`, `optional` or none, as
`tests/data/LABELING.md` says; the papers are those of the fixtures it names: the captured
Hugging Face answers in the shared folder (`tests/support/fixtures.py`), and the arXiv answer
the `arxiv` package ships, kept in tests/fixtures/arxiv-api.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from bot.core.hf.parser import parse_body
from bot.core.models import Paper
from tests.support.fixtures import ROOT, fixture

LABELS = ROOT / "tests" / "data" / "topic_labels.json"
ATOM = "{http://www.w3.org/2005/Atom}"


@dataclass(frozen=True)
class Topic:
    query: str
    kind: str  # "original", "multi-word" or "acronym"
    must: frozenset[str]
    optional: frozenset[str]


@dataclass(frozen=True)
class LabeledSet:
    sets: dict[str, list[Paper]]  # "development", "held out"
    topics: list[Topic]

    @property
    def papers(self) -> list[Paper]:
        return [paper for papers in self.sets.values() for paper in papers]


def arxiv_papers(path: Path) -> list[Paper]:
    """The entries of a captured arXiv API answer ({"url", "status_code", "body": Atom XML})."""
    feed = ElementTree.fromstring(json.loads(path.read_text("utf-8"))["body"])
    papers = []
    for entry in feed.iter(f"{ATOM}entry"):
        arxiv_id = (entry.findtext(f"{ATOM}id") or "").rsplit("/abs/", 1)[-1]
        papers.append(
            Paper(
                id=re.sub(r"v\d+$", "", arxiv_id),
                title=" ".join((entry.findtext(f"{ATOM}title") or "").split()),
                abstract=" ".join((entry.findtext(f"{ATOM}summary") or "").split()),
                authors=tuple(name.text or "" for name in entry.iter(f"{ATOM}name")),
            )
        )
    return papers


def fixture_papers(fixtures: list[dict[str, str]]) -> dict[str, Paper]:
    """Every distinct paper of the named fixtures, by id (the first copy of a repeated one)."""
    found: dict[str, Paper] = {}
    for item in fixtures:
        path = fixture(item["file"])
        papers = (
            parse_body(path.read_bytes()).papers if item["format"] == "hf" else arxiv_papers(path)
        )
        for paper in papers:
            found.setdefault(paper.id, paper)
    return found


def load(path: Path = LABELS) -> LabeledSet:
    data = json.loads(path.read_text("utf-8"))
    papers = fixture_papers(data["fixtures"])
    sets = {name: [papers[i] for i in ids] for name, ids in data["sets"].items()}
    topics = [
        Topic(t["query"], t["kind"], frozenset(t["must"]), frozenset(t["optional"]))
        for t in data["topics"]
    ]
    return LabeledSet(sets, topics)
