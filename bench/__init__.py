"""Benchmarks: each measures paperbot against a baseline in the same run and prints ratios.

Run one from the project's root as a module, `.venv/bin/python -m bench.match_speed`, so that
it finds the shared test support (`tests.support`): the fakes, the data and the labeled set.
Figures and what each baseline leaves out are in `bench/README.md`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import NoReturn

from tests.support.fixtures import SharedDataMissing


def run(main: Callable[[], int | None]) -> NoReturn:
    """Run a bench's `main`; without the captured data it reads, say where it is expected."""
    try:
        raise SystemExit(main())
    except SharedDataMissing as missing:
        print(f"bench: {missing}", file=sys.stderr)
        raise SystemExit(2) from None
