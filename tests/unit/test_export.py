"""Exports: arXiv-style BibTeX that standard parsers read back, and the other formats."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import bibtexparser
from bibtexparser.middlewares import LatexDecodingMiddleware
from markdown_it import MarkdownIt

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


def test_a_hostile_title_cannot_break_the_markdown_export() -> None:
    hostile = "Code `x` and [click](https://evil.example) *now* <b>"
    entries = [item("2501.00002", hostile, "A`B", note="`tick` [x](y)")]
    _name, data = export("[List](https://evil.example)", entries, "markdown")
    tokens = MarkdownIt().parse(data.decode())
    links = [
        (child.attrs["href"], "".join(c.content for c in t.children or [] if c.type == "text"))
        for t in tokens
        if t.type == "inline"
        for child in t.children or []
        if child.type == "link_open"
    ]
    # One link per paper, to the paper, whatever the title holds; no link from the list name.
    assert [href for href, _text in links] == ["https://huggingface.co/papers/2501.00002"]
    rendered = MarkdownIt().render(data.decode())
    assert "evil.example" not in rendered.replace("https://evil.example)", "")
    assert "<code>" not in rendered
    assert "Code `x` and [click](https://evil.example) *now* &lt;b&gt;" in rendered


def test_csv_cells_never_start_a_spreadsheet_formula() -> None:
    entries = [
        item("2501.00003", '=HYPERLINK("https://evil.example","x")', "+Ada", note="@SUM(A1)"),
        item("2501.00004", "-2+3", "\tTab", note="\rCR"),
        item("2501.00005", "A normal title", "Ada", note="fine"),
    ]
    _name, data = export("L", entries, "csv")
    rows = list(csv.DictReader(io.StringIO(data.decode(), newline="")))
    for row in rows:
        for column in ("title", "authors", "note"):
            assert not row[column].startswith(("=", "+", "-", "@", "\t", "\r")), row[column]
    assert rows[0]["title"] == '\'=HYPERLINK("https://evil.example","x")'
    assert rows[1]["note"] == "'\rCR"
    assert rows[2]["title"] == "A normal title"
