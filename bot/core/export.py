"""Saved lists as files for a reference manager: BibTeX, Markdown, CSV and JSON. Pure functions."""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Sequence
from typing import Literal

from bot.core.models import SavedItem
from bot.core.paper_ids import arxiv_url, hf_url

Format = Literal["bibtex", "markdown", "csv", "json"]
EXTENSIONS = {"bibtex": "bib", "markdown": "md", "csv": "csv", "json": "json"}

_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_ACCENTS = {
    "\u0301": "'",
    "\u0300": "`",
    "\u0302": "^",
    "\u0308": '"',
    "\u0303": "~",
    "\u0304": "=",
    "\u0307": ".",
    "\u0327": "c",
    "\u030c": "v",
    "\u0306": "u",
    "\u030b": "H",
    "\u030a": "r",
    "\u0328": "k",
}
_LETTERS = {
    "ß": r"{\ss}",
    "æ": r"{\ae}",
    "Æ": r"{\AE}",
    "œ": r"{\oe}",
    "Œ": r"{\OE}",
    "ø": r"{\o}",
    "Ø": r"{\O}",
    "ł": r"{\l}",
    "Ł": r"{\L}",
    "\u0131": r"{\i}",  # dotless i
}


def tex_escape(text: str) -> str:
    """Text as BibTeX field content: TeX specials escaped, Latin accents as TeX commands.

    Other characters (Greek, CJK, ...) stay as UTF-8, which biber and modern BibTeX read.
    """
    out: list[str] = []
    for char in unicodedata.normalize("NFC", text):
        if char in _SPECIALS:
            out.append(_SPECIALS[char])
        elif char in _LETTERS:
            out.append(_LETTERS[char])
        elif ord(char) < 128:
            out.append(char)
        else:
            decomposed = unicodedata.normalize("NFD", char)
            base, marks = decomposed[0], decomposed[1:]
            if len(marks) == 1 and marks in _ACCENTS and ord(base) < 128:
                base = r"\i" if base == "i" else base
                out.append("{\\" + _ACCENTS[marks] + "{" + base + "}}")
            else:
                out.append(char)
    return "".join(out)


def bibtex_key(item: SavedItem) -> str:
    """Stable: the first author's family name, the year and the arXiv id."""
    family = item.authors[0].split()[-1] if item.authors else "anon"
    ascii_family = unicodedata.normalize("NFKD", family).encode("ascii", "ignore").decode()
    ascii_family = re.sub(r"[^A-Za-z]", "", ascii_family) or "anon"
    year = item.published_at.year if item.published_at else "nd"
    return f"{ascii_family.lower()}{year}_{item.paper_id.replace('/', '_')}"


def bibtex(items: Sequence[SavedItem]) -> str:
    """arXiv-style `@misc` entries, one per paper."""
    entries = []
    for item in items:
        fields = [
            ("title", tex_escape(item.title)),
            ("author", " and ".join(tex_escape(a) for a in item.authors) or "Unknown"),
        ]
        if item.published_at:
            fields.append(("year", str(item.published_at.year)))
        fields += [
            ("eprint", item.paper_id),
            ("archivePrefix", "arXiv"),
            ("url", arxiv_url(item.paper_id)),
        ]
        if item.note:
            fields.append(("note", tex_escape(item.note)))
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
        entries.append(f"@misc{{{bibtex_key(item)},\n{body}\n}}\n")
    return "\n".join(entries)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


def _md(text: str) -> str:
    """Text safe inside a Markdown file: a title's backtick or bracket never breaks its link."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def markdown(name: str, items: Sequence[SavedItem]) -> str:
    lines = [f"# {_md(name)}", ""]
    for item in items:
        box = "x" if item.status == "read" else " "
        authors = _md(", ".join(item.authors[:3]) + (" et al." if len(item.authors) > 3 else ""))
        year = f" ({item.published_at.year})" if item.published_at else ""
        title = _md(item.title)
        lines.append(
            f"- [{box}] [{title}]({hf_url(item.paper_id)}) — "
            f"{authors}{year} · arXiv:{item.paper_id}"
        )
        if item.note:
            lines.extend(f"  > {_md(line)}" for line in item.note.splitlines())
    return "\n".join(lines) + "\n"


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    """A CSV cell a spreadsheet never runs as a formula: OWASP's advice for CSV injection is to
    put a single quote before a cell that starts with = + - @, a tab or a carriage return."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_text(items: Sequence[SavedItem]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["arxiv_id", "title", "authors", "year", "url", "status", "note", "saved_at"])
    for item in items:
        writer.writerow(
            [
                item.paper_id,
                _cell(item.title),
                _cell("; ".join(item.authors)),
                item.published_at.year if item.published_at else "",
                arxiv_url(item.paper_id),
                item.status,
                _cell(item.note or ""),
                item.saved_at.isoformat(),
            ]
        )
    return buffer.getvalue()


def json_text(name: str, items: Sequence[SavedItem]) -> str:
    payload = {
        "list": name,
        "papers": [
            {
                "arxiv_id": item.paper_id,
                "title": item.title,
                "authors": list(item.authors),
                "published": item.published_at.isoformat() if item.published_at else None,
                "url": arxiv_url(item.paper_id),
                "hf_url": hf_url(item.paper_id),
                "status": item.status,
                "note": item.note,
                "saved_at": item.saved_at.isoformat(),
            }
            for item in items
        ],
    }
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def export(name: str, items: Sequence[SavedItem], fmt: Format) -> tuple[str, bytes]:
    """(file name, contents) of a list in `fmt`."""
    if fmt == "bibtex":
        text = bibtex(items)
    elif fmt == "markdown":
        text = markdown(name, items)
    elif fmt == "csv":
        text = csv_text(items)
    else:
        text = json_text(name, items)
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "list"
    return f"{slug}.{EXTENSIONS[fmt]}", text.encode("utf-8")
