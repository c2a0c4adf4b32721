"""What the /topic replies say of how many papers matched: 1 match, 0 or 2 matches."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.matching.query import parse
from bot.core.models import Paper, Topic
from bot.core.topics import AddedTopic, Hit, TopicTest
from bot.ui.topics import topic_added, topic_test

T0 = datetime(2026, 11, 2, tzinfo=UTC)
TOPIC = Topic(
    id=3,
    guild_id=1,
    channel_id=10,
    query="diffusion",
    canonical="diffusion",
    min_upvotes=0,
    digest_hour=None,
    created_by=7,
    created_at=T0,
)
PAPER = Paper(id="2611.00001", title="Video diffusion")


@pytest.mark.parametrize(
    ("found", "total", "said"),
    [
        (0, 40, "0 matches among 40 stored papers."),
        (1, 40, "1 match among 40 stored papers."),
        (2, 40, "2 matches among 40 stored papers."),
        (1, 1, "1 match among 1 stored paper."),
    ],
)
def test_topic_add_counts_its_matches_in_the_singular_or_plural(
    found: int, total: int, said: str
) -> None:
    added = AddedTopic(TOPIC, parse("diffusion"), found, 0, recent_total=total)
    fields = {f["name"]: f["value"] for f in topic_added(added).to_dict()["fields"]}
    assert fields["Last 7 days"] == said


@pytest.mark.parametrize(
    ("backfilled", "said"),
    [
        (1, "Posting the newest matching paper now; new ones will follow."),
        (3, "Posting the 3 newest matching papers now; new ones will follow."),
    ],
)
def test_topic_add_counts_the_papers_it_posts_now(backfilled: int, said: str) -> None:
    added = AddedTopic(TOPIC, parse("diffusion"), 3, backfilled, recent_total=40)
    assert topic_added(added).to_dict()["footer"]["text"] == said


@pytest.mark.parametrize(
    ("found", "total", "heading"),
    [
        (0, 2, "0 matches among 2 recent papers (7 days)"),
        (1, 2, "1 match among 2 recent papers (7 days)"),
        (2, 2, "2 matches among 2 recent papers (7 days)"),
        (1, 1, "1 match among 1 recent paper (7 days)"),
    ],
)
def test_topic_test_counts_its_matches_in_the_singular_or_plural(
    found: int, total: int, heading: str
) -> None:
    hits = tuple(Hit(PAPER, ("`diffusion` in the title",)) for _ in range(found))
    result = TopicTest(parse("diffusion"), hits, (), total)
    names = [f["name"] for f in topic_test(result).to_dict()["fields"]]
    assert heading in names, names
