"""The outbox's transport: posts cards and digests to Discord and maps its refusals."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import aiohttp
import discord

from bot import render
from bot.core.models import Paper
from bot.core.outbox import DeliveryFailed

ViewFactory = Callable[[Paper], discord.ui.View]


class DiscordTransport:
    """Sends through discord.py's HTTP client; needs no gateway cache, only a logged-in bot."""

    def __init__(self, client: discord.Client, views: ViewFactory = render.paper_links) -> None:
        self._client = client
        self._views = views

    async def send_card(self, channel_id: int, paper: Paper, topics: Sequence[str]) -> int:
        view = self._views(paper)
        return await self._send(channel_id, embed=render.paper_embed(paper, topics), view=view)

    async def send_digest(
        self, channel_id: int, papers: Sequence[Paper], more: int, topics: Sequence[str]
    ) -> int:
        return await self._send(channel_id, embed=render.digest_embed(papers, more, topics))

    async def _send(
        self, channel_id: int, *, embed: discord.Embed, view: discord.ui.View | None = None
    ) -> int:
        channel = self._client.get_partial_messageable(channel_id)
        try:
            if view is None:
                message = await channel.send(
                    embed=embed, allowed_mentions=discord.AllowedMentions.none()
                )
            else:
                message = await channel.send(
                    embed=embed, view=view, allowed_mentions=discord.AllowedMentions.none()
                )
        except discord.Forbidden as exc:
            raise DeliveryFailed(
                "forbidden",
                f"Discord refused to let the bot post here (403: {exc.text or 'Missing Access'}). "
                "Give it View Channel, Send Messages and Embed Links, then /topic resume.",
            ) from exc
        except discord.NotFound as exc:
            raise DeliveryFailed(
                "gone", f"The channel no longer exists (404: {exc.text or 'Unknown Channel'})."
            ) from exc
        except discord.HTTPException as exc:
            raise DeliveryFailed("retry", f"Discord answered {exc.status}: {exc.text}") from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryFailed("retry", f"could not reach Discord: {exc!r}") from exc
        finally:
            if view is not None:
                # Buttons are handled by dynamic items; don't keep a view per message in memory.
                view.stop()
        message_id: int = message.id
        return message_id
