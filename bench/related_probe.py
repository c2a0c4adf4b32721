"""Would "related" matches pay? Papers close to those a topic matched, though sharing no word.

About a quarter of the matcher's misses share no word with their topic. The one step tried
here, as the issue asks: a paper the word rules did not match joins the topic as "related"
when its tf-idf vector (title and abstract, word families, sublinear tf, stop words out) is
within cosine `bar` of a paper the topic matched in the same pool (here: the labeled papers,
as a store holding a few weeks of papers would). `bar` is chosen on the development half and
scored on the held-out half; the issue's guard is held-out precision >= 0.95. Baseline: the
word rules alone, in the same run.

    .venv/bin/python -m bench.related_probe
"""

from __future__ import annotations

import math
from collections import Counter

from topic_quality import paperbot_with

import bench
from bot.core.matching.rules import RULES
from bot.core.matching.text import STOPWORDS, family, words
from bot.core.models import Paper
from tests.support.labeled import load

Vector = dict[str, float]


def vectors(papers: list[Paper]) -> dict[str, Vector]:
    bags = {
        p.id: Counter(family(w) for w in words(f"{p.title} {p.abstract}") if w not in STOPWORDS)
        for p in papers
    }
    documents = Counter(w for bag in bags.values() for w in bag)
    idf = {w: math.log(len(bags) / n) for w, n in documents.items()}
    found = {}
    for pid, bag in bags.items():
        vector = {w: (1 + math.log(n)) * idf[w] for w, n in bag.items()}
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        found[pid] = {w: v / norm for w, v in vector.items()}
    return found


def cosine(a: Vector, b: Vector) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(w, 0.0) for w, v in a.items())


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main() -> int:
    labeled = load()
    papers = labeled.papers
    held = {p.id for p in labeled.sets["held out"]}
    make = paperbot_with(RULES, papers)
    vecs = vectors(papers)
    # For each (topic, paper): matched by words, and the closest matched paper's similarity.
    rows: list[tuple[bool, float, str, bool, bool]] = []  # (hit, closest, grade, held, counted)
    for topic in labeled.topics:
        test = make(topic.query)
        hits = {p.id for p in papers if test(p)}
        for p in papers:
            closest = (
                0.0
                if p.id in hits
                else max((cosine(vecs[p.id], vecs[h]) for h in hits), default=0.0)
            )
            grade = "must" if p.id in topic.must else "optional" if p.id in topic.optional else ""
            rows.append((p.id in hits, closest, grade, p.id in held, grade != "optional"))

    def score(bar: float, half: bool | None) -> tuple[float, float, float]:
        tp = fp = fn = 0
        for hit, closest, grade, is_held, counted in rows:
            if not counted or (half is not None and is_held != half):
                continue
            said = hit or closest >= bar
            tp += said and grade == "must"
            fp += said and grade != "must"
            fn += not said and grade == "must"
        return prf(tp, fp, fn)

    bars = [b / 100 for b in range(20, 101, 2)]
    # On a tie, the higher bar: fewer papers let in for the same F1.
    chosen = max(bars, key=lambda b: (score(b, False)[2], b))
    print("development half, by bar (P / R / F1):")
    for bar in (0.2, 0.3, 0.4, 0.5, 0.6):
        print(f"  cosine >= {bar:.1f}: " + "/".join(f"{v:.3f}" for v in score(bar, False)))
    print(f"{'matcher':34} {'development':>17} {'held out':>17} {'all':>17}")
    for name, bar in (
        ("word rules (baseline)", 2.0),
        (f"+ related at cosine {chosen:.2f}", chosen),
    ):
        cells = ["/".join(f"{v:.3f}" for v in score(bar, half)) for half in (False, True, None)]
        print(f"{name:34} {cells[0]:>17} {cells[1]:>17} {cells[2]:>17}")
    held_precision = score(chosen, True)[0]
    print(
        f"guard (held-out precision >= 0.95): {held_precision:.3f} -> "
        + ("pays" if held_precision >= 0.95 else "does not pay; paperbot leaves it out")
    )
    return 0


if __name__ == "__main__":
    bench.run(main)
