"""The locust suite runs headless on a real ingest with zero failures and writes its reports."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_headless_locust_run_writes_reports_without_failures(tmp_path):
    """load_tests.run: bounded run on loopback; CSV, HTML and plot written; no failure."""
    result = subprocess.run(
        [sys.executable, "-m", "load_tests.run", "--seconds", "8", "--users", "8",
         "--spawn-rate", "8", "--name", "ci", "--out", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=500, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for suffix in ("_stats.csv", "_stats_history.csv", ".html", ".png"):
        assert (tmp_path / f"ci{suffix}").stat().st_size > 0, suffix
    with (tmp_path / "ci_stats.csv").open() as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    assert int(rows["Aggregated"]["Request Count"]) >= 10, rows["Aggregated"]
    assert int(rows["Aggregated"]["Failure Count"]) == 0
    assert "scanner batch" in rows
