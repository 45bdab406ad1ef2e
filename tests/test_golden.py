"""The golden check (``benchmarks/golden.py``): `lookout track S --json` gives, to the last bit,
the figures recorded in ``tests/data/golden/`` (the scores and digests of every track state and
assessment). A change meant to leave behaviour alone must keep it; a change meant to alter
results re-records (``benchmarks/golden.py record``) and says so in its commit.

Only the two default scenarios run here (~50 s each); ``benchmarks/golden.py check`` runs every
recorded one."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parent.parent / "benchmarks" / "golden.py"
_spec = importlib.util.spec_from_file_location("lookout_golden", _PATH)
golden = importlib.util.module_from_spec(_spec)
sys.modules["lookout_golden"] = golden
_spec.loader.exec_module(golden)


def test_differences_names_every_changed_leaf():
    want = {"a": 1.0, "b": {"c": [1, 2]}, "d": "x"}
    got = {"a": 1.0000000000000002, "b": {"c": [1, 3]}, "e": "x"}
    assert golden.differences(want, got) == [
        "a: 1.0 -> 1.0000000000000002",
        "b.c[1]: 2 -> 3",
        "d: 'x' -> (missing)",
        "e: (missing) -> 'x'",
    ]
    assert golden.differences(want, want) == []


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("LOOKOUT_GOLDEN"),
    reason="to the last bit, on the machine that recorded it (another CPU's BLAS may differ in "
    "the last bits): LOOKOUT_GOLDEN=1, or `make golden`",
)
@pytest.mark.parametrize("scenario", golden.DEFAULT)
def test_track_figures_are_the_recorded_ones(scenario):
    assert golden.path_for(scenario).exists(), f"record it: benchmarks/golden.py record {scenario}"
    diffs = golden.check(scenario)
    assert not diffs, "\n".join(diffs[:40])
