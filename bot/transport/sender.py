"""The outbox's transport: posts cards and digests to Discord and maps its refusals."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Literal

import discord

from bot.core.delivery.outbox import ForumPost
from bot.core.errors import DeliveryFailed
from bot.core.models import Paper
from bot.transport.forums import ForumPoster
from bot.transport.refusals import delivery_failures
from bot.ui import cards
from bot.ui.views import SaveFactory, VoteControls

log = logging.getLogger(__name__)

THREAD_ARCHIVE_MINUTES: Literal[1440] = 1440  # a thread archives itself after a day of quiet
CHANNEL_REFUSED = (
    "Discord refused to let the bot post here (403: {text}). Give it View Channel, Send "
    "Messages and Embed Links, then /topic resume."
)
CHANNEL_GONE = "The channel no longer exists (404: {text})."
LINE_REFUSED = "Discord refused to let the bot post here (403: {text})."
CANNOT_MESSAGE_USER = 50007  # DMs closed to the bot, or no server shared with it
DM_REFUSED = (
    "Discord refused to deliver paperbot's DMs to you (50007): your DMs are closed to it, or "
    "you share no server with it"
)


class DiscordTransport:
    """Sends through discord.py's HTTP client: a DM or a text channel needs no more than REST
    (and the nonce); a forum post goes through `ForumPoster`."""

    def __init__(
        self,
        client: discord.Client,
        save: SaveFactory | None = None,
        votes: VoteControls | None = None,
    ) -> None:
        self._client = client
        self._save = save
        self._votes = votes
        self._forums = ForumPoster(client)

    async def send_card(
        self,
        channel_id: int,
        paper: Paper,
        topics: Sequence[str],
        *,
        nonce: str,
        mentions: Sequence[int] = (),
        forum: ForumPost | None = None,
    ) -> int:
        view = discord.ui.View(timeout=None)
        if self._save is not None:
            view.add_item(self._save(paper.id, "Save"))
        if self._votes is not None:
            for button in self._votes.buttons(paper.id):
                view.add_item(button)
        view = cards.paper_links(paper, view)
        return await self._send(
            channel_id,
            embeds=[cards.paper_embed(paper, topics)],
            view=view,
            nonce=nonce,
            mentions=mentions,
            title=paper.title,
            tags=topics,
            forum=forum,
        )

    async def send_bundle(
        self,
        channel_id: int,
        entries: Sequence[tuple[Paper, Sequence[str]]],
        *,
        nonce: str,
        mentions: Sequence[int] = (),
    ) -> int:
        return await self._send(
            channel_id,
            embeds=cards.bundle_embeds(entries),
            view=self._several([paper for paper, _topics in entries]),
            nonce=nonce,
            mentions=mentions,
            title=f"{len(entries)} new papers",
            tags=sorted({t for _paper, topics in entries for t in topics}),
        )

    async def send_digest(
        self,
        channel_id: int,
        papers: Sequence[Paper],
        more: int,
        topics: Sequence[str],
        *,
        nonce: str,
        mentions: Sequence[int] = (),
        forum: ForumPost | None = None,
    ) -> int:
        return await self._send(
            channel_id,
            embeds=[cards.digest_embed(papers, more, topics)],
            view=self._several(papers[:10]),
            nonce=nonce,
            mentions=mentions,
            title=f"Paper digest: {len(papers) + max(more, 0)} new papers",
            tags=topics,
            forum=forum,
        )

    def _several(self, papers: Sequence[Paper]) -> discord.ui.View | None:
        """A message of several papers: Save 1..n, and one select to 👍 / 👎 each."""
        if not papers or (self._save is None and self._votes is None):
            return None
        view = discord.ui.View(timeout=None)
        if self._save is not None:
            for n, paper in enumerate(papers, start=1):
                view.add_item(self._save(paper.id, f"Save {n}"))
        if self._votes is not None:
            view.add_item(self._votes.rating([(p.id, p.title) for p in papers]))
        return view

    async def open_thread(self, channel_id: int, message_id: int, name: str) -> None:
        """A public thread on a posted card, archived after a day of quiet."""
        try:
            # The REST call itself: the card is known by id only (no cached guild message).
            await self._client.http.start_thread_with_message(
                channel_id, message_id, name=name, auto_archive_duration=THREAD_ARCHIVE_MINUTES
            )
        except discord.Forbidden as exc:
            raise DeliveryFailed(
                "forbidden",
                "Discord refused to open a thread on the post "
                f"(403: {exc.text or 'Missing Permissions'}); give paperbot Create Public "
                "Threads there",
            ) from exc
        except discord.HTTPException as exc:
            raise DeliveryFailed("retry", f"Discord answered {exc.status}: {exc.text}") from exc

    async def post_line(self, channel_id: int, text: str) -> None:
        """One plain line (the admin log), mentioning no one; `DeliveryFailed` when refused."""
        channel = self._client.get_partial_messageable(channel_id)
        with delivery_failures(refused=LINE_REFUSED, gone=CHANNEL_GONE):
            await channel.send(text, allowed_mentions=discord.AllowedMentions.none())

    async def _send(
        self,
        channel_id: int,
        *,
        embeds: list[discord.Embed],
        view: discord.ui.View | None = None,
        nonce: str,
        mentions: Sequence[int] = (),
        title: str = "",
        tags: Sequence[str] = (),
        forum: ForumPost | None = None,
    ) -> int:
        channel = self._client.get_partial_messageable(channel_id)
        # Pings exactly the topics' roles, if any; never anyone else.
        content = " ".join(f"<@&{role}>" for role in mentions) or None
        allowed = discord.AllowedMentions.none()
        if mentions:
            allowed.roles = [discord.Object(id=role) for role in mentions]
        found = await self._forums.forum(channel_id) if forum is not None else None
        if forum is not None and found is not None:
            return await self._forums.post(
                found, title, tags, content, embeds, view, allowed, forum.posted_since
            )
        # discord.py sends a nonce with enforce_nonce: Discord drops a second message with it.
        try:
            with delivery_failures(
                refused=CHANNEL_REFUSED, gone=CHANNEL_GONE, codes={CANNOT_MESSAGE_USER: DM_REFUSED}
            ):
                if view is None:
                    message = await channel.send(
                        content, embeds=embeds, allowed_mentions=allowed, nonce=nonce
                    )
                else:
                    message = await channel.send(
                        content, embeds=embeds, view=view, allowed_mentions=allowed, nonce=nonce
                    )
        finally:
            if view is not None:
                # Buttons are handled by dynamic items; don't keep a view per message in memory.
                view.stop()
        message_id: int = message.id
        return message_id
