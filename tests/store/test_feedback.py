"""What topics learn from, on a real database: votes (latest wins, net decides), removal,
reset, forgetting a person, and the planner's verdicts with feedback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.delivery.planner import Planner
from bot.core.matching.vocabulary import VocabularyCache
from bot.core.models import Paper, TopicOptions
from bot.core.store import Store
from bot.core.store.feedback import FeedbackStore
from bot.core.store.follows import forget_person
from bot.core.store.search import SearchStore
from bot.core.store.topics import TopicStore

T0 = datetime(2026, 11, 2, tzinfo=UTC)
UNWANTED = Paper(
    "2611.00801",
    "Diffusion for protein folding",
    "We fold proteins with a diffusion model over residue coordinates and side chains.",
)
LIKE_IT = Paper(
    "2611.00802",
    "Protein folding with diffusion",
    "A diffusion model folds proteins: it denoises residue coordinates and side chains.",
)
OTHER = Paper("2611.00803", "Diffusion for video", "We generate long videos with diffusion.")
TAUGHT = Paper(
    "2611.00811",
    "Draft models verify tokens faster",
    "A small draft model proposes tokens that a large verifier model accepts in parallel.",
)
LIKE_TAUGHT = Paper(
    "2611.00812",
    "Draft tokens, verified in parallel",
    "Tokens proposed by a small draft model are accepted by a large verifier in parallel.",
)
EXCLUDED = Paper(
    "2611.00813",
    "Draft tokens verified in parallel, for latency",
    "Tokens proposed by a small draft model are accepted by a large verifier in parallel; "
    "latency drops.",
)


async def topic(store: Store, query: str, channel: int = 10) -> int:
    added = await TopicStore(store).add_topic(
        guild_id=1,
        channel_id=channel,
        query=query,
        canonical=query,
        options=TopicOptions(),
        created_by=5,
        now=T0,
    )
    return added.id


async def test_latest_vote_wins_net_decides_and_everything_can_be_undone(store: Store) -> None:
    feedback = FeedbackStore(store)
    t = await topic(store, "diffusion")
    assert await feedback.vote([t], "2611.00801", 5, 1, "vote", T0) == {t: None}
    assert await feedback.vote([t], "2611.00801", 5, -1, "vote", T0) == {t: 1}
    assert await feedback.vote([t], "2611.00801", 6, -1, "vote", T0) == {t: None}
    assert [(v.paper_id, v.vote) for v in await feedback.votes()] == [("2611.00801", -1)]
    for user in (7, 8, 9):
        await feedback.vote([t], "2611.00801", user, 1, "vote", T0)
    assert [(v.paper_id, v.vote) for v in await feedback.votes()] == [("2611.00801", 1)]
    assert await feedback.counts([t]) == {t: 5}

    assert await feedback.remove(t, "2611.00801", user_id=8) == 1
    assert await feedback.votes() == [], "a net vote of 0 teaches nothing"
    held = await forget_person(store, 7)
    assert held.votes == 1
    assert [(v.paper_id, v.vote) for v in await feedback.votes()] == [("2611.00801", -1)]
    assert await feedback.reset(t) == 3
    assert await feedback.entries(t) == []

    await feedback.vote([t], "2611.00801", 5, -1, "vote", T0)
    await TopicStore(store).remove_topic(1, t)
    assert await feedback.counts([t]) == {}, "a topic's votes go with it"


async def test_the_planner_holds_back_like_papers_and_posts_taught_ones(store: Store) -> None:
    feedback = FeedbackStore(store)
    diffusion = await topic(store, "diffusion")
    elsewhere = await topic(store, "diffusion", channel=11)
    decoding = await topic(store, "speculative decoding -latency")
    await store.upsert_papers([UNWANTED, TAUGHT], T0)
    await feedback.vote([diffusion], UNWANTED.id, 5, -1, "vote", T0)
    await feedback.vote([decoding], TAUGHT.id, 5, 1, "teach", T0)
    planner = Planner(TopicStore(store), VocabularyCache(SearchStore(store)), feedback)

    later = T0 + timedelta(hours=1)
    fresh = [
        Paper(p.id, p.title, p.abstract, first_seen=later)
        for p in (UNWANTED, LIKE_IT, OTHER, LIKE_TAUGHT, EXCLUDED)
    ]
    plan = await planner.prepare(later)
    owed = {(d.channel_id, d.paper_id, d.topic_ids) for d in plan(fresh)}
    assert owed == {
        (10, OTHER.id, (diffusion,)),  # like nothing marked 👎
        (11, UNWANTED.id, (elsewhere,)),  # another channel learned nothing
        (11, LIKE_IT.id, (elsewhere,)),
        (11, OTHER.id, (elsewhere,)),
        (10, LIKE_TAUGHT.id, (decoding,)),  # no word of the query, like the taught paper
        # UNWANTED (marked 👎) and LIKE_IT (like it) are held back in channel 10; EXCLUDED,
        # like the taught paper too, says `latency`: an exclusion is never overturned.
    }

    await feedback.reset(diffusion)
    plan = await planner.prepare(later)
    owed_now = {(d.channel_id, d.paper_id) for d in plan(fresh)}
    assert {(10, UNWANTED.id), (10, LIKE_IT.id)} <= owed_now, "reset: the rules alone again"
