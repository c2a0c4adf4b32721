"""What Discord refuses before anything else: a wrong token, injected failures, held answers, and
the global and per-channel rate limits (time-scaled for fast tests)."""

from __future__ import annotations

import re
import time

from aiohttp import web

from tests.support.fake_discord.wire import (
    CHANNEL_LIMIT,
    CHANNEL_WINDOW,
    GLOBAL_LIMIT,
    GLOBAL_WINDOW,
    Recorded,
    _json,
    _Refusal,
)


class RateLimits:
    """A part of `FakeDiscord` (its state lives in `FakeDiscord.__init__`)."""

    def fail_next(
        self,
        path: str = r".*",
        *,
        status: int = 500,
        times: int = 1,
        retry_after: float = 0.05,
        after: bool = False,
    ) -> None:
        """Answer the next `times` requests whose path matches `path` with `status`; with
        `after`, only once the request has done its work (Discord took it, but the answer that
        came back was an error)."""
        self._failures.append((re.compile(path), status, times, retry_after, after))

    def hold_next(self, path: str) -> None:
        """Do the next request whose path matches `path`, then hold its answer until
        `release_held()`: Discord took it, and the bot has not heard so."""
        self._holds.append(re.compile(path))
        self._released.clear()

    def release_held(self) -> None:
        self._released.set()

    def _check_auth(self, request: web.Request, rec: Recorded) -> None:
        if rec.path.startswith(("/interactions/", "/webhooks/")):
            return  # interaction tokens are the credential there
        token = request.headers.get("Authorization", "").removeprefix("Bot ")
        if token not in self.valid_tokens:
            raise _Refusal(_json({"message": "401: Unauthorized", "code": 0}, 401))

    def _check_failures(self, rec: Recorded, *, after: bool = False) -> None:
        for index, (pattern, status, times, retry_after, late) in enumerate(self._failures):
            if times and late == after and pattern.search(rec.path):
                self._failures[index] = (pattern, status, times - 1, retry_after, late)
                if status == 429:
                    raise _Refusal(self._too_many(retry_after, is_global=False, scope="user"))
                raise _Refusal(_json({"message": "Internal Server Error", "code": 0}, status))

    def _scaled(self, seconds: float) -> float:
        return seconds * self.time_scale

    def _check_global_limit(self) -> None:
        if not self.ratelimits:
            return
        now = time.monotonic()
        start, count = self._global_window
        if now - start >= self._scaled(GLOBAL_WINDOW):
            start, count = now, 0
        if count >= GLOBAL_LIMIT:
            wait = self._scaled(GLOBAL_WINDOW) - (now - start)
            raise _Refusal(self._too_many(wait, is_global=True, scope="global"))
        self._global_window = (start, count + 1)

    def _channel_bucket(self, channel_id: str) -> dict[str, str]:
        """Take a token from the channel's 5-per-5-s message bucket; headers to send back."""
        window = self._scaled(CHANNEL_WINDOW)
        now = time.monotonic()
        start, count = self._channel_buckets.get(channel_id, (now, 0))
        if now - start >= window:
            start, count = now, 0
        if self.ratelimits and count >= CHANNEL_LIMIT:
            raise _Refusal(self._too_many(window - (now - start), is_global=False, scope="user"))
        count += 1
        self._channel_buckets[channel_id] = (start, count)
        reset_after = max(window - (now - start), 0.001)
        return {
            "X-RateLimit-Limit": str(CHANNEL_LIMIT),
            "X-RateLimit-Remaining": str(max(CHANNEL_LIMIT - count, 0)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": "fake-channel-messages",
        }

    @staticmethod
    def _too_many(retry_after: float, *, is_global: bool, scope: str) -> web.Response:
        retry_after = max(retry_after, 0.001)
        headers = {
            "Via": "1.1 google",
            "Retry-After": f"{retry_after:.3f}",
            "X-RateLimit-Scope": scope,
            "X-RateLimit-Limit": str(GLOBAL_LIMIT if is_global else CHANNEL_LIMIT),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset-After": f"{retry_after:.3f}",
            "X-RateLimit-Bucket": "fake-global" if is_global else "fake-channel-messages",
        }
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        body = {
            "message": "You are being rate limited.",
            "retry_after": retry_after,
            "global": is_global,
            "code": 0,
        }
        return _json(body, 429, headers)
