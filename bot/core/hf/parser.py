"""Pure parsing of Hugging Face papers API bodies into `Paper` objects.

No I/O here, so every quirk of the API is tested on captured bodies. The rules: optional fields
may be missing or null; unknown fields are ignored; a field of the wrong type is treated as
missing when optional and makes the item malformed when required; one malformed item is skipped
(and reported), never the whole batch.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.core.errors import InvalidPaperId, SourceError
from bot.core.models import Paper
from bot.core.paper_ids import is_canonical_id, parse_paper_id

log = logging.getLogger(__name__)


# Counts past this are no count a store keeps (SQLite's and PostgreSQL's 64-bit integers hold
# it with room to spare): 10^30 upvotes is read as this many, not as a poll that fails.
MAX_COUNT = 2**53 - 1
_SURROGATES = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class ParsedBatch:
    papers: list[Paper]
    skipped: list[str]  # one reason per malformed item ("no id", "no title", ...)


class MalformedItem(ValueError):
    """One item of a response that cannot become a `Paper`: a short reason ("no id"), the
    same for every item it fits so that they count together, and the detail for the log."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.detail = detail


def parse_body(body: bytes | str) -> ParsedBatch:
    """Parse a `daily_papers` or `papers/search` body (a JSON list of items)."""
    data = decode_json(body)
    if not isinstance(data, list):
        raise SourceError(f"expected a JSON list of papers, got a JSON {_json_type(data)}")
    papers: list[Paper] = []
    skipped: list[str] = []
    seen: set[str] = set()
    for index, item in enumerate(data):
        try:
            paper = parse_item(item)
        except MalformedItem as exc:
            log.warning("skipping malformed paper item %d: %s", index, exc.detail or exc)
            skipped.append(str(exc))
            continue
        if paper.id not in seen:
            seen.add(paper.id)
            papers.append(paper)
    return ParsedBatch(papers, skipped)


def parse_paper_body(body: bytes | str) -> Paper:
    """Parse the body of `GET /api/papers/{id}` (one flat paper object)."""
    data = decode_json(body)
    if not isinstance(data, dict):
        raise SourceError(f"expected a JSON object for a paper, got a JSON {_json_type(data)}")
    try:
        return parse_item(data)
    except MalformedItem as exc:
        raise SourceError(f"malformed paper: {exc}") from exc


def decode_json(body: bytes | str) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        start = " ".join(text.strip().split())[:60]
        hint = "an HTML page" if start.lower().startswith(("<!doctype", "<html")) else "not JSON"
        raise SourceError(f"the response is {hint} ({exc.__class__.__name__}: {start!r})") from exc


def parse_item(item: object) -> Paper:
    """Turn one API item, nested (`{"paper": {...}, ...}`) or flat, into a `Paper`."""
    if not isinstance(item, Mapping):
        raise MalformedItem("not an object", f"a JSON {_json_type(item)}")
    inner = item.get("paper")
    paper: Mapping[str, Any] = inner if isinstance(inner, Mapping) else item
    outer: Mapping[str, Any] = item

    raw_id = _str(paper, "id")
    if not raw_id or not raw_id.strip():
        raise MalformedItem("no id")
    try:
        paper_id = parse_paper_id(raw_id)
    except InvalidPaperId as exc:
        raise MalformedItem("an id that is no arXiv id", repr(raw_id[:80])) from exc
    if not is_canonical_id(paper_id):
        raise MalformedItem("an id that is no arXiv id", repr(raw_id[:80]))

    title = clean_text(_str(paper, "title") or _str(outer, "title"))
    if not title:
        raise MalformedItem("no title", paper_id)

    return Paper(
        id=paper_id,
        title=title,
        abstract=clean_abstract(_str(paper, "summary") or _str(outer, "summary") or ""),
        authors=_authors(paper.get("authors")),
        published_at=_date(paper, "publishedAt"),
        submitted_at=_date(paper, "submittedOnDailyAt") or _date(outer, "publishedAt"),
        upvotes=_int(paper, "upvotes") or 0,
        num_comments=_int(outer, "numComments") or _int(paper, "numComments") or 0,
        github_repo=_url(paper, "githubRepo"),
        github_stars=_int(paper, "githubStars"),
        ai_summary=clean_text(_str(paper, "ai_summary") or "") or None,
        ai_keywords=_keywords(paper.get("ai_keywords")),
        project_page=_url(paper, "projectPage"),
        thumbnail=_url(outer, "thumbnail") or _url(paper, "thumbnail"),
    )


def clean_text(text: str | None) -> str:
    """Collapse arXiv's hard line wraps and runs of whitespace into single spaces."""
    return " ".join((text or "").split())


def clean_abstract(text: str) -> str:
    """Like `clean_text`, but keeps paragraph breaks (blank lines)."""
    paragraphs = [clean_text(p) for p in text.replace("\r\n", "\n").split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p)


def _str(obj: Mapping[str, Any], key: str) -> str | None:
    """A text field; a lone surrogate (which no store can encode) becomes U+FFFD."""
    value = obj.get(key)
    if not isinstance(value, str):
        return None
    return _SURROGATES.sub("\ufffd", value)


def _int(obj: Mapping[str, Any], key: str) -> int | None:
    value = obj.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return min(max(value, 0), MAX_COUNT)
    if isinstance(value, float) and value.is_integer():
        return min(max(int(value), 0), MAX_COUNT)
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        digits = value.strip()
        return MAX_COUNT if len(digits) > 16 else min(int(digits), MAX_COUNT)
    return None


def _url(obj: Mapping[str, Any], key: str) -> str | None:
    value = _str(obj, key)
    if value and value.strip().startswith(("https://", "http://")):
        return value.strip()
    return None


def _date(obj: Mapping[str, Any], key: str) -> datetime | None:
    value = _str(obj, key)
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _authors(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    names: list[str] = []
    for author in value:
        name = author.get("name") if isinstance(author, Mapping) else author
        if isinstance(name, str) and clean_text(name):
            names.append(clean_text(_SURROGATES.sub("\ufffd", name)))
    return tuple(names)


def _keywords(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(
        clean_text(_SURROGATES.sub("\ufffd", k))
        for k in value
        if isinstance(k, str) and clean_text(k)
    )


def _json_type(value: object) -> str:
    names = {dict: "object", list: "list", str: "string", bool: "boolean", type(None): "null"}
    for kind, name in names.items():
        if isinstance(value, kind):
            return name
    return "number" if isinstance(value, int | float) else type(value).__name__
