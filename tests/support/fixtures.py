"""Where test data lives: the project's own fixtures, and the captured answers beside it.

The real Hugging Face answers that other public projects captured stay in the shared folder
beside the clone (`../shared/fixtures/`, or `PAPERBOT_SHARED`): paperbot commits none of
them. Its own fixtures (`tests/fixtures/`) are written for the purpose, in the API's shape,
plus the arXiv answer the `arxiv` package ships (MIT). A test that needs the captured answers
skips, saying where they are expected; a bench says so and stops.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OWN = ROOT / "tests" / "fixtures"
SHARED = Path(os.environ.get("PAPERBOT_SHARED") or ROOT.parent / "shared") / "fixtures"


class SharedDataMissing(FileNotFoundError):
    """A captured answer that lives only in the shared folder, which is not there."""


def fixture(relative: str) -> Path:
    """The fixture `relative` (such as `hf-api/daily_papers_sample1.json`): the project's own,
    else the shared folder's; `SharedDataMissing` when neither has it."""
    for folder in (OWN, SHARED):
        if (folder / relative).is_file():
            return folder / relative
    raise SharedDataMissing(
        f"{relative} is one of the captured API answers kept beside the project, expected in "
        f"{SHARED} (the shared folder beside the clone, or PAPERBOT_SHARED)"
    )


def shared(relative: str) -> Path:
    """`fixture(relative)` for a test: skipped, with the reason, when the shared folder lacks it."""
    import pytest  # benches use `fixture`; only tests skip

    try:
        return fixture(relative)
    except SharedDataMissing as missing:
        pytest.skip(str(missing))
