"""Which papers are new to a topic: after its creation, and not while it was paused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.models import Topic

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)


def topic(**changes: object) -> Topic:
    base = Topic(1, 0, 7, "q", "q", 0, None, 3, T0)
    return Topic(**{**{f: getattr(base, f) for f in base.__slots__}, **changes})  # type: ignore[arg-type]


def test_papers_seen_after_creation_are_new_and_earlier_ones_are_not() -> None:
    fresh = topic()
    assert not fresh.owes(T0 - timedelta(days=1))
    assert not fresh.owes(T0)
    assert fresh.owes(T0 + timedelta(seconds=1))


def test_a_resumed_topic_skips_only_the_papers_first_seen_while_it_was_paused() -> None:
    paused, resumed = T0 + timedelta(days=1), T0 + timedelta(days=3)
    back = topic(paused_from=paused, since=resumed)
    assert back.owes(T0 + timedelta(hours=12)), "seen before the pause: still owed (upvotes)"
    assert not back.owes(paused + timedelta(hours=1))
    assert not back.owes(resumed)
    assert back.owes(resumed + timedelta(seconds=1))


def test_a_changed_query_owes_only_papers_seen_after_the_change() -> None:
    changed = topic(new_from=T0 + timedelta(days=2))
    assert not changed.owes(T0 + timedelta(days=1))
    assert changed.owes(T0 + timedelta(days=2, seconds=1))
    both = topic(
        new_from=T0 + timedelta(days=2),
        paused_from=T0 + timedelta(days=4),
        since=T0 + timedelta(days=5),
    )
    assert not both.owes(T0 + timedelta(days=1)), "a later pause does not undo the change"
    assert both.owes(T0 + timedelta(days=3))
    assert not both.owes(T0 + timedelta(days=4, hours=1))
