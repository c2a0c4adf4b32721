"""Word statistics frozen once the store has enough papers: a verdict that does not drift."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.matching.judge import doc_of, matches
from bot.core.matching.query import parse
from bot.core.matching.vocabulary import MIN_CORPUS, VocabularyCache
from bot.core.models import Paper
from bot.core.store import Store
from bot.core.store.search import SearchStore

T0 = datetime(2026, 11, 2, tzinfo=UTC)
# `diffusion` said twice in the abstract, never in the title: enough for an uncommon word,
# not for one that 10% of the store's papers use (the common-word rule).
ASKED = Paper("2611.09999", "A sampler", "Diffusion helps. We sample with diffusion quickly.")


def papers(first: int, count: int, *, diffusion_every: int | None) -> list[Paper]:
    found = []
    for n in range(first, first + count):
        word = "diffusion" if diffusion_every and n % diffusion_every == 0 else "graphs"
        found.append(Paper(f"2611.{n:05d}", f"Paper {n} on {word}", f"We study {word}."))
    return found


async def test_statistics_freeze_at_enough_papers_and_verdicts_stop_drifting(
    store: Store,
) -> None:
    search = SearchStore(store)
    moments = iter(T0 + timedelta(hours=h) for h in range(100))
    cache = VocabularyCache(search, refresh=0.0, clock=lambda: next(moments))
    tree = parse("diffusion").tree

    await store.upsert_papers(papers(0, MIN_CORPUS - 1, diffusion_every=5), T0)
    live = await cache.current()
    assert live.frozen_at is None
    assert live.share("diffus") == 0.0, "too few papers to count"
    assert matches(tree, doc_of(ASKED, vocabulary=live))

    await store.upsert_papers(papers(MIN_CORPUS - 1, 1, diffusion_every=5), T0)
    frozen = await cache.current()
    assert frozen.frozen_at is not None
    assert frozen.share("diffus") >= 0.1
    assert not matches(tree, doc_of(ASKED, vocabulary=frozen)), "common now: needs 3 mentions"

    # Many more papers that never say it: live, `diffusion` would no longer be common.
    await store.upsert_papers(papers(1000, 2000, diffusion_every=None), T0)
    again = await VocabularyCache(search, refresh=0.0).current()  # another process, too
    assert again.share("diffus") == frozen.share("diffus")
    assert again.frozen_at == frozen.frozen_at
    assert not matches(tree, doc_of(ASKED, vocabulary=again)), "the same verdict, whenever"

    # A paper judged before the freeze is explained as it was judged then.
    before = await cache.judged_at(frozen.frozen_at - timedelta(seconds=1))
    assert before.share("diffus") == 0.0
    assert matches(tree, doc_of(ASKED, vocabulary=before))
