"""Quality of the topic matcher on the labeled set in tests/data/topic_labels.json.

Prints micro-averaged precision, recall and F1 over every (topic, paper) pair for paperbot's
matcher and two baselines measured in the same run, on the development set (the Hugging Face
fixtures, read while the matcher was tuned), on the held-out set (a captured arXiv answer, judged
before the matcher was run on it) and on both together. The baselines:
- substring: the whole query, lower-cased, as a substring of title + abstract + keywords;
- all-words: every word of the query (quotes, OR and minus signs removed) as a substring.
Target: F1 >= 0.95 with precision >= 0.95.

    .venv/bin/python bench/topic_quality.py [-v]     (-v lists every wrong judgment)
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.core.hf_parser import parse_body  # noqa: E402
from bot.core.matching import doc_of, matches  # noqa: E402
from bot.core.models import Paper  # noqa: E402
from bot.core.query import parse  # noqa: E402

LABELS = ROOT / "tests" / "data" / "topic_labels.json"
FIXTURES = ROOT / "tests" / "fixtures"
ATOM = "{http://www.w3.org/2005/Atom}"

Topics = list[tuple[str, set[str]]]


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


def load() -> tuple[dict[str, list[Paper]], Topics]:
    """The labeled papers by set ("development", "held out") and the topics."""
    data = json.loads(LABELS.read_text("utf-8"))
    held_out = {item["file"] for item in data["held_out"]}
    sets: dict[str, dict[str, Paper]] = {"development": {}, "held out": {}}
    for fixture in data["fixtures"]:
        path = FIXTURES / fixture["file"]
        found = (
            parse_body(path.read_bytes()).papers
            if fixture["format"] == "hf"
            else arxiv_papers(path)
        )
        chosen = sets["held out" if fixture["file"] in held_out else "development"]
        for paper in found:
            chosen.setdefault(paper.id, paper)
    topics = [(t["query"], set(t["relevant"])) for t in data["topics"]]
    return {name: list(papers.values()) for name, papers in sets.items()}, topics


def haystack(paper: Paper) -> str:
    return " ".join(
        [paper.title, paper.abstract, paper.ai_summary or "", *paper.ai_keywords]
    ).lower()


def substring(query: str) -> Callable[[Paper], bool]:
    needle = query.lower()
    return lambda p: needle in haystack(p)


def all_words(query: str) -> Callable[[Paper], bool]:
    terms = [w for w in re.findall(r"[\w-]+", query.lower().replace(":", " ")) if w != "or"]
    return lambda p: all(t in haystack(p) for t in terms)


def paperbot(query: str) -> Callable[[Paper], bool]:
    tree = parse(query).tree
    return lambda p: matches(tree, doc_of(p))


def score(
    papers: list[Paper],
    topics: list[tuple[str, set[str]]],
    make: Callable[[str], Callable[[Paper], bool]],
) -> tuple[float, float, float, list[str]]:
    tp = fp = fn = 0
    misses: list[str] = []
    for query, relevant in topics:
        test = make(query)
        for paper in papers:
            hit, want = test(paper), paper.id in relevant
            tp += hit and want
            fp += hit and not want
            fn += want and not hit
            if hit != want:
                misses.append(f"{'FP' if hit else 'FN'} {query!r} {paper.id} {paper.title[:60]}")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1, misses


MATCHERS: dict[str, Callable[[str], Callable[[Paper], bool]]] = {
    "substring": substring,
    "all-words": all_words,
    "paperbot": paperbot,
}


def main() -> int:
    sets, topics = load()
    sets["all"] = [paper for papers in sets.values() for paper in papers]
    verbose = "-v" in sys.argv
    print(f"{'set':<12} {'judgments':>9}  {'matcher':<10} {'precision':>9} {'recall':>7} {'F1':>6}")
    final: tuple[float, float, float] = (0.0, 0.0, 0.0)
    for name, papers in sets.items():
        pairs = f"{len(papers)}x{len(topics)}"
        for matcher, make in MATCHERS.items():
            p, r, f, misses = score(papers, topics, make)
            print(f"{name:<12} {pairs:>9}  {matcher:<10} {p:>9.3f} {r:>7.3f} {f:>6.3f}")
            if matcher == "paperbot":
                final = (p, r, f)
                if verbose and name != "all":
                    print("\n".join(f"    {miss}" for miss in misses))
    p, _, f = final
    target = p >= 0.95 and f >= 0.95
    print(f"target on all (F1 >= 0.95, precision >= 0.95): {'met' if target else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
