"""The gateway: HELLO, heartbeats, IDENTIFY and RESUME, READY and the guilds, dispatched events,
reconnects; and `GET /gateway/bot`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

from aiohttp import WSMsgType, web

from tests.support.fake_discord.wire import (
    Recorded,
    _json,
    snowflake,
)


class Gateway:
    """A part of `FakeDiscord` (its state lives in `FakeDiscord.__init__`)."""

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        if not self._sockets:
            raise RuntimeError("the bot is not connected to the fake gateway")
        self._seq += 1
        frame = {"op": 0, "t": event, "s": self._seq, "d": data}
        guild = data.get("guild_id") or (data.get("id") if event.startswith("GUILD_") else None)
        for ws in list(self._sockets):
            shard, count = self._shard_of.get(ws, (0, 1))
            if self.shard_for(guild, count) != shard:
                continue  # another session's shard
            with contextlib.suppress(ConnectionResetError):
                await ws.send_str(json.dumps(frame))

    async def ask_to_reconnect(self) -> None:
        """op 7 RECONNECT to every session: the bot comes back and resumes or identifies."""
        for ws in list(self._sockets):
            with contextlib.suppress(ConnectionResetError):
                await ws.send_str(json.dumps({"op": 7, "d": None}))

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}}))
        self._sockets.append(ws)
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                op = frame.get("op")
                if op == 1:
                    await ws.send_str(json.dumps({"op": 11}))
                elif op == 2:
                    await self._identify(ws, frame["d"])
                elif op == 6:
                    # No session resumption here: ask for a fresh IDENTIFY.
                    await ws.send_str(json.dumps({"op": 9, "d": False}))
        finally:
            if ws in self._sockets:
                self._sockets.remove(ws)
            self._shard_of.pop(ws, None)
        return ws

    async def _identify(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        if data.get("token", "").removeprefix("Bot ") not in self.valid_tokens:
            await ws.close(code=4004, message=b"Authentication failed.")
            return
        self.identifies += 1
        shard, count = data.get("shard") or (0, 1)
        self._shard_of[ws] = (shard, count)
        self.identify_log.append((time.monotonic(), shard, count))
        mine = [g for g in self.guilds() if self.shard_for(g, count) == shard]
        ready = {
            "v": 10,
            "user": {**self.bot_user, "verified": True, "mfa_enabled": False},
            "guilds": [{"id": g, "unavailable": True} for g in mine],
            "session_id": f"session-{snowflake()}",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": self.app_id, "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
        }
        if data.get("shard"):
            ready["shard"] = [shard, count]
        events = [("READY", ready), *(("GUILD_CREATE", self._guild_payload(g)) for g in mine)]
        for event, payload in events:
            if event == "GUILD_CREATE" and self.guilds_delay:
                await asyncio.sleep(self.guilds_delay)  # Discord sends servers as they load
            self._seq += 1
            await ws.send_str(json.dumps({"op": 0, "t": event, "s": self._seq, "d": payload}))
        self.ready_sent += 1
        await self._notify()

    async def _gateway_bot(self, rec: Recorded) -> web.Response:
        return _json(
            {
                "url": self.gateway_url,
                "shards": self.recommended_shards,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 1000 - self.identifies,
                    "reset_after": 86_400_000,
                    "max_concurrency": self.max_concurrency,
                },
            }
        )
