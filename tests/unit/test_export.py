"""Exports: arXiv-style BibTeX that standard parsers read back, and the other formats."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import bibtexparser
from bibtexparser.middlewares import LatexDecodingMiddleware

from bot.core.export import bibtex, bibtex_key, export, tex_escape
from bot.core.models import SavedItem

T0 = datetime(2025, 3, 4, tzinfo=UTC)


def item(pid: str, title: str, *authors: str, note: str | None = None) -> SavedItem:
    return SavedItem("Reading list", pid, title, authors, T0, "unread", note, T0)


def test_tex_specials_and_accents_are_escaped() -> None:
    assert tex_escape("A & B % $5 #1 a_b {x}") == r"A \& B \% \$5 \#1 a\_b \{x\}"
    assert tex_escape("Schrödinger") == r"Schr{\"{o}}dinger"
    assert tex_escape("Łódź straße") == r"{\L}{\'{o}}d{\'{z}} stra{\ss}e"
    assert tex_escape("Σ-Mem") == "Σ-Mem"


def test_keys_are_stable_and_ascii() -> None:
    entry = item("2501.01234", "T", "José Núñez", "B")
    assert bibtex_key(entry) == "nunez2025_2501.01234"
    assert bibtex_key(item("2501.01234", "Other title", "José Núñez")) == bibtex_key(entry)


def test_bibtex_reads_back_with_the_same_titles_and_authors() -> None:
    titles = [
        "Schrödinger {Bridges} & 100% Diffusion",
        "Naïve Bayes for Łódź: $x_1$ #1",
        "Back\\slash and ~tilde",
        "Plain",
    ]
    entries = [
        item(f"2501.0000{n}", t, "Zoë Ødegård", "Ada Lovelace") for n, t in enumerate(titles)
    ]
    library = bibtexparser.parse_string(
        bibtex(entries), append_middleware=[LatexDecodingMiddleware()]
    )
    assert library.failed_blocks == []
    assert [e["title"] for e in library.entries] == titles
    assert library.entries[0]["author"] == "Zoë Ødegård and Ada Lovelace"
    first = library.entries[0]
    assert first.entry_type == "misc"
    assert (first["year"], first["eprint"], first["archivePrefix"]) == (
        "2025",
        "2501.00000",
        "arXiv",
    )
    assert first["url"] == "https://arxiv.org/abs/2501.00000"


def test_other_formats() -> None:
    entries = [item("2501.00001", "A [bracketed] title", "A", note="line one\nline two")]
    name, data = export("My List!", entries, "markdown")
    assert name == "my-list.md"
    text = data.decode()
    assert "- [ ] [A \\[bracketed\\] title](https://huggingface.co/papers/2501.00001)" in text
    assert "  > line two" in text
    name, data = export("My List!", entries, "csv")
    (row,) = csv.DictReader(io.StringIO(data.decode()))
    assert row["note"] == "line one\nline two"
    name, data = export("My List!", entries, "json")
    assert json.loads(data)["papers"][0]["arxiv_id"] == "2501.00001"
    assert name == "my-list.json"
