"""Discord's refusals, as the outbox understands them (`DeliveryFailed`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import aiohttp
import discord

from bot.core.errors import DeliveryFailed


@contextmanager
def delivery_failures(
    *, refused: str, gone: str, codes: Mapping[int, str] | None = None
) -> Iterator[None]:
    """Map what Discord (or the network) raises inside to `DeliveryFailed`: a 403 is
    "forbidden" (`refused`, or the reason `codes` gives for its JSON error code), a 404 "gone",
    anything else worth a retry. `refused` and `gone` hold `{text}`, Discord's own words."""
    try:
        yield
    except discord.Forbidden as exc:
        if codes and exc.code in codes:
            raise DeliveryFailed("forbidden", codes[exc.code], exc.status) from exc
        text = exc.text or "Missing Access"
        raise DeliveryFailed("forbidden", refused.format(text=text), exc.status) from exc
    except discord.NotFound as exc:
        raise DeliveryFailed(
            "gone", gone.format(text=exc.text or "Unknown Channel"), exc.status
        ) from exc
    except discord.HTTPException as exc:
        raise DeliveryFailed(
            "retry", f"Discord answered {exc.status}: {exc.text}", exc.status
        ) from exc
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise DeliveryFailed("retry", f"could not reach Discord: {exc!r}") from exc
