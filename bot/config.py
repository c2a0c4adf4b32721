"""Settings, read once from the environment and `.env` when the program starts."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dotenv import dotenv_values

FEEDS = ("daily", "trending")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DEFAULT_DB = "data/paperbot.db"
DEFAULT_POLL_SECONDS = 600
DEFAULT_HF_ENDPOINT = "https://huggingface.co"
DEFAULT_SEND_RATE = 40.0
MAX_SEND_RATE = 45.0
MIN_SEND_RATE = 0.1
MAX_POLL_SECONDS = 86_400  # a day: Daily Papers changes every day, and the scheduler has limits


def _db_setting(value: str) -> Path | str:
    """A `postgresql://` URL as written (a Path would fold its `//`), else a file's path."""
    if value.startswith(("postgresql://", "postgres://")):
        return value
    return Path(value)


class ConfigError(Exception):
    """A setting with a value paperbot cannot use. The message is one line for the user."""


@dataclass(frozen=True)
class Settings:
    discord_token: str | None = field(default=None, repr=False)
    # A SQLite file, or a postgresql:// URL (its password never in a repr or a log).
    db_path: Path | str = field(default=Path(DEFAULT_DB), repr=False)
    # Whole seconds from the environment (1 to a day); tests run in-process bots faster.
    poll_seconds: float = DEFAULT_POLL_SECONDS
    hf_endpoint: str = DEFAULT_HF_ENDPOINT
    feeds: tuple[str, ...] = FEEDS
    dev_guild: int | None = None
    discord_api_base: str | None = None
    discord_gateway_url: str | None = None
    log_level: str = "INFO"
    send_rate: float = DEFAULT_SEND_RATE
    # Several processes (PostgreSQL only): this one's shards, of how many in all.
    shard_ids: tuple[int, ...] | None = None
    shard_count: int | None = None
    lease_seconds: float = 60.0  # how long a dead process's channels wait for another
    identify_seconds: float = 5.0  # Discord's IDENTIFY window (lower only for a local fake)
    heartbeat_seconds: float = 5.0
    retry_seconds: float = 30.0  # the outbox's first retry of a failed send, then doubling

    @classmethod
    def from_mapping(cls, env: Mapping[str, str | None]) -> Settings:
        """Build settings from a mapping of variables; raises `ConfigError` on a bad value."""

        def get(name: str) -> str | None:
            value = env.get(name)
            return value.strip() if value is not None and value.strip() else None

        return cls(
            discord_token=get("DISCORD_TOKEN"),
            db_path=_db_setting(get("PAPERBOT_DB") or DEFAULT_DB),
            poll_seconds=_int_setting(
                "PAPERBOT_POLL_SECONDS", get("PAPERBOT_POLL_SECONDS"), DEFAULT_POLL_SECONDS
            ),
            hf_endpoint=_url_setting(
                "HF_ENDPOINT", get("HF_ENDPOINT") or DEFAULT_HF_ENDPOINT, "https://huggingface.co"
            ),
            feeds=_feeds_setting(get("PAPERBOT_FEEDS")),
            dev_guild=_guild_setting(get("PAPERBOT_DEV_GUILD")),
            discord_api_base=_optional_url(
                "DISCORD_API_BASE", get("DISCORD_API_BASE"), "http://127.0.0.1:8080/api/v10"
            ),
            discord_gateway_url=_optional_url(
                "DISCORD_GATEWAY_URL", get("DISCORD_GATEWAY_URL"), "ws://127.0.0.1:8080/"
            ),
            log_level=_log_level(get("LOG_LEVEL")),
            # Discord allows 50 requests per second; only a local fake may be driven faster.
            send_rate=_rate_setting(
                get("PAPERBOT_SEND_RATE"), 1000.0 if get("DISCORD_API_BASE") else MAX_SEND_RATE
            ),
            **shard_settings(get("PAPERBOT_SHARDS"), get("PAPERBOT_SHARD_COUNT")),
            lease_seconds=_seconds("PAPERBOT_LEASE_SECONDS", get("PAPERBOT_LEASE_SECONDS"), 60),
            identify_seconds=_seconds(
                "PAPERBOT_IDENTIFY_SECONDS", get("PAPERBOT_IDENTIFY_SECONDS"), 5
            ),
            heartbeat_seconds=_seconds(
                "PAPERBOT_HEARTBEAT_SECONDS", get("PAPERBOT_HEARTBEAT_SECONDS"), 5
            ),
            retry_seconds=_seconds("PAPERBOT_RETRY_SECONDS", get("PAPERBOT_RETRY_SECONDS"), 30),
        )

    def db_password(self) -> str | None:
        """The password inside a `postgresql://` PAPERBOT_DB, for the logs to redact."""
        if isinstance(self.db_path, str):
            return urlsplit(self.db_path).password
        return None

    def warnings(self) -> list[str]:
        notes = []
        if self.poll_seconds < 60:
            notes.append(
                f"PAPERBOT_POLL_SECONDS={self.poll_seconds} is below 60: Hugging Face allows "
                "about 500 requests per 5 minutes per IP; use a short interval only for testing"
            )
        return notes


def load_settings(env_file: Path | str = ".env") -> Settings:
    """Settings from `.env` (if present) overlaid by the process environment."""
    merged: dict[str, str | None] = {}
    if Path(env_file).is_file():
        merged.update(dotenv_values(env_file))
    merged.update(os.environ)
    return Settings.from_mapping(merged)


def log_settings_warnings(settings: Settings) -> None:
    for note in settings.warnings():
        logging.getLogger("bot.config").warning(note)


def _int_setting(name: str, raw: str | None, default: int) -> int:
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_POLL_SECONDS:
        raise ConfigError(
            f"{name} must be a whole number of seconds from 1 to {MAX_POLL_SECONDS} (a day) "
            f"(got {raw!r})"
        )
    return value


def shard_settings(shards: str | None, count: str | None) -> dict[str, Any]:
    """`PAPERBOT_SHARDS` ("0-3", "0,2,5") of `PAPERBOT_SHARD_COUNT`; both, or neither."""
    if shards is None and count is None:
        return {"shard_ids": None, "shard_count": None}
    if shards is None or count is None:
        raise ConfigError(
            "PAPERBOT_SHARDS and PAPERBOT_SHARD_COUNT go together (e.g. 0-3 and 8), or "
            "neither (one process owns every shard)"
        )
    try:
        total = int(count)
    except ValueError:
        total = 0
    if total < 1:
        raise ConfigError(f"PAPERBOT_SHARD_COUNT must be a whole number of shards (got {count!r})")
    ids: set[int] = set()
    try:
        for part in shards.split(","):
            low, _, high = part.strip().partition("-")
            ids.update(range(int(low), int(high or low) + 1))
    except ValueError:
        raise ConfigError(
            f"PAPERBOT_SHARDS must list shard ids such as 0-3 or 0,2,5 (got {shards!r})"
        ) from None
    if not ids or min(ids) < 0 or max(ids) >= total:
        raise ConfigError(
            f"PAPERBOT_SHARDS ({shards}) must name shards from 0 to {total - 1} "
            f"(PAPERBOT_SHARD_COUNT is {total})"
        )
    return {"shard_ids": tuple(sorted(ids)), "shard_count": total}


def _seconds(name: str, raw: str | None, default: float) -> float:
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0.01 <= value <= 3600:
        raise ConfigError(f"{name} must be seconds, from 0.01 to 3600 (got {raw!r})")
    return value


def _rate_setting(raw: str | None, most: float) -> float:
    if raw is None:
        return DEFAULT_SEND_RATE
    problem = (
        f"PAPERBOT_SEND_RATE must be messages per second, from {MIN_SEND_RATE:g} to "
        f"{most:g} (got {raw!r})"
    )
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(problem) from None
    if not MIN_SEND_RATE <= value <= most:  # also refuses nan
        raise ConfigError(problem)
    return value


def _url_setting(name: str, raw: str, example: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name} must be an http(s) URL such as {example} (got {raw!r})")
    return raw.rstrip("/")


def _optional_url(name: str, raw: str | None, example: str) -> str | None:
    if raw is None:
        return None
    schemes = ("ws", "wss") if example.startswith("ws") else ("http", "https")
    parts = urlsplit(raw)
    if parts.scheme not in schemes or not parts.netloc:
        kind = "a ws(s)" if schemes[0] == "ws" else "an http(s)"
        raise ConfigError(f"{name} must be {kind} URL such as {example} (got {raw!r})")
    return raw.rstrip("/") if parts.scheme.startswith("http") else raw


def _feeds_setting(raw: str | None) -> tuple[str, ...]:
    if raw is None:
        return FEEDS
    feeds = tuple(dict.fromkeys(part.strip().lower() for part in raw.split(",") if part.strip()))
    unknown = [feed for feed in feeds if feed not in FEEDS]
    if unknown or not feeds:
        shown = ", ".join(unknown) if unknown else "nothing"
        raise ConfigError(
            f"PAPERBOT_FEEDS accepts a comma list of {' and '.join(FEEDS)} (got {shown})"
        )
    return feeds


def _guild_setting(raw: str | None) -> int | None:
    if raw is None:
        return None
    if not raw.isdigit():
        raise ConfigError(f"PAPERBOT_DEV_GUILD must be a numeric guild id (got {raw!r})")
    return int(raw)


def _log_level(raw: str | None) -> str:
    if raw is None:
        return "INFO"
    level = raw.upper()
    if level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL accepts {', '.join(LOG_LEVELS)} (got {raw!r})")
    return level
