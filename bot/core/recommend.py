"""Papers recommended from one person's saved papers: what they saved is all it learns from.

Each paper becomes a weighted bag of terms: word families (plurals and inflections folded, as
the topic language folds them), pairs of neighbouring words, and Hugging Face's AI keywords
as whole phrases. Weights are tf-idf (sublinear tf; idf over the papers at hand, saved and
candidates), each vector normalised. A reader's profile is the mean of their saved papers
less the mean of all papers at hand (what their papers share that papers at large do not: a
Rocchio profile, which is also what a strongly regularised linear SVM such as arxiv-sanity's
learns); a candidate's score is its cosine with the profile. "Because" names the saved papers
nearest to it and the terms that weigh most in the match.

Pure Python on purpose: no numerical stack to install (bench/recommend_quality.py measures it
against arxiv-sanity's tf-idf and linear SVM, and the time it takes).
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.core.matching.text import family, fold
from bot.core.models import Paper

MIN_SAVED = 3  # fewer saved papers say too little about a person
TITLE_WEIGHT = 2  # a title word counts as two of the abstract's
KEYWORD_WEIGHT = 2  # an AI keyword phrase, as two mentions
MAX_DF = 0.5  # a term in more than half the papers tells them apart from nothing
BACKGROUND = 1.0  # how much of the average paper is taken out of a reader's profile
PROFILE_TERMS = 200  # the profile's most telling terms: the rest add time, not quality
BECAUSE = 2  # saved papers named as the reason
SHARED_TERMS = 4

# A word: a run of letters and digits, with a letter, two characters at least. Runs are found
# in one pass; a pattern that looks for the letter inside the run (`[0-9]+[a-z]...`) backtracks
# quadratically over a long run of digits.
_RUN = re.compile(r"[a-z0-9]+")
# Words that carry no subject: English function words and the verbs of every abstract.
_STOP = frozenset(
    """a about above across after again against all also although among an and any are as at be
    been before being below between both but by can could did do does doing during each
    either et etc few for from further had has have having here how however i if in into is
    it its itself just may might more most much must no nor not now of off on once only or
    other our ours out over own per same several should since so some such than that the
    their them then there these they this those through thus to too under until up upon us
    very via was we were what when where whether which while who whom whose why will with
    within without would yet you your paper propose proposed approach method methods result
    results show shows shown demonstrate present introduce novel new existing use using used
    based work study achieve achieves significant significantly first two one well leading
    extensive experiments experimental various""".split()  # noqa: SIM905
)


@dataclass(frozen=True, slots=True)
class Recommendation:
    paper: Paper
    score: float
    because: tuple[str, ...]  # ids of the saved papers it is most like, nearest first
    terms: tuple[str, ...]  # what it shares with them, most telling first


Vector = dict[str, float]


def _tokens(text: str) -> list[str]:
    return [
        w for w in _RUN.findall(fold(text)) if len(w) > 1 and not w.isdigit() and w not in _STOP
    ]


def term_counts(paper: Paper, shown: dict[str, Counter[str]] | None = None) -> Counter[str]:
    """The paper's terms and how often each occurs (title words weighted)."""
    counts: Counter[str] = Counter()

    def add(words: list[str], weight: int) -> None:
        keys = [family(w) for w in words]
        for word, key in zip(words, keys, strict=True):
            counts[key] += weight
            if shown is not None:
                shown.setdefault(key, Counter())[word] += 1
        for a, b in itertools.pairwise(keys):
            counts[f"{a} {b}"] += weight

    add(_tokens(paper.title), TITLE_WEIGHT)
    add(_tokens(paper.abstract), 1)
    for keyword in paper.ai_keywords:
        words = _tokens(keyword)
        if len(words) > 1:
            key = "kw:" + " ".join(family(w) for w in words)
            counts[key] += KEYWORD_WEIGHT
            if shown is not None:
                shown.setdefault(key, Counter())[keyword.lower()] += 1
    return counts


def word_counts(paper: Paper) -> Counter[str]:
    """The paper's word families and how often each occurs (title words weighted), without
    the pairs and keyword phrases of `term_counts`: what the topic learner reads."""
    counts: Counter[str] = Counter()
    for words, weight in ((_tokens(paper.title), TITLE_WEIGHT), (_tokens(paper.abstract), 1)):
        for word in words:
            counts[family(word)] += weight
    return counts


class Corpus:
    """The papers at hand, as normalised tf-idf vectors."""

    def __init__(self, papers: Iterable[Paper]) -> None:
        self.shown: dict[str, Counter[str]] = {}
        counts = {p.id: term_counts(p, self.shown) for p in papers}
        df: Counter[str] = Counter()
        for terms in counts.values():
            df.update(terms.keys())
        n = len(counts)
        self.idf = {
            t: math.log((1 + n) / (1 + d)) + 1.0
            for t, d in df.items()
            if d >= 2 and d <= MAX_DF * n  # a term of one paper matches nothing
        }
        self.vectors = {pid: self._vector(terms) for pid, terms in counts.items()}
        self._mean: Vector | None = None
        self._postings: dict[str, list[tuple[str, float]]] | None = None

    def _vector(self, counts: Counter[str]) -> Vector:
        idf = self.idf
        vector = {t: (1.0 + math.log(c)) * idf[t] for t, c in counts.items() if c > 0 and t in idf}
        norm = math.sqrt(sum(w * w for w in vector.values())) or 1.0
        return {t: w / norm for t, w in vector.items()}

    def postings(self) -> dict[str, list[tuple[str, float]]]:
        """Term → the papers holding it, with its weight in each."""
        if self._postings is None:
            self._postings = {}
            for pid, vector in self.vectors.items():
                for t, w in vector.items():
                    self._postings.setdefault(t, []).append((pid, w))
        return self._postings

    def mean(self) -> Vector:
        """The average paper at hand: what every paper has, a reader's interest less so."""
        if self._mean is None:
            total: Vector = {}
            for vector in self.vectors.values():
                for t, w in vector.items():
                    total[t] = total.get(t, 0.0) + w
            self._mean = {t: w / len(self.vectors) for t, w in total.items()}
        return self._mean

    def display(self, term: str) -> str:
        """A term as people write it: its most frequent spelling in these papers."""
        if term.startswith("kw:"):
            return self.shown.get(term, Counter({term[3:]: 1})).most_common(1)[0][0]
        parts = term.split(" ")
        return " ".join(self.shown[p].most_common(1)[0][0] if p in self.shown else p for p in parts)


def recommend(
    saved: Sequence[Paper],
    candidates: Sequence[Paper],
    *,
    limit: int | None = None,
    corpus: Corpus | None = None,
) -> list[Recommendation]:
    """`candidates` (the saved ones left out), best first, each with why."""
    saved_ids = {p.id for p in saved}
    pool = [p for p in candidates if p.id not in saved_ids]
    corpus = corpus or Corpus([*saved, *pool])
    liked = [corpus.vectors[p.id] for p in saved if p.id in corpus.vectors]
    if not liked or not pool:
        return []
    profile = _profile(liked, corpus.mean())
    # Scores gathered through the corpus's inverted index, term by term of the profile: a
    # profile's terms are the telling ones, found in few papers each.
    totals: dict[str, float] = {}
    postings = corpus.postings()
    for term, weight in profile.items():
        for pid, w in postings.get(term, ()):
            totals[pid] = totals.get(pid, 0.0) + w * weight
    scored = sorted(
        ((totals.get(p.id, 0.0), n, p) for n, p in enumerate(pool)),
        key=lambda s: (-s[0], s[1]),
    )
    chosen = scored if limit is None else scored[:limit]
    kept = [p for p in saved if p.id in corpus.vectors]
    return [_explained(paper, score, kept, liked, corpus, profile) for score, _n, paper in chosen]


def _profile(liked: list[Vector], background: Vector) -> Vector:
    """What the saved papers share and papers at large do not: their mean, less the mean of
    every paper at hand (BACKGROUND), its positive part, normalised."""
    profile: Vector = {}
    for vector in liked:
        for t, w in vector.items():
            profile[t] = profile.get(t, 0.0) + w / len(liked)
    profile = {t: w - BACKGROUND * background.get(t, 0.0) for t, w in profile.items()}
    kept = sorted(((w, t) for t, w in profile.items() if w > 0), reverse=True)[:PROFILE_TERMS]
    profile = {t: w for w, t in kept}
    norm = math.sqrt(sum(w * w for w in profile.values())) or 1.0
    return {t: w / norm for t, w in profile.items()}


def _within(part: str, whole: str) -> bool:
    """Whether the words of `part` occur, in a row, in `whole`."""
    return f" {part} " in f" {whole} "


def _dot(vector: Vector, other: Vector) -> float:
    if len(other) < len(vector):
        vector, other = other, vector
    return sum(w * other.get(t, 0.0) for t, w in vector.items())


def _explained(
    paper: Paper,
    score: float,
    saved: list[Paper],
    liked: list[Vector],
    corpus: Corpus,
    profile: Vector,
) -> Recommendation:
    vector = corpus.vectors[paper.id]
    near = sorted(((_dot(vector, v), j) for j, v in enumerate(liked)), key=lambda s: (-s[0], s[1]))
    because = tuple(saved[j].id for sim, j in near[:BECAUSE] if sim > 0)
    weights = sorted(((w * profile[t], t) for t, w in vector.items() if t in profile), reverse=True)
    terms: list[str] = []
    for _weight, term in weights[: SHARED_TERMS * 4]:
        shown = corpus.display(term)
        if any(_within(shown, t) for t in terms):
            continue  # said already, by a phrase holding it
        # A phrase says more than its words: it takes their place.
        terms = [t for t in terms if not _within(t, shown)]
        if len(terms) < SHARED_TERMS:
            terms.append(shown)
    return Recommendation(paper, round(score, 4), because, tuple(terms))
