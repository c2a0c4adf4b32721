from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from bot.core.hf.source import _server_wait


def test_retry_after_seconds() -> None:
    assert _server_wait({"Retry-After": "12"}) == 12.0


def test_retry_after_http_date() -> None:
    when = datetime.now(UTC) + timedelta(seconds=30)
    wait = _server_wait({"retry-after": format_datetime(when, usegmt=True)})
    assert wait is not None
    assert 25 <= wait <= 31


def test_ratelimit_header_reset() -> None:
    assert _server_wait({"RateLimit": '"api";r=0;t=44'}) == 44.0
    assert _server_wait({"RateLimit-Reset": "9"}) == 9.0


def test_no_hint_means_none() -> None:
    assert _server_wait({"Content-Type": "application/json"}) is None
