"""Percentiles the benchmarks report."""

from __future__ import annotations

import statistics


def p99(values: list[float]) -> float:
    """The 99th percentile, interpolated between samples, never past the largest (the
    default "exclusive" method extrapolates beyond it for 40 samples)."""
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[98]
