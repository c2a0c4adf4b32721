"""The `paperbot` command: run | preview | db migrate | db backup."""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sqlite3
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import aiohttp

from bot import __version__
from bot.config import (
    ConfigError,
    Settings,
    load_settings,
    log_settings_warnings,
    shard_settings,
)
from bot.core.clock import utc_now
from bot.core.delivery.poller import fetch_feed
from bot.core.errors import SourceError, StoreOpenError, UserError
from bot.core.hf.parser import parse_body
from bot.core.hf.source import HFSource, RetryPolicy
from bot.core.matching.judge import doc_of, matches
from bot.core.matching.query import Query, QueryError, parse
from bot.core.matching.text import words
from bot.core.matching.vocabulary import Vocabulary
from bot.core.matching.why import verdict
from bot.core.models import Paper
from bot.core.paper_ids import parse_paper_id
from bot.core.recommend import MIN_SAVED, recommend
from bot.core.store import Store
from bot.core.store.backup import BackupRefused, check_destination
from bot.core.store.copy import CopyRefused, copy_database
from bot.core.store.database import is_database_url
from bot.core.store.health import unwritable_reason
from bot.core.store.sqlite import ProcessLock
from bot.exits import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, fail
from bot.logs import setup_logging

NO_TOKEN = (
    "DISCORD_TOKEN is not set. Create a bot in the Discord Developer Portal "
    "(https://discord.com/developers/applications), copy its token into .env as "
    "DISCORD_TOKEN=..., and see README.md, section 'Create the Discord application'."
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="paperbot", description="Hugging Face Daily and Trending Papers in Discord."
    )
    parser.add_argument("--version", action="version", version=f"paperbot {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run the bot (needs DISCORD_TOKEN)")
    run.add_argument(
        "--shards", metavar="IDS", help="this process's shards, e.g. 0-3 (PAPERBOT_SHARDS)"
    )
    run.add_argument(
        "--shard-count", metavar="N", help="shards in all, e.g. 8 (PAPERBOT_SHARD_COUNT)"
    )

    preview = commands.add_parser(
        "preview", help="fetch papers once and print them; needs neither Discord nor the database"
    )
    preview.add_argument(
        "--source",
        metavar="URL-or-FILE",
        help="a daily_papers URL or a JSON file of that shape (default: the configured feeds)",
    )
    preview.add_argument("--limit", type=_positive_int, metavar="N", help="show at most N papers")
    preview.add_argument(
        "--topic",
        action="append",
        default=[],
        metavar="QUERY",
        help="also show which papers a topic query matches (repeatable)",
    )
    preview.add_argument(
        "--explain",
        metavar="ID",
        help="with --topic: say why each topic matches one paper of the source, or why not",
    )
    preview.add_argument("--json", action="store_true", help="print JSON instead of a table")

    rec = commands.add_parser(
        "recommend",
        help="rank a source's papers by papers you saved; needs neither Discord nor the database",
    )
    rec.add_argument(
        "--source", required=True, metavar="URL-or-FILE", help="papers to rank, as for preview"
    )
    rec.add_argument(
        "--saved",
        action="append",
        required=True,
        metavar="ID",
        help=f"a paper you saved (id or link); repeat it, {MIN_SAVED} at least",
    )
    rec.add_argument(
        "--limit", type=_positive_int, default=10, metavar="N", help="show the N best (10)"
    )
    rec.add_argument("--json", action="store_true", help="print JSON instead of a table")

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_commands.add_parser("migrate", help="bring the database schema up to date")
    backup = db_commands.add_parser("backup", help="copy the database (safe while the bot runs)")
    backup.add_argument("path", type=Path, help="where to write the copy (a new file)")
    backup.add_argument("--force", action="store_true", help="replace an existing file")
    copy = db_commands.add_parser(
        "copy", help="copy this SQLite database to PostgreSQL (stop the bot first)"
    )
    copy.add_argument(
        "--to", required=True, metavar="URL", help="postgresql://user:password@host:port/dbname"
    )
    copy.add_argument(
        "--force", action="store_true", help="replace what the target database already holds"
    )
    return parser


# Options whose value may start with "-" (`--topic -survey` excludes a word).
_DASHED_VALUES = ("--topic", "--explain")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(_join_dashed_values(sys.argv[1:] if argv is None else argv))
    try:
        settings = load_settings()
    except ConfigError as exc:
        return fail(str(exc), EXIT_USAGE)
    setup_logging(settings.log_level, [settings.discord_token, settings.db_password()])
    if args.command == "run":
        if args.shards is not None or args.shard_count is not None:
            try:
                shards = shard_settings(
                    args.shards or _joined(settings.shard_ids),
                    args.shard_count or _text(settings.shard_count),
                )
            except ConfigError as exc:
                return fail(str(exc), EXIT_USAGE)
            settings = replace(settings, **shards)
        return _run(settings)
    if args.command == "preview":
        if args.explain and not args.topic:
            return fail("--explain needs at least one --topic", EXIT_USAGE)
        return asyncio.run(
            _preview(settings, args.source, args.limit, args.json, args.topic, args.explain)
        )
    if args.command == "recommend":
        return asyncio.run(_recommend(settings, args.source, args.saved, args.limit, args.json))
    if args.db_command == "migrate":
        return asyncio.run(_migrate(settings))
    if args.db_command == "copy":
        return asyncio.run(_copy(settings, args.to, args.force))
    return asyncio.run(_backup(settings, args.path, args.force))


def _joined(ids: tuple[int, ...] | None) -> str | None:
    return ",".join(map(str, ids)) if ids is not None else None


def _text(value: int | None) -> str | None:
    return str(value) if value is not None else None


def _join_dashed_values(argv: Sequence[str]) -> list[str]:
    """`--topic -foo` as `--topic=-foo`: argparse would take "-foo" for an option."""
    joined: list[str] = []
    items = list(argv)
    i = 0
    while i < len(items):
        if items[i] in _DASHED_VALUES and i + 1 < len(items) and items[i + 1].startswith("-"):
            joined.append(f"{items[i]}={items[i + 1]}")
            i += 2
            continue
        joined.append(items[i])
        i += 1
    return joined


def _run(settings: Settings) -> int:
    if not settings.discord_token:
        return fail(NO_TOKEN, EXIT_USAGE)
    log_settings_warnings(settings)
    from bot.app import run_bot  # imported here so that preview and db never load discord.py

    return asyncio.run(run_bot(settings))


async def _preview(
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
        return _explain(papers, queries, explain_id, vocabulary, as_json)
    shown = papers[:limit] if limit else papers
    docs = [(p, doc_of(p, vocabulary=vocabulary)) for p in shown]
    matched = [(q, [p for p, d in docs if matches(q.tree, d)]) for q in queries]
    if as_json:
        payload: dict[str, object] = {
            "papers": [
                {"id": p.id, "title": p.title, "upvotes": p.upvotes, "url": p.hf_url} for p in shown
            ]
        }
        if queries:
            payload["topics"] = [
                {"query": q.text, "matches": [p.id for p in found]} for q, found in matched
            ]
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return EXIT_OK
    print(format_table(shown))
    for query, found in matched:
        print(f"\ntopic {query.text!r} (understood as {query.understood}): {len(found)} match")
        if found:
            print(format_table(found))
    return EXIT_OK


def _explain(
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


async def _recommend(
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
    ranked = [r for r in recommend([found[i] for i in wanted], papers, limit=limit) if r.score > 0]
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


def format_table(papers: Sequence[Paper]) -> str:
    """A plain table: id, upvotes, title (cut to the terminal's width)."""
    width = shutil.get_terminal_size((100, 24)).columns
    id_width = max([len("ID"), *(len(p.id) for p in papers)])
    title_width = max(width - id_width - 10, 20)
    lines = [f"{'ID':<{id_width}}  {'UPVOTES':>7}  TITLE"]
    for paper in papers:
        title = paper.title
        if len(title) > title_width:
            title = title[: title_width - 1] + "…"
        lines.append(f"{paper.id:<{id_width}}  {paper.upvotes:>7}  {title}")
    lines.append(f"{len(papers)} paper{'s' if len(papers) != 1 else ''}")
    return "\n".join(lines)


async def _migrate(settings: Settings) -> int:
    try:
        async with await Store.open(settings.db_path) as store:
            version = await store.schema_version()
            name = store.name
    except StoreOpenError as exc:
        return fail(str(exc), exc.exit_code)
    print(f"{name}: schema version {version}")
    return EXIT_OK


async def _backup(settings: Settings, destination: Path, force: bool) -> int:
    database = settings.db_path
    if isinstance(database, str):
        return fail("paperbot backs up SQLite files; back up PostgreSQL with pg_dump", EXIT_USAGE)
    if not database.is_file():
        return fail(f"no database at {database} (set PAPERBOT_DB)", EXIT_USAGE)
    try:
        check_destination(database, destination, force=force)
        async with await Store.open(database, migrate=False) as store:
            written = await store.backup(destination)
    except BackupRefused as exc:
        return fail(str(exc), EXIT_USAGE)
    except StoreOpenError as exc:
        return fail(str(exc), exc.exit_code)
    except (OSError, sqlite3.Error) as exc:
        reason = (
            unwritable_reason(exc) if isinstance(exc, sqlite3.Error) else (exc.strerror or str(exc))
        )
        return fail(f"backup to {destination} failed: {reason}; nothing was written", EXIT_FAILURE)
    print(f"backed up {database} to {written}")
    return EXIT_OK


async def _copy(settings: Settings, url: str, force: bool) -> int:
    database = settings.db_path
    if isinstance(database, str):
        return fail("PAPERBOT_DB must name the SQLite file to copy from", EXIT_USAGE)
    if not is_database_url(url):
        return fail("--to takes a postgresql://user:password@host:port/dbname URL", EXIT_USAGE)
    if not database.is_file():
        return fail(f"no database at {database} (set PAPERBOT_DB)", EXIT_USAGE)
    lock = ProcessLock(database)  # the bot must not post while its history is being copied
    try:
        lock.acquire()
        async with await Store.open(database) as source, await Store.open(url) as target:
            copied = await copy_database(source, target, force=force)
            name = target.name
    except CopyRefused as exc:
        return fail(str(exc), EXIT_USAGE)
    except StoreOpenError as exc:
        return fail(str(exc), exc.exit_code)
    finally:
        lock.release()
    print(f"copied {copied.summary()} from {database} to {name}")
    print(f"next: set PAPERBOT_DB={name} (with its password) and start paperbot")
    return EXIT_OK


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value
