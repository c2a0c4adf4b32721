"""Cards fit Discord's limits whatever the paper looks like."""

from __future__ import annotations

from bot.core.models import Paper
from bot.ui.cards import cut, digest_embed, paper_embed, paper_links


def embed_size(data: dict) -> int:  # type: ignore[type-arg]
    total = len(data.get("title", "")) + len(data.get("description", ""))
    total += sum(len(f["name"]) + len(f["value"]) for f in data.get("fields", []))
    return total + len(data.get("footer", {}).get("text", ""))


def test_a_huge_paper_still_fits_in_one_card() -> None:
    paper = Paper(
        id="2611.00001",
        title="A " * 400 + "title",
        abstract="word " * 3000,
        authors=tuple(f"Author Number {i}" for i in range(500)),
        github_repo="https://github.com/a/b",
        github_stars=10**6,
    )
    data = paper_embed(paper, [f"topic {i} " * 10 for i in range(25)]).to_dict()
    assert len(data["title"]) <= 256
    assert len(data["description"]) <= 4096
    assert data["description"].endswith("…")
    assert all(len(f["value"]) <= 1024 for f in data["fields"])
    assert embed_size(data) <= 6000
    assert "and 496 more" in data["fields"][0]["value"]


def test_cut_stops_at_a_word_boundary() -> None:
    assert cut("the quick brown fox", 12) == "the quick…"
    assert cut("short", 12) == "short"


def test_link_buttons_include_code_only_with_a_repository() -> None:
    plain = Paper(id="2611.00002", title="T")
    assert [b.label for b in paper_links(plain).children] == ["Hugging Face", "arXiv", "PDF"]  # type: ignore[attr-defined]
    coded = Paper(id="2611.00002", title="T", github_repo="https://github.com/a/b")
    assert [b.url for b in paper_links(coded).children][-1] == "https://github.com/a/b"  # type: ignore[attr-defined]


def test_digest_lists_ten_then_counts_the_rest() -> None:
    papers = [Paper(id=f"2611.{i:05d}", title=f"Paper [{i}]", upvotes=i) for i in range(10)]
    data = digest_embed(papers, 5, ["diffusion"]).to_dict()
    assert data["title"] == "Paper digest: 15 new papers"
    assert data["description"].count("\n") == 10
    assert data["description"].endswith("…and 5 more.")
    assert "[Paper (3)](https://huggingface.co/papers/2611.00003)" in data["description"]
