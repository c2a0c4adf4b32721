"""The discord.py client: the bot, its command tree, its one error path, and why it stops.

`PaperBot.serve` logs in, starts the background work once Discord has accepted the token, and
stays connected until Discord disconnects for good or it is told to stop; each reason to stop
(a rejected or revoked token, an unreachable gateway, a refused intent) is one line and an
exit code (`bot/exits.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot.core.errors import UserError
from bot.exits import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, fail

log = logging.getLogger(__name__)

COMMANDS_HASH_KEY = "commands_hash"
TOKEN_INVALID_CLOSE = 4004  # the gateway's "authentication failed"
GATEWAY_CHECK_SECONDS = 10.0
TOKEN_REJECTED = (
    "Discord rejected DISCORD_TOKEN. Copy the token again from the Developer Portal "
    "(Bot > Reset Token) into .env; see README.md, section 'Create the Discord application'."
)
APOLOGY = (
    "Sorry, something went wrong on our side. The bot's admin can find the details in its log."
)


class MetaStore(Protocol):
    """What the bot needs from the store: a place to keep the synced commands' hash."""

    async def get_meta(self, key: str) -> str | None: ...

    async def set_meta(self, key: str, value: str) -> None: ...


class PaperTree(app_commands.CommandTree[Any]):
    """Commands' errors take the one error path (`report_error`)."""

    async def on_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        command = interaction.command.qualified_name if interaction.command else "?"
        await report_error(interaction, original, f"command /{command}")


async def report_error(
    interaction: discord.Interaction[Any], error: BaseException, what: str
) -> None:
    """The one error path, for commands and buttons alike: a mistake of the user's (or a state
    they can act on) becomes a private message to them; anything else is logged once, with
    who, where and what, and they get a private apology."""
    message = user_message(error)
    if message is None:
        log.error(
            "%s failed (user %s, guild %s, channel %s)",
            what,
            interaction.user.id,
            interaction.guild_id,
            interaction.channel_id,
            exc_info=error,
        )
        message = APOLOGY
    await reply_ephemeral(interaction, message)


def user_message(error: BaseException) -> str | None:
    """The message a user sees for an error, or None when it is a bug to log."""
    if isinstance(error, UserError):
        return str(error)
    if isinstance(error, app_commands.MissingPermissions):
        needed = ", ".join(p.replace("_", " ").title() for p in error.missing_permissions)
        return f"You need the {needed} permission to do that in this channel."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command works only in a server, not in direct messages."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down: try again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use this command here."
    if isinstance(error, app_commands.TransformerError):
        return f"`{error.value}` is not a valid value for that option."
    return None


async def reply_ephemeral(interaction: discord.Interaction[Any], message: str) -> None:
    try:
        if interaction.response.is_done():
            await interaction.followup.send(
                message, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )
        else:
            await interaction.response.send_message(
                message, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )
    except discord.HTTPException:
        log.warning("could not tell the user about an error", exc_info=True)


BeforeIdentify = Callable[[int, int], Awaitable[None]]


class PaperBot(commands.AutoShardedBot):
    """The bot. Cogs and persistent items arrive ready-made from the composition root.

    Sharded always: without `shard_ids` it runs every shard Discord recommends (one, below
    2,500 servers); with them, this process's range of a fleet, each IDENTIFY waiting its
    turn across the fleet (`before_identify`).
    """

    def __init__(
        self,
        *,
        meta: MetaStore,
        dev_guild: int | None = None,
        shard_ids: list[int] | None = None,
        shard_count: int | None = None,
        before_identify: BeforeIdentify | None = None,
        http_trace: aiohttp.TraceConfig | None = None,
    ) -> None:
        # paperbot never joins voice: don't warn that voice libraries are missing.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        intents = discord.Intents.none()
        intents.guilds = True  # channels and permissions; no privileged intent is needed
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=intents,
            tree_cls=PaperTree,
            allowed_mentions=discord.AllowedMentions.none(),
            shard_count=shard_count,
            http_trace=http_trace or aiohttp.TraceConfig(),
        )
        self.shard_ids = shard_ids  # None: every shard (what discord.py reads at launch)
        self._before_identify = before_identify
        self._max_concurrency: int | None = None
        self._meta = meta
        self._initial_cogs: list[commands.Cog] = []
        self._dynamic_items: list[type[discord.ui.DynamicItem[Any]]] = []
        self._dev_guild = dev_guild

    def install(
        self,
        cogs: Sequence[commands.Cog],
        dynamic_items: Sequence[type[discord.ui.DynamicItem[Any]]] = (),
    ) -> None:
        """The commands and the buttons that survive restarts, added at `setup_hook`: the
        client is built first, the services over it, and its commands over the services."""
        self._initial_cogs = list(cogs)
        self._dynamic_items = list(dynamic_items)

    async def serve(
        self,
        token: str,
        stop: asyncio.Event,
        *,
        api: str,
        gateway: str,
        on_login: Callable[[], None],
    ) -> int:
        """Log in, call `on_login` (the background work starts only once Discord has accepted
        the token), and stay connected until Discord disconnects for good or `stop` is set.
        Returns the exit code; each reason to stop is said once, on stderr."""
        async with self:
            try:
                await self.login(token)
            except discord.LoginFailure:
                return fail(TOKEN_REJECTED, EXIT_USAGE)
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                return fail(
                    f"cannot reach Discord at {api}: {_reason(exc)}; check the network",
                    EXIT_FAILURE,
                )
            except discord.HTTPException as exc:
                return fail(
                    f"Discord answered {exc.status} at start: {exc.text}; try again later", 1
                )
            # Once connected, discord.py rides out outages by itself; at start, an unreachable
            # gateway is said once instead of retried forever.
            problem = await _gateway_problem(gateway)
            if problem is not None:
                return fail(f"cannot reach Discord's gateway at {gateway}: {problem}", EXIT_FAILURE)
            on_login()
            runner = asyncio.create_task(self.connect(), name="discord")
            stopper = asyncio.create_task(stop.wait(), name="stop")
            done, _pending = await asyncio.wait(
                {runner, stopper}, return_when=asyncio.FIRST_COMPLETED
            )
            stopper.cancel()
            if runner in done:
                return _disconnected(runner.exception())
            log.info("shutting down")
            await self.close()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await runner
            return EXIT_OK

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Discord allows `max_concurrency` IDENTIFYs per 5 s for the whole bot, whichever
        process sends them: wait for this shard's slot, shared through the database."""
        if self._before_identify is None:
            await super().before_identify_hook(shard_id, initial=initial)
            return
        if self._max_concurrency is None:
            try:
                self._max_concurrency = (await self.fetch_session_start_limits()).max_concurrency
            except discord.HTTPException:
                self._max_concurrency = 1  # the safe assumption
        await self._before_identify(shard_id or 0, self._max_concurrency)

    async def setup_hook(self) -> None:
        for cog in self._initial_cogs:
            await self.add_cog(cog)
        if self._dynamic_items:
            self.add_dynamic_items(*self._dynamic_items)
        try:
            await self.sync_commands()
        except discord.HTTPException as exc:
            # The bot still works with the commands Discord already has; the next start retries.
            log.error(
                "could not sync slash commands (%s %s); will retry at the next start",
                exc.status,
                exc.text,
            )

    def commands_hash(self) -> str:
        """A hash of the command set as Discord would receive it, for this application."""
        payload = {
            "application": self.application_id,
            "commands": [c.to_dict(self.tree) for c in self.tree.get_commands()],
        }
        encoded = json.dumps(payload, sort_keys=True, default=str).encode()
        return hashlib.sha256(encoded).hexdigest()

    async def sync_commands(self) -> bool:
        """Sync slash commands when they changed (or always, to the development guild)."""
        if self._dev_guild is not None:
            guild = discord.Object(id=self._dev_guild)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to development guild %s", len(synced), self._dev_guild)
            return True
        digest = self.commands_hash()
        if await self._meta.get_meta(COMMANDS_HASH_KEY) == digest:
            log.info("slash commands unchanged since the last sync; not syncing")
            return False
        synced = await self.tree.sync()
        await self._meta.set_meta(COMMANDS_HASH_KEY, digest)
        log.info("synced %d global slash commands", len(synced))
        return True

    async def on_ready(self) -> None:
        user = self.user
        log.info("connected as %s (id %s) to %d servers", user, user and user.id, len(self.guilds))


def _disconnected(error: BaseException | None) -> int:
    """The exit code (and line) for a connection that ended by itself."""
    if isinstance(error, discord.ConnectionClosed) and error.code == TOKEN_INVALID_CLOSE:
        # The token was revoked (or reset) while the bot ran.
        return fail(TOKEN_REJECTED, EXIT_USAGE)
    if isinstance(error, discord.PrivilegedIntentsRequired):
        return fail(
            "Discord refused an intent paperbot did not ask for; reset the bot's "
            "intents in the Developer Portal (none are needed)",
            EXIT_USAGE,
        )
    if error is not None:
        return fail(f"the Discord connection failed: {_reason(error)}", EXIT_FAILURE)
    return EXIT_OK


async def _gateway_problem(url: str) -> str | None:
    """Why the gateway cannot be reached (opened and closed again, nothing sent), or None."""
    try:
        async with (
            asyncio.timeout(GATEWAY_CHECK_SECONDS),
            aiohttp.ClientSession() as session,
            session.ws_connect(url, timeout=aiohttp.ClientWSTimeout(ws_close=2)) as ws,
        ):
            await ws.close()
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        return _reason(exc)
    return None


def _reason(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text.splitlines()[0][:200]
