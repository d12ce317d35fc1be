"""How the scan benchmark turns its samples into the figures it reports."""

from __future__ import annotations

from ingest_core.bench.stats import p99


def test_p99_of_lag_samples_stays_within_them():
    """40 lag samples: the p99 lies between the two largest, never past the largest (the
    default "exclusive" quantile method extrapolated 895 ms from a 891 ms maximum)."""
    samples = [300.0 + 10 * n for n in range(38)] + [884.0, 891.0]
    value = p99(samples)
    assert 884.0 <= value <= 891.0
    assert p99([5.0]) == 5.0 and p99([]) == 0.0
