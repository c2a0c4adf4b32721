"""`paperbot preview` and `paperbot recommend`: what paperbot would post, or recommend, for a
source's papers, printed as a table or JSON; neither needs Discord nor the database."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import aiohttp

from bot import __version__
from bot.config import Settings
from bot.core.clock import utc_now
from bot.core.delivery.poller import fetch_feed
from bot.core.errors import SourceError, UserError
from bot.core.hf.parser import parse_body
from bot.core.hf.source import HFSource, RetryPolicy
from bot.core.matching.explain import match_count
from bot.core.matching.judge import doc_of, matches
from bot.core.matching.query import Query, QueryError, parse
from bot.core.matching.text import words
from bot.core.matching.vocabulary import Vocabulary
from bot.core.matching.why import verdict
from bot.core.models import Paper
from bot.core.paper_ids import parse_paper_id
from bot.core.recommend import MIN_SAVED
from bot.core.recommend import recommend as rank
from bot.exits import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, fail


async def preview(
    settings: Settings,
    source: str | None,
    limit: int | None,
    as_json: bool,
    topics: Sequence[str] = (),
    explain_id: str | None = None,
) -> int:
    try:
        queries = [parse(t) for t in topics]
    except QueryError as exc:
        # The message, then the query with a caret under the problem (no Markdown fences).
        lines = [line for line in str(exc).splitlines() if line != "```"]
        return fail("bad --topic: " + "\n  ".join(lines), EXIT_USAGE)
    try:
        papers = await _fetch_preview(settings, source)
    except (SourceError, OSError) as exc:
        return fail(f"cannot read {source or settings.hf_endpoint}: {exc}", EXIT_FAILURE)
    vocabulary = Vocabulary.of_documents(words(f"{p.title} {p.abstract}") for p in papers)
    if explain_id is not None:
        return explain_one(papers, queries, explain_id, vocabulary, as_json)
    # --limit limits what is shown: every paper of the source is matched and counted.
    docs = [(p, doc_of(p, vocabulary=vocabulary)) for p in papers] if queries else []
    matched = [(q, [p for p, d in docs if matches(q.tree, d)]) for q in queries]
    shown = papers[:limit] if limit else papers
    if as_json:
        payload: dict[str, object] = {
            "papers": [
                {"id": p.id, "title": p.title, "upvotes": p.upvotes, "url": p.hf_url} for p in shown
            ]
        }
        if queries:
            payload["topics"] = [
                {
                    "query": q.text,
                    "matches": [p.id for p in (found[:limit] if limit else found)],
                    "count": len(found),
                }
                for q, found in matched
            ]
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return EXIT_OK
    print(format_table(shown, total=len(papers)))
    for query, found in matched:
        print(
            f"\ntopic {query.text!r} (understood as {query.understood}): {match_count(len(found))}"
        )
        if found:
            print(format_table(found[:limit] if limit else found, total=len(found)))
    return EXIT_OK


def explain_one(
    papers: Sequence[Paper],
    queries: Sequence[Query],
    wanted: str,
    vocabulary: Vocabulary,
    as_json: bool,
) -> int:
    try:
        paper_id = parse_paper_id(wanted)
    except UserError as exc:
        return fail(f"bad --explain: {exc}", EXIT_USAGE)
    paper = next((p for p in papers if p.id == paper_id), None)
    if paper is None:
        return fail(f"paper {paper_id} is not in the source ({len(papers)} papers)", EXIT_FAILURE)
    doc = doc_of(paper, vocabulary=vocabulary)
    found = [verdict(paper, q, doc) for q in queries]
    if as_json:
        payload = {
            "paper": {"id": paper.id, "title": paper.title},
            "topics": [
                {"query": v.query.text, "matches": v.matches, "reasons": list(v.reasons)}
                for v in found
            ],
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"{paper.id}  {paper.title}")
    for v in found:
        print(f"\ntopic {v.query.text!r}: {'matches' if v.matches else 'does not match'}")
        for reason in v.reasons:
            print(f"  - {reason}")
    return EXIT_OK


async def recommend(
    settings: Settings, source: str, saved_ids: Sequence[str], limit: int, as_json: bool
) -> int:
    try:
        wanted = list(dict.fromkeys(parse_paper_id(s) for s in saved_ids))
    except UserError as exc:
        return fail(f"bad --saved: {exc}", EXIT_USAGE)
    if len(wanted) < MIN_SAVED:
        return fail(
            f"--saved needs {MIN_SAVED} different papers at least (got {len(wanted)}): "
            "fewer say too little about what you read",
            EXIT_USAGE,
        )
    try:
        papers = await _fetch_preview(settings, source)
    except (SourceError, OSError) as exc:
        return fail(f"cannot read {source}: {exc}", EXIT_FAILURE)
    found = {p.id: p for p in papers}
    missing = [i for i in wanted if i not in found]
    if missing:  # saved papers are often older than the source: ask Hugging Face for them
        async with aiohttp.ClientSession() as session:
            hf = HFSource(
                session,
                settings.hf_endpoint,
                version=__version__,
                policy=RetryPolicy(attempts=3, base_delay=0.5),
            )
            for paper_id in missing:
                try:
                    paper = await hf.paper(paper_id)
                except SourceError as exc:
                    return fail(f"cannot look up saved paper {paper_id}: {exc}", EXIT_FAILURE)
                if paper is None:
                    return fail(f"bad --saved: Hugging Face has no paper {paper_id}", EXIT_USAGE)
                found[paper_id] = paper
    # Best first: papers like none of the saved ones (score 0) can only come last.
    ranked = [r for r in rank([found[i] for i in wanted], papers, limit=limit) if r.score > 0]
    if as_json:
        payload = {
            "papers": [
                {
                    "id": r.paper.id,
                    "title": r.paper.title,
                    "score": r.score,
                    "because": list(r.because),
                    "terms": list(r.terms),
                }
                for r in ranked
            ]
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return EXIT_OK
    width = shutil.get_terminal_size((100, 20)).columns
    for n, r in enumerate(ranked, start=1):
        print(f"{n:>3}. {r.score:.3f}  {r.paper.id}  {r.paper.title}"[:width])
        if r.because:
            print(f"     like {', '.join(r.because)}: {', '.join(r.terms)}"[:width])
    return EXIT_OK


async def _fetch_preview(settings: Settings, source: str | None) -> list[Paper]:
    if source is not None and not source.startswith(("http://", "https://")):
        body = await asyncio.to_thread(Path(source).read_bytes)
        return parse_body(body).papers
    async with aiohttp.ClientSession() as session:
        # A one-off command: fewer, shorter retries than the bot's polls.
        hf = HFSource(
            session,
            settings.hf_endpoint,
            version=__version__,
            policy=RetryPolicy(attempts=3, base_delay=0.5),
        )
        if source is not None:
            return await hf.fetch_list(source)
        papers: dict[str, Paper] = {}
        for feed in settings.feeds:
            for paper in await fetch_feed(hf, feed, utc_now()):
                papers.setdefault(paper.id, paper)
        return sorted(papers.values(), key=lambda p: p.upvotes, reverse=True)


def format_table(papers: Sequence[Paper], *, total: int | None = None) -> str:
    """A plain table: id, upvotes, title (cut to the terminal's width); `total` says how many
    there were when these are only the first of them."""
    width = shutil.get_terminal_size((100, 24)).columns
    id_width = max([len("ID"), *(len(p.id) for p in papers)])
    title_width = max(width - id_width - 10, 20)
    lines = [f"{'ID':<{id_width}}  {'UPVOTES':>7}  TITLE"]
    for paper in papers:
        title = paper.title
        if len(title) > title_width:
            title = title[: title_width - 1] + "…"
        lines.append(f"{paper.id:<{id_width}}  {paper.upvotes:>7}  {title}")
    count = total if total is not None else len(papers)
    of = f"{len(papers)} of " if count != len(papers) else ""
    lines.append(f"{of}{count} paper{'s' if count != 1 else ''}")
    return "\n".join(lines)
