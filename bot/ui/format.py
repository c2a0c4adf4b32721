"""What every reply shares: the brand colour, Discord's text limits, cutting, escaping, times."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TypeVar

import discord

BRAND_COLOUR = discord.Colour(0xFFD21E)  # Hugging Face yellow
FIELD_LIMIT = 1024  # Discord's longest embed field value
PER_PAGE = 5  # papers on a page of results (search, trending, /foryou), each with a Save button


T = TypeVar("T")


def page_of(items: Sequence[T], page: int) -> Sequence[T]:
    """The items on page `page` (from 0) of a result, `PER_PAGE` to a page."""
    return items[page * PER_PAGE : (page + 1) * PER_PAGE]


def timestamp(moment: datetime, style: str = "R") -> str:
    """A Discord timestamp: every reader sees it in their own time zone."""
    return f"<t:{int(moment.timestamp())}:{style}>"


def human_duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    parts = [f"{days}d"] if days else []
    if days or hours:
        parts.append(f"{hours}h")
    parts.append(f"{minutes}m" if days or hours or minutes else f"{seconds}s")
    return " ".join(parts)


def cut(text: str, limit: int) -> str:
    """`text` within `limit` characters, cut at a word boundary with an ellipsis."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rfind(" ")
    if space > limit // 2:
        head = head[:space]
    return head.rstrip(" ,;:.-") + "…"


def escape(text: str) -> str:
    """Markdown-escaped text: a title with *stars* or `ticks` shows as written."""
    return discord.utils.escape_markdown(text, as_needed=False)
