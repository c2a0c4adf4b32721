import json
from datetime import UTC, datetime

import pytest

from bot.core.errors import SourceError
from bot.core.hf.parser import MAX_COUNT, parse_body, parse_paper_body
from tests.support.fixtures import OWN, shared


def test_parses_every_paper_of_the_daily_sample() -> None:
    sample = shared("hf-api/daily_papers_sample1.json")
    raw = json.loads(sample.read_text())
    batch = parse_body(sample.read_bytes())
    assert batch.skipped == []
    assert [p.id for p in batch.papers] == [item["paper"]["id"] for item in raw]
    first = batch.papers[0]
    assert first.id == "2606.00467"
    assert first.title.startswith("On the Limits of LLM Adaptability")
    assert first.authors == ("Etienne Casanova", "Rafal Kocielnik", "R. Michael Alvarez")
    assert first.published_at == datetime(2026, 5, 30, tzinfo=UTC)
    assert first.submitted_at == datetime(2026, 6, 12, tzinfo=UTC)
    assert first.ai_summary
    assert first.ai_summary.startswith("Large language models")
    assert "toxicity detection" in first.ai_keywords
    with_repo = [p for p in batch.papers if p.github_repo]
    assert len(with_repo) == sum(1 for i in raw if i["paper"].get("githubRepo"))
    assert all(p.github_repo.startswith("https://github.com/") for p in with_repo)  # type: ignore[union-attr]


def test_parses_the_trending_sample_with_thumbnails_and_comments() -> None:
    batch = parse_body(shared("hf-api/daily_papers_sample2.json").read_bytes())
    assert len(batch.papers) == 5
    assert all(p.thumbnail and p.thumbnail.startswith("https://") for p in batch.papers)
    assert max(p.upvotes for p in batch.papers) > 100


def test_search_sample_collapses_arxiv_line_wraps() -> None:
    raw = json.loads(shared("hf-api/papers_search_sample1.json").read_text())
    assert "\n" in raw[0]["paper"]["summary"]
    batch = parse_body(json.dumps(raw))
    assert len(batch.papers) == len(raw)
    kaz = batch.papers[0]
    assert "\n" not in kaz.abstract
    assert "dataset -- that can be used" in kaz.abstract
    assert "  " not in kaz.abstract


def test_parses_the_projects_own_daily_page_with_its_line_wraps_and_nulls() -> None:
    path = OWN / "hf-api" / "daily_papers_own.json"
    raw = json.loads(path.read_text())
    batch = parse_body(path.read_bytes())
    assert batch.skipped == []
    assert [p.id for p in batch.papers] == [item["paper"]["id"] for item in raw]
    first = batch.papers[0]
    assert "\n" in raw[0]["paper"]["title"]
    assert first.title == "Sparse Mixture-of-Experts Routing for Long-Context Language Models"
    assert first.abstract.endswith("a fifth of the memory.\n\nCode and checkpoints are released.")
    assert first.submitted_at == datetime(2026, 11, 9, 12, tzinfo=UTC)
    nulls = [p for p, item in zip(batch.papers, raw, strict=True) if "ai_summary" in item["paper"]]
    assert any(item["paper"].get("ai_summary") is None for item in raw)
    assert all(p.ai_summary is None or p.ai_summary for p in nulls)
    assert {p.github_repo is None for p in batch.papers} == {True, False}
    search = parse_body((OWN / "hf-api" / "papers_search_own.json").read_bytes())
    assert [p.id for p in search.papers] == ["2611.01001", "2611.01012", "2611.01004"]
    flat = parse_paper_body((OWN / "hf-api" / "paper_own.json").read_bytes())
    assert flat.title == "Robot Arms Learn Folding from Ten Human Videos"


def test_missing_and_null_optional_fields_are_accepted() -> None:
    body = [
        {"paper": {"id": "2501.00001", "title": "Only a title"}},
        {
            "paper": {
                "id": "2501.00002v3",
                "title": "Nulls everywhere",
                "summary": None,
                "authors": None,
                "upvotes": None,
                "githubRepo": None,
                "githubStars": None,
                "ai_keywords": None,
                "ai_summary": None,
                "publishedAt": None,
            },
            "thumbnail": None,
            "numComments": None,
        },
    ]
    batch = parse_body(json.dumps(body))
    assert [p.id for p in batch.papers] == ["2501.00001", "2501.00002"]
    nulls = batch.papers[1]
    assert nulls.abstract == ""
    assert nulls.authors == ()
    assert nulls.upvotes == 0
    assert nulls.github_repo is None
    assert nulls.published_at is None


def test_unknown_fields_and_wrong_optional_types_are_ignored() -> None:
    body = [
        {
            "paper": {
                "id": "2501.00003",
                "title": "Wrong types",
                "upvotes": "12",
                "githubStars": "many",
                "githubRepo": 42,
                "ai_keywords": ["ok", 3, None, "fine"],
                "authors": [{"name": "A"}, "B", {"nope": 1}],
                "publishedAt": "yesterday",
                "brandNewField": {"x": 1},
            },
            "numComments": 4.0,
        }
    ]
    (paper,) = parse_body(json.dumps(body)).papers
    assert paper.upvotes == 12
    assert paper.github_stars is None
    assert paper.github_repo is None
    assert paper.ai_keywords == ("ok", "fine")
    assert paper.authors == ("A", "B")
    assert paper.published_at is None
    assert paper.num_comments == 4


def test_one_malformed_item_is_skipped_and_the_batch_survives() -> None:
    body = [
        {"paper": {"id": "2501.00004", "title": "Good"}},
        {"paper": {"id": "not-an-id", "title": "Bad id"}},
        {"paper": {"id": "2501.00005"}},
        "a string",
        {"paper": {"id": 2501.00006, "title": "Numeric id"}},
        {"paper": {"id": "2501.00007", "title": "Also good"}},
    ]
    batch = parse_body(json.dumps(body))
    assert [p.id for p in batch.papers] == ["2501.00004", "2501.00007"]
    # Short reasons, the same for every item they fit, so that status can count them.
    assert batch.skipped == ["an id that is no arXiv id", "no title", "not an object", "no id"]


def test_an_empty_list_is_no_papers() -> None:
    assert parse_body("[]").papers == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", "HTML page"),
        ('[{"paper": {"id": "2501.00001", "title": "tru', "not JSON"),
        ('{"error": "Invalid date"}', "expected a JSON list"),
        ("", "not JSON"),
        (b"\xff\xfe\x00garbage", "not JSON"),
    ],
)
def test_hostile_bodies_are_source_errors_with_a_clear_message(
    body: str | bytes, message: str
) -> None:
    with pytest.raises(SourceError, match=message):
        parse_body(body)


def test_single_paper_body_is_flat() -> None:
    paper = parse_paper_body(json.dumps({"id": "2501.00008", "title": "Flat\n paper"}))
    assert paper.title == "Flat paper"
    with pytest.raises(SourceError, match="malformed paper"):
        parse_paper_body(json.dumps({"id": "2501.00008"}))


def test_numbers_past_any_store_and_lone_surrogates_are_clamped_and_replaced() -> None:
    body = (
        '[{"paper": {"id": "2501.00010", "title": "Huge \\ud800 numbers", "upvotes": '
        + "1"
        + "0" * 30
        + ', "githubStars": 1e25, "summary": "lone \\udfff here", '
        '"authors": [{"name": "A \\ud83d"}], "ai_keywords": ["k\\udc00"]}, '
        '"numComments": "99999999999999999999999"},'
        ' {"paper": {"id": "2501.00011", "title": "Fine", "upvotes": 9223372036854775808}}]'
    )
    batch = parse_body(body)
    huge, fine = batch.papers
    assert huge.upvotes == MAX_COUNT
    assert huge.github_stars == MAX_COUNT
    assert huge.num_comments == MAX_COUNT
    assert fine.upvotes == MAX_COUNT
    assert huge.title == "Huge \ufffd numbers"
    assert huge.abstract == "lone \ufffd here"
    assert huge.authors == ("A \ufffd",)
    assert huge.ai_keywords == ("k\ufffd",)
    for text in (huge.title, huge.abstract, *huge.authors, *huge.ai_keywords):
        text.encode("utf-8")  # what SQLite and PostgreSQL need of it
    assert batch.skipped == []


def test_old_style_arxiv_ids_are_ids() -> None:
    batch = parse_body('[{"paper": {"id": "hep-th/9901001v2", "title": "Strings"}}]')
    assert [p.id for p in batch.papers] == ["hep-th/9901001"]
