"""What the benchmarks share: the real papers of tests/fixtures, and recombinations of them."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.core.hf_parser import parse_body  # noqa: E402
from bot.core.models import Paper  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "hf-api"


def real_papers() -> list[Paper]:
    """Every distinct real paper in the captured Hugging Face API bodies."""
    found: dict[str, Paper] = {}
    for path in sorted(FIXTURES.glob("*.json")):
        for paper in parse_body(path.read_bytes()).papers:
            found.setdefault(paper.id, paper)
    return list(found.values())
