"""The compiled hot path is really in use when it should be, and the switch works."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import ingest_core
from ingest_core.decode import speedups


def test_expected_implementation_is_in_use():
    """CI's first run expects 'cython', its second (RTSTOCK_PURE_PYTHON=1) 'python'."""
    expected = os.environ.get("RTSTOCK_EXPECT_SPEEDUPS")
    if not expected:
        pytest.skip("RTSTOCK_EXPECT_SPEEDUPS not set (set by scripts/test.sh)")
    assert expected == ingest_core.SPEEDUPS, (
        f"expected the {expected} hot path, got {ingest_core.SPEEDUPS}: "
        "is the Cython build missing or broken?")
    for stage in speedups.STAGES:
        module = speedups.load(stage)
        compiled = module.__name__.startswith("ingest_core.decode._speedups.")
        should_be_compiled = expected == "cython"
        assert compiled is should_be_compiled, f"{stage} is {module.__name__}"


@pytest.mark.parametrize("forced, expected", [("1", "python"), ("", None)])
def test_environment_switch(forced, expected):
    """RTSTOCK_PURE_PYTHON=1 forces the twin at import time."""
    env = {**os.environ, "RTSTOCK_PURE_PYTHON": forced}
    out = subprocess.run([sys.executable, "-c", "import ingest_core; print(ingest_core.SPEEDUPS)"],
                         env=env, capture_output=True, text=True, check=True).stdout.strip()
    if expected:
        assert out == expected
    else:
        assert out in ("cython", "python")


def test_unknown_stage_is_refused():
    """Only declared stages can be loaded."""
    with pytest.raises(ValueError):
        speedups.load("nonexistent")
