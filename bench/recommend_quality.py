"""How well /foryou ranks papers for a reader, from the labeled topic set.

Simulated readers: for each topic of `tests/data/topic_labels.json` (judged by reading, as
`tests/data/LABELING.md` says; topics with the same papers counted once) and each k in
3, 5, 10, a reader who saved k of the topic's `must` papers, drawn at random (DRAWS draws);
the topic's other `must` papers are what they would want. The pool is every other paper of
the same half of the set (its `optional` papers left out: they count neither way); each
method ranks it, and the bench reports precision@5, nDCG@10 and recall@20, averaged over
topics and draws. The development half is the one paperbot's ranker was tuned on; the
held-out half was never looked at while tuning.

Methods, in the same run:
- paperbot (`bot.core.recommend`): tf-idf of word families, word pairs and AI keywords; the
  cosine with a Rocchio profile (the saved papers' mean less the mean paper, 200 terms);
- arxiv-sanity (karpathy/arxiv-sanity-lite, its published settings): scikit-learn's
  TfidfVectorizer over title + abstract + authors (word 1-2-grams, English stop words,
  sublinear tf, min_df 5, max_df 0.5, 10,000 features), one LinearSVC per reader (C = 0.01,
  balanced classes) with the saved papers as positives and every other paper as negatives,
  ranked by its decision function;
- most upvoted first, and newest first (what Hugging Face's own digest does).

Target: paperbot at least arxiv-sanity's figures, and at least twice most-upvoted's nDCG@10.
Then the time to rank 1,000 new papers for 1,000 readers (10 saved papers each) for paperbot
and arxiv-sanity, and the install size each needs beyond paperbot's own dependencies.

    .venv/bin/python -m bench.recommend_quality   (`make bench` installs scikit-learn for it)
"""

from __future__ import annotations

import importlib.metadata
import math
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import bench
from bot.core.models import Paper
from bot.core.recommend import Corpus, recommend
from tests.support.labeled import load

KS = (3, 5, 10)
DRAWS = 10
Ranker = Callable[[Sequence[Paper], Sequence[Paper], Sequence[Paper]], list[str]]


def paperbot(saved: Sequence[Paper], pool: Sequence[Paper], _all: Sequence[Paper]) -> list[str]:
    return [r.paper.id for r in recommend(saved, pool)]


def most_upvoted(
    _saved: Sequence[Paper], pool: Sequence[Paper], _all: Sequence[Paper]
) -> list[str]:
    return [p.id for p in sorted(pool, key=lambda p: (-p.upvotes, p.id))]


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def newest(_saved: Sequence[Paper], pool: Sequence[Paper], _all: Sequence[Paper]) -> list[str]:
    def when(p: Paper) -> datetime:
        return p.published_at or p.submitted_at or EPOCH

    return [p.id for p in sorted(pool, key=lambda p: (when(p), p.id), reverse=True)]


def vectorizer(*, min_df: int) -> Any:
    """arxiv-sanity-lite's compute.py tf-idf features (its settings; `min_df` scaled to the
    corpus at hand)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        input="content",
        encoding="utf-8",
        decode_error="replace",
        strip_accents="unicode",
        lowercase=True,
        analyzer="word",
        stop_words="english",
        token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b",
        ngram_range=(1, 2),
        max_features=10000,
        norm="l2",
        use_idf=True,
        smooth_idf=True,
        sublinear_tf=True,
        max_df=0.5,
        min_df=min_df,
    )


class ArxivSanity:
    """arxiv-sanity-lite's compute.py features and serve.py's per-tag SVM."""

    def __init__(self) -> None:
        self._vectorizer = lambda: vectorizer(min_df=5)
        self._fitted: tuple[tuple[str, ...], object, dict[str, int]] | None = None

    def features(self, papers: Sequence[Paper]) -> tuple[object, dict[str, int]]:
        key = tuple(p.id for p in papers)
        if self._fitted is None or self._fitted[0] != key:
            vectorizer = self._vectorizer()
            text = [" ".join([p.title, p.abstract, " ".join(p.authors)]) for p in papers]
            x = vectorizer.fit_transform(text)
            self._fitted = (key, x, {p.id: i for i, p in enumerate(papers)})
        return self._fitted[1], self._fitted[2]

    def __call__(
        self, saved: Sequence[Paper], pool: Sequence[Paper], everything: Sequence[Paper]
    ) -> list[str]:
        from sklearn import svm

        x, row = self.features(everything)
        liked = {p.id for p in saved}
        y = [1 if p.id in liked else 0 for p in everything]
        clf = svm.LinearSVC(class_weight="balanced", max_iter=10000, tol=1e-6, C=0.01)
        clf.fit(x, y)
        scores = clf.decision_function(x)
        ranked = sorted(pool, key=lambda p: (-float(scores[row[p.id]]), p.id))
        return [p.id for p in ranked]


def metrics(ranked: list[str], wanted: set[str]) -> tuple[float, float, float]:
    p5 = sum(1 for i in ranked[:5] if i in wanted) / 5
    dcg = sum(1 / math.log2(n + 2) for n, i in enumerate(ranked[:10]) if i in wanted)
    ideal = sum(1 / math.log2(n + 2) for n in range(min(len(wanted), 10)))
    r20 = sum(1 for i in ranked[:20] if i in wanted) / len(wanted)
    return p5, dcg / ideal, r20


def evaluate(half: str, rankers: dict[str, Ranker]) -> dict[tuple[str, int], tuple[float, ...]]:
    labeled = load()
    papers = labeled.sets[half]
    ids = {p.id for p in papers}
    seen: set[frozenset[str]] = set()
    topics = []
    for topic in labeled.topics:
        must = topic.must & ids
        if must and frozenset(must) not in seen:
            seen.add(frozenset(must))
            topics.append((topic, must))
    results: dict[tuple[str, int], tuple[float, ...]] = {}
    for k in KS:
        usable = [(t, m) for t, m in topics if len(m) >= k + 2]
        scores: dict[str, list[tuple[float, float, float]]] = {name: [] for name in rankers}
        for topic, must in usable:
            for draw in range(DRAWS):
                rng = random.Random(f"{topic.query}/{k}/{draw}")
                saved_ids = set(rng.sample(sorted(must), k))
                saved = [p for p in papers if p.id in saved_ids]
                pool = [p for p in papers if p.id not in saved_ids and p.id not in topic.optional]
                wanted = must - saved_ids
                for name, ranker in rankers.items():
                    scores[name].append(metrics(ranker(saved, pool, papers), wanted))
        for name, rows in scores.items():
            mean = tuple(statistics.fmean(column) for column in zip(*rows, strict=True))
            results[(name, k)] = (*mean, float(len(usable)))
    return results


def timing(rankers: dict[str, Ranker]) -> dict[str, float]:
    """Seconds to rank 1,000 new papers for 1,000 readers who saved 10 papers each."""
    base = load().papers
    rng = random.Random(7)
    # New papers with real vocabularies: the labeled set's papers again, under new ids.
    new = [replace(base[n % len(base)], id=f"new.{n:05d}", upvotes=n % 50) for n in range(1000)]
    readers = [rng.sample(base, 10) for _ in range(1000)]
    everything = [*new, *base]
    found = {}
    for name, ranker in rankers.items():
        started = time.perf_counter()
        if name == "paperbot":  # the corpus (idf, vectors) once per poll, as the bot would
            corpus = Corpus(everything)
            for saved in readers:
                recommend(saved, new, limit=10, corpus=corpus)
        else:
            for saved in readers:
                ranker(saved, new, everything)
        found[name] = time.perf_counter() - started
    return found


def installed_size(distribution: str) -> int:
    try:
        files = importlib.metadata.distribution(distribution).files or []
    except importlib.metadata.PackageNotFoundError:
        return 0
    return sum(f.size or 0 for f in files)


def main() -> int:
    rankers: dict[str, Ranker] = {"paperbot": paperbot}
    try:
        rankers["arxiv-sanity"] = ArxivSanity()
    except ImportError:
        print("scikit-learn is not installed (`make bench` installs it): arxiv-sanity left out")
    rankers["most upvoted"] = most_upvoted
    rankers["newest"] = newest
    met = True
    for half in ("development", "held out"):
        results = evaluate(half, rankers)
        print(f"\n{half} half: precision@5 / nDCG@10 / recall@20 (topics)")
        for k in KS:
            print(f"  k = {k} saved")
            for name in rankers:
                p5, ndcg, r20, n = results[(name, k)]
                print(f"    {name:13s} {p5:.3f} / {ndcg:.3f} / {r20:.3f}  ({n:.0f} topics)")
            ours = results[("paperbot", k)]
            if ("arxiv-sanity", k) in results:
                theirs = results[("arxiv-sanity", k)]
                ratio = ours[1] / theirs[1] if theirs[1] else math.inf
                print(f"    nDCG@10 paperbot / arxiv-sanity: {ratio:.2f}x")
                if half == "held out" and any(
                    o < t for o, t in zip(ours[:3], theirs[:3], strict=True)
                ):
                    met = False
            upvoted = results[("most upvoted", k)][1]
            ratio = ours[1] / upvoted if upvoted else math.inf
            print(f"    nDCG@10 paperbot / most upvoted: {ratio:.2f}x")
            if half == "held out" and ratio < 2:
                met = False
    if "arxiv-sanity" not in rankers:
        met = False  # not judged without it
    speed = timing({n: r for n, r in rankers.items() if n in ("paperbot", "arxiv-sanity")})
    print("\n1,000 new papers ranked for 1,000 readers (10 saved each):")
    for name, seconds in speed.items():
        print(f"  {name:13s} {seconds:6.1f} s")
    stack = ("scikit-learn", "scipy", "numpy", "joblib", "threadpoolctl")
    size = sum(installed_size(d) for d in stack)
    print(
        f"install size beyond paperbot's dependencies: paperbot 0 MB (pure Python); "
        f"arxiv-sanity {size / 1e6:.0f} MB ({', '.join(stack)})"
    )
    print(
        f"\ntarget (held out: >= arxiv-sanity, >= 2x most upvoted nDCG@10): "
        f"{'met' if met else 'NOT met'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    bench.run(main)
