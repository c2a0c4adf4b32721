"""Forum posts: a paper (or a digest) as a post of its own in a forum channel.

A forum post is a thread whose first message is the card, tagged with the forum's tags named
like the topics that matched. Discord takes no nonce for it, so a post that may already be
there (see `ForumPost`) is looked for before it is made again, and discord.py is kept from
repeating a post Discord answered with a 5xx (`forum_post_guard`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import discord

from bot.core.errors import DeliveryFailed
from bot.transport.refusals import delivery_failures

log = logging.getLogger(__name__)

THREAD_NAME = 100  # Discord's longest thread (and forum post) name
TAG_NAME = 20  # Discord's longest forum tag name
MAX_FORUM_TAGS = 20  # tags a forum may have
MAX_APPLIED_TAGS = 5  # tags a post may carry
CLOCK_SKEW = timedelta(minutes=2)  # Discord's clock against this host's
FORUM_REFUSED = (
    "Discord refused to let the bot post in the forum (403: {text}). Give it View Channel, "
    "Create Posts and Embed Links there, then /topic resume."
)
FORUM_GONE = "The forum no longer exists (404: {text})."
HISTORY_NEEDED = (
    "Discord refused to let the bot read the forum's posts, which it does to check that a post "
    "whose answer was lost is not made twice. Give it Read Message History there, then "
    "/topic resume"
)
FORUM_POST = re.compile(r"/channels/\d+/threads$")  # a post in a forum (a thread, no message)
RETRIED_BY_DISCORD_PY = frozenset({500, 502, 504, 524})
LINK = re.compile(r"\]\((https?://[^)\s]+)\)")


class ForumPostUnanswered(Exception):
    """Discord answered a forum post with an error after which it may have made the post."""

    def __init__(self, status: int) -> None:
        super().__init__(f"Discord answered {status} to a forum post")
        self.status = status


def forum_post_guard() -> aiohttp.TraceConfig:
    """For the bot's HTTP session: discord.py repeats on its own a request Discord answered
    500, 502, 504 or 524, and a forum post takes no nonce, so a post Discord made before such
    an answer would be made twice. This stops that request there instead (`ForumPostUnanswered`),
    and the outbox retries it in doubt: looking for the post before posting again."""

    async def on_end(
        _session: aiohttp.ClientSession, _ctx: Any, params: aiohttp.TraceRequestEndParams
    ) -> None:
        status = params.response.status
        post = params.method == "POST" and FORUM_POST.search(params.url.path) is not None
        if post and status in RETRIED_BY_DISCORD_PY:
            params.response.release()
            raise ForumPostUnanswered(status)

    trace = aiohttp.TraceConfig()
    trace.on_request_end.append(on_end)
    return trace


def papers_in(embeds: Sequence[discord.Embed]) -> set[str]:
    """The papers a message shows, by link: a card's title link, a digest's list of links."""
    found: set[str] = set()
    for embed in embeds:
        if embed.url:
            found.add(embed.url)
        found.update(LINK.findall(embed.description or ""))
    return found


class ForumPoster:
    """Posts in forums through discord.py; the gateway's cache (or Discord) says what a forum
    is and which tags it has."""

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def post(
        self,
        forum: discord.ForumChannel,
        title: str,
        tags: Sequence[str],
        content: str | None,
        embeds: list[discord.Embed],
        view: discord.ui.View | None,
        allowed: discord.AllowedMentions,
        posted_since: datetime | None,
    ) -> int:
        """A forum post (a thread whose first message is the card), tagged with the forum's
        tags named like the topics that matched; returns the first message's id."""
        name = title[:THREAD_NAME].strip() or "paper"  # Discord trims a name's spaces
        if posted_since is not None:
            found = await self._posted_already(forum, name, posted_since, embeds)
            if found is not None:
                if view is not None:
                    view.stop()
                log.info("forum %s already has post %s; not posting it again", forum.id, found)
                return found
        applied = await self._tags(forum, tags)
        try:
            with delivery_failures(refused=FORUM_REFUSED, gone=FORUM_GONE):
                made = await forum.create_thread(
                    name=name,
                    content=content,
                    embeds=embeds,
                    view=view or discord.utils.MISSING,
                    allowed_mentions=allowed,
                    applied_tags=applied,
                )
        except ForumPostUnanswered as exc:
            raise DeliveryFailed("retry", f"{exc}; it may have made it") from exc
        except DeliveryFailed:
            raise
        except Exception as exc:  # a bug, maybe after Discord made the post: retried in doubt
            log.exception("posting in forum %s failed", forum.id)
            raise DeliveryFailed("retry", f"posting failed unexpectedly: {exc!r}") from exc
        finally:
            if view is not None:
                view.stop()
        message_id: int = made.message.id
        return message_id

    async def _posted_already(
        self,
        forum: discord.ForumChannel,
        name: str,
        since: datetime,
        embeds: Sequence[discord.Embed],
    ) -> int | None:
        """The id of the bot's post in the forum named `name`, made since `since` and carrying
        the same papers, if Discord has one. A forum post takes no nonce: this is how a post
        whose answer was lost (or whose sender died before recording it) is not made twice.
        Asks Discord, not the cache: the open posts, then those archived since."""
        me = self._client.user
        earliest = since - CLOCK_SKEW
        wanted = papers_in(embeds)
        try:
            threads = [t for t in await forum.guild.active_threads() if t.parent_id == forum.id]
            threads += await self._archived_since(forum, earliest)
            for thread in threads:
                made = thread.created_at or discord.utils.snowflake_time(thread.id)
                if me is None or thread.owner_id != me.id or thread.name.strip() != name:
                    continue
                if made < earliest:
                    continue
                try:  # a post's first message has the post's id
                    first = await thread.fetch_message(thread.id)
                except discord.NotFound:
                    continue
                if papers_in(first.embeds) == wanted:
                    return thread.id
        except discord.Forbidden as exc:
            raise DeliveryFailed("forbidden", f"{HISTORY_NEEDED} (403: {exc.text}).") from exc
        except discord.HTTPException as exc:
            raise DeliveryFailed(
                "retry", f"could not look for the post in the forum ({exc.status}: {exc.text})"
            ) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryFailed("retry", f"could not reach Discord: {exc!r}") from exc
        return None

    async def _archived_since(
        self, forum: discord.ForumChannel, earliest: datetime
    ) -> list[discord.Thread]:
        """The forum's posts archived since `earliest` (Discord lists the newest first)."""
        found: list[discord.Thread] = []
        async for thread in forum.archived_threads(limit=None):
            if thread.archive_timestamp < earliest:
                break
            found.append(thread)
        return found

    async def _tags(
        self, forum: discord.ForumChannel, names: Sequence[str]
    ) -> list[discord.ForumTag]:
        """The forum's tags named like the topics (created when the bot may, up to Discord's
        20 per forum); at most 5 on a post, as Discord allows."""
        wanted = list(dict.fromkeys(n[:TAG_NAME] for n in names if n))
        have = {t.name.lower(): t for t in forum.available_tags}
        missing = [n for n in wanted if n.lower() not in have]
        room = MAX_FORUM_TAGS - len(forum.available_tags)
        me = forum.guild.me  # None for a forum fetched from Discord, its server not cached
        if missing and room > 0 and me is not None and forum.permissions_for(me).manage_channels:
            try:
                edited = await forum.edit(
                    available_tags=[
                        *forum.available_tags,
                        *(discord.ForumTag(name=n) for n in missing[:room]),
                    ]
                )
            except discord.HTTPException as exc:
                log.warning("could not add tags to forum %s: %s", forum.id, exc)
            else:
                if isinstance(edited, discord.ForumChannel):
                    have = {t.name.lower(): t for t in edited.available_tags}
        return [have[n.lower()] for n in wanted if n.lower() in have][:MAX_APPLIED_TAGS]

    async def forum(self, channel_id: int) -> discord.ForumChannel | None:
        """The forum, from the cache or else from Discord: the outbox may send before the
        gateway has delivered the servers, or for a server on another process's shards."""
        channel = self._client.get_channel(channel_id)
        if channel is None:
            with delivery_failures(refused=FORUM_REFUSED, gone=FORUM_GONE):
                channel = await self._client.fetch_channel(channel_id)
        return channel if isinstance(channel, discord.ForumChannel) else None
