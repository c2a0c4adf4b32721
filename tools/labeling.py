"""Prepare the topic labeled set for reviewers, and combine their grades into the labels.

    python -m tools.labeling dump DIR      papers in shuffled batches, the guide, topic groups
    python -m tools.labeling merge DIR     DIR/out/<reviewer>/batch-NN.jsonl -> the labels

Reviewers read `DIR` only: never the matcher, its output, or earlier labels (LABELING.md).
A reviewer's batch file has one JSON line per paper:
    {"id": "2607.12345", "grades": {"T05": "must", "T12": "optional"}, "why": {"T05": "..."}}
"""

from __future__ import annotations

import json
import random
import shutil
import sys
from pathlib import Path

from bot.core.models import Paper
from tests.support.labeled import LABELS, ROOT, fixture_papers

FIXTURES = [
    {"file": "hf-api/daily_papers_sample1.json", "format": "hf"},
    {"file": "hf-api/daily_papers_sample2.json", "format": "hf"},
    {"file": "hf-api/papers_search_sample1.json", "format": "hf"},
    {"file": "hf-api/daily_papers_2026-07-13.json", "format": "hf"},
    {"file": "hf-api/daily_papers_2026-07-13_to_07-27_merged.json", "format": "hf"},
    {"file": "hf-api/daily_papers_2026-08-03.json", "format": "hf"},
    {"file": "arxiv-api/search_testing_100.json", "format": "arxiv"},
]
# Papers the matcher may be tuned on; the rest are held out: the arXiv answer, and the Daily
# Papers of later weeks (what a matcher meets after it was written).
HELD_OUT_FROM = "2026-07-20"

# (code, query, kind, reviewer group). T03 is T02 with a typo: it takes T02's labels.
TOPICS: list[tuple[str, str, str, int]] = [
    ("T01", "LLM", "original", 1),
    ("T02", '"reinforcement learning"', "original", 1),
    ("T03", "reinforcment learning", "original", 0),
    ("T04", 'video generation OR "video world model"', "original", 1),
    ("T05", "diffusion", "original", 1),
    ("T06", "3D", "original", 1),
    ("T07", "agents", "original", 1),
    ("T08", 'benchmark -"evaluation framework"', "original", 1),
    ("T09", "speech", "original", 1),
    ("T10", "robot OR robotics OR drone", "original", 2),
    ("T11", "multimodal", "original", 2),
    ("T12", '"question answering"', "original", 2),
    ("T13", "reasoning -latency", "original", 2),
    ("T14", '"state space" OR mamba', "original", 2),
    ("T15", "VLM", "original", 2),
    ("T16", '"world model"', "original", 2),
    ("T17", "title:dataset OR title:corpus", "original", 2),
    ("T18", "finance OR trading", "original", 3),
    ("T19", 'title:"mixture of experts" OR title:MoE', "original", 3),
    ("T20", 'coding OR "code generation"', "original", 3),
    ("T21", "retrieval", "original", 3),
    ("T22", "safety", "original", 3),
    ("T23", "medical", "original", 3),
    ("T24", "title:attention", "original", 3),
    ("T25", "Kazakh", "original", 3),
    ("T26", "distillation", "original", 3),
    ("T27", '"image generation" OR text-to-image', "original", 3),
    ("T28", "mixture of experts", "multi-word", 1),
    ("T29", "speculative decoding", "multi-word", 1),
    ("T30", "gaussian splatting", "multi-word", 1),
    ("T31", "on-policy distillation", "multi-word", 1),
    ("T32", "video understanding", "multi-word", 1),
    ("T33", "vision language action models", "multi-word", 2),
    ("T34", "diffusion language models", "multi-word", 2),
    ("T35", "coding agents", "multi-word", 2),
    ("T36", "long context", "multi-word", 2),
    ("T37", "graph neural networks", "multi-word", 2),
    ("T38", "autonomous driving", "multi-word", 3),
    ("T39", "novel view synthesis", "multi-word", 3),
    ("T40", "reward models", "multi-word", 3),
    ("T41", "mechanistic interpretability", "multi-word", 3),
    ("T42", "software testing", "multi-word", 3),
    ("T43", "speech recognition", "multi-word", 3),
    ("T44", "policy optimization", "multi-word", 3),
    ("T45", "LLM quantization", "multi-word", 1),
    ("T46", "RAG", "acronym", 1),
    ("T47", "RLHF", "acronym", 1),
    ("T48", "CoT", "acronym", 1),
    ("T49", "NeRF", "acronym", 2),
    ("T50", "RLVR", "acronym", 2),
    ("T51", "OCR", "acronym", 2),
    ("T52", "GUI", "acronym", 2),
]
COPIES = {"T03": "T02"}
BATCH = 45


def all_papers() -> list[Paper]:
    return list(fixture_papers(FIXTURES).values())


def held_out(paper: Paper) -> bool:
    if paper.dated is None:  # the arXiv answer carries no Hugging Face dates
        return True
    return paper.dated.date().isoformat() >= HELD_OUT_FROM and paper.submitted_at is not None


def paper_text(paper: Paper) -> str:
    lines = [f"### {paper.id}", f"Title: {paper.title}", f"Abstract: {paper.abstract}"]
    if paper.ai_summary:
        lines.append(f"AI summary (machine-written by Hugging Face): {paper.ai_summary}")
    if paper.ai_keywords:
        lines.append(f"AI keywords (machine-written): {', '.join(paper.ai_keywords)}")
    return "\n".join(lines)


def dump(folder: Path) -> None:
    papers = all_papers()
    random.Random(20261127).shuffle(papers)
    (folder / "papers").mkdir(parents=True, exist_ok=True)
    batches = [papers[i : i + BATCH] for i in range(0, len(papers), BATCH)]
    for n, batch in enumerate(batches, 1):
        body = "\n\n".join(paper_text(p) for p in batch)
        (folder / "papers" / f"batch-{n:02}.md").write_text(
            f"# Batch {n:02}: {len(batch)} papers\n\n{body}\n", "utf-8"
        )
    shutil.copy(ROOT / "tests" / "data" / "LABELING.md", folder / "GUIDE.md")
    for group in (1, 2, 3):
        rows = [f"- {code}: `{query}`" for code, query, _k, g in TOPICS if g == group]
        (folder / f"group-{group}.md").write_text(
            f"# Topic group {group}\n\n" + "\n".join(rows) + "\n", "utf-8"
        )
    print(f"{len(papers)} papers in {len(batches)} batches under {folder}")


GRADE = {"must": 2, "optional": 1, "none": 0}


def read_reviewer(folder: Path) -> dict[str, dict[str, object]]:
    found: dict[str, dict[str, object]] = {}
    for path in sorted(folder.glob("batch-*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                found[row["id"]] = row
    return found


def merge(folder: Path) -> None:
    """Combine two reviewers per group (LABELING.md's table); a third settles must vs none."""
    papers = all_papers()
    ids = {p.id for p in papers}
    out = folder / "out"
    reviewers = {d.name: read_reviewer(d) for d in sorted(out.iterdir()) if d.is_dir()}
    settled = read_reviewer(out / "settle") if (out / "settle").is_dir() else {}
    annotations: dict[str, dict[str, dict[str, object]]] = {}
    labels: dict[str, dict[str, list[str]]] = {}
    conflicts: list[dict[str, object]] = []
    for code, query, _kind, group in TOPICS:
        if group == 0:
            continue
        pair = [name for name in reviewers if name.startswith(f"g{group}")]
        if len(pair) != 2:
            raise SystemExit(f"group {group}: expected two reviewers, found {pair}")
        must: list[str] = []
        optional: list[str] = []
        for pid in sorted(ids):
            grades = []
            for name in pair:
                row = reviewers[name].get(pid)
                if row is None:
                    raise SystemExit(f"{name} did not grade {pid}")
                grade = row.get("grades", {}).get(code, "none")  # type: ignore[union-attr]
                grades.append(grade)
                if grade != "none":
                    why = row.get("why", {}).get(code, "")  # type: ignore[union-attr]
                    annotations.setdefault(code, {}).setdefault(pid, {})[name] = [grade, why]
            a, b = sorted(grades, key=GRADE.__getitem__)
            if (a, b) == ("none", "must"):
                final = settled.get(pid, {}).get("grades", {}).get(code)  # type: ignore[union-attr]
                if final is None:
                    conflicts.append({"code": code, "query": query, "id": pid})
                    continue
                why = settled[pid].get("why", {}).get(code, "")  # type: ignore[union-attr]
                annotations[code][pid]["settled"] = [final, why]
            elif a == b:
                final = a
            else:
                final = "optional"
            if final == "must":
                must.append(pid)
            elif final == "optional":
                optional.append(pid)
        labels[code] = {"must": must, "optional": optional}
    if conflicts:
        (folder / "conflicts.json").write_text(json.dumps(conflicts, indent=1), "utf-8")
        raise SystemExit(f"{len(conflicts)} must-vs-none conflicts: see {folder}/conflicts.json")
    for copy, source in COPIES.items():
        labels[copy] = labels[source]
    dev = sorted(p.id for p in papers if not held_out(p))
    held = sorted(p.id for p in papers if held_out(p))
    data = {
        "about": (
            "Graded relevance of real papers to topic queries, judged by reading as "
            "tests/data/LABELING.md says: must, optional (counts neither way), or none "
            "(not listed). Development papers may be read while the matcher is tuned; held-out "
            "papers are the arXiv answer and the Daily Papers from " + HELD_OUT_FROM + " on."
        ),
        "guide": "tests/data/LABELING.md",
        "fixtures": FIXTURES,
        "sets": {"development": dev, "held out": held},
        "topics": [
            {"code": code, "query": query, "kind": kind, **labels[code]}
            for code, query, kind, _g in TOPICS
        ],
    }
    LABELS.write_text(json.dumps(data, indent=1) + "\n", "utf-8")
    raw = LABELS.with_name("topic_annotations.json")
    raw.write_text(json.dumps(annotations, indent=1, sort_keys=True) + "\n", "utf-8")
    print(f"wrote {LABELS} and {raw}")


def main() -> int:
    if len(sys.argv) != 3 or sys.argv[1] not in ("dump", "merge"):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    (dump if sys.argv[1] == "dump" else merge)(Path(sys.argv[2]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
