"""The `paperbot` command: run | preview | db migrate | db backup."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from bot import __version__
from bot.config import (
    ConfigError,
    Settings,
    load_settings,
    log_settings_warnings,
    shard_settings,
)
from bot.core.errors import StoreOpenError
from bot.core.recommend import MIN_SAVED
from bot.core.store import Store
from bot.core.store.backup import BackupRefused, check_destination
from bot.core.store.copy import CopyRefused, copy_database
from bot.core.store.database import is_database_url
from bot.core.store.health import unwritable_reason
from bot.core.store.sqlite import ProcessLock
from bot.exits import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, fail
from bot.logs import setup_logging
from bot.preview import preview, recommend

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

    _add_preview(commands)
    _add_recommend(commands)
    _add_db(commands)
    return parser


def _add_preview(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`paperbot preview`: fetch papers once and print them (and what topics match)."""
    preview = commands.add_parser(
        "preview", help="fetch papers once and print them; needs neither Discord nor the database"
    )
    preview.add_argument(
        "--source",
        metavar="URL-or-FILE",
        help="a daily_papers URL or a JSON file of that shape (default: the configured feeds)",
    )
    preview.add_argument(
        "--limit",
        type=_positive_int,
        metavar="N",
        help="show at most N papers, and N of each topic's matches (all are matched and counted)",
    )
    preview.add_argument(
        "--topic",
        action="append",
        default=[],
        metavar="QUERY",
        help="also show which papers a topic query matches (repeatable; once with --like)",
    )
    preview.add_argument(
        "--like",
        action="append",
        default=[],
        metavar="ID",
        help="teach the --topic a paper it wants (id or link; repeatable): papers like it are "
        "posted even where the query misses them; without --topic, a topic by example",
    )
    preview.add_argument(
        "--dislike",
        action="append",
        default=[],
        metavar="ID",
        help="teach the --topic a paper it does not want (repeatable): matches like it are "
        "held back, and it is never posted",
    )
    preview.add_argument(
        "--explain",
        metavar="ID",
        help="with --topic or --like: say why each topic posts one paper of the source, or why not",
    )
    preview.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _add_recommend(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`paperbot recommend`: rank a source's papers by papers you saved."""
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


def _add_db(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`paperbot db migrate | backup | copy`: database maintenance."""
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
        if (args.like or args.dislike) and len(args.topic) > 1:
            return fail(
                f"--like and --dislike teach one topic: give one --topic, not {len(args.topic)}",
                EXIT_USAGE,
            )
        if args.dislike and not args.like and not args.topic:
            return fail(
                "--dislike needs a --topic (or a --like, for a topic by example)", EXIT_USAGE
            )
        if args.explain and not args.topic and not args.like:
            return fail("--explain needs at least one --topic, or a --like", EXIT_USAGE)
        return asyncio.run(
            preview(
                settings,
                args.source,
                args.limit,
                args.json,
                args.topic,
                args.explain,
                liked=args.like,
                disliked=args.dislike,
            )
        )
    if args.command == "recommend":
        return asyncio.run(recommend(settings, args.source, args.saved, args.limit, args.json))
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
