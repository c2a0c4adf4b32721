"""Logging to stdout with timestamps, and filters that keep secrets and private text out.

The bot token, every interaction's token (it lets anyone answer as the bot for 15 minutes) and
what people type into commands (a private note is private) never reach a log line, whatever
the level: discord.py logs whole gateway payloads and webhook URLs at DEBUG.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from typing import Any

# Interaction tokens ride in URLs (/webhooks/{app}/{token}, /interactions/{id}/{token}/...)
# and in payloads ("token": "...").
_TOKEN_PATTERNS = (
    re.compile(r"(/(?:webhooks|interactions)/\d+/)[A-Za-z0-9_.\-]{20,}"),
    re.compile(r"""(['"]token['"]\s*:\s*)(['"])[^'"]+\2"""),
)


class RedactSecrets(logging.Filter):
    """Replaces the configured secrets and any interaction token in a record with `[redacted]`."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s and len(s) >= 8]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        text = record.exc_text or ""
        for secret in self._secrets:
            message = message.replace(secret, "[redacted]")
            text = text.replace(secret, "[redacted]")
        message, text = _redact_tokens(message), _redact_tokens(text)
        record.msg, record.args = message, None
        if record.exc_text:
            record.exc_text = text
        return True


def _redact_tokens(text: str) -> str:
    text = _TOKEN_PATTERNS[0].sub(r"\1[redacted]", text)
    return _TOKEN_PATTERNS[1].sub(r"\1\2[redacted]\2", text)


class SummarizeGatewayEvents(logging.Filter):
    """discord.py logs every gateway payload at DEBUG, options typed into commands included:
    keep the event's name and sequence, not its data."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "WebSocket Event" in record.msg and record.args:
            args = tuple(record.args) if isinstance(record.args, tuple) else (record.args,)
            record.args = (*args[:-1], _summary(args[-1]))
        return True


def _summary(payload: Any) -> str:
    if isinstance(payload, dict):
        return f"op {payload.get('op')} {payload.get('t') or ''} seq {payload.get('s')}".strip()
    return "(payload not shown)"


class OneLineReconnects(logging.Filter):
    """discord.py logs each reconnect attempt with a whole traceback; an outage is one line each."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and "reconnect" in str(record.msg).lower():
            error = record.exc_info[1]
            record.msg = f"{record.getMessage()} ({type(error).__name__}: {error})"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def setup_logging(level: str, secrets: Iterable[str | None] = ()) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")
    )
    handler.addFilter(SummarizeGatewayEvents())
    handler.addFilter(OneLineReconnects())
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # discord.py's HTTP logger is chatty at DEBUG; keep it at INFO unless asked otherwise.
    logging.getLogger("discord.http").setLevel(max(logging.INFO, root.level))
    logging.getLogger("aiosqlite").setLevel(max(logging.INFO, root.level))
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, root.level))
