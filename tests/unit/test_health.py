"""The store's health: one report per change of state, to the log and its listeners."""

from __future__ import annotations

from bot.core.store.health import StoreHealth


def test_listeners_hear_each_change_of_state_once() -> None:
    health = StoreHealth()
    heard: list[str | None] = []
    health.listeners.append(heard.append)
    health.ok()
    health.failed("disk full")
    health.failed("disk full")
    health.ok()
    health.ok()
    assert heard == ["disk full", None]


def test_a_failing_listener_does_not_stop_the_others() -> None:
    health = StoreHealth()
    heard: list[str | None] = []

    def broken(_problem: str | None) -> None:
        raise RuntimeError("boom")

    health.listeners += [broken, heard.append]
    health.failed("read-only")
    assert heard == ["read-only"]
    assert health.problem == "read-only"
