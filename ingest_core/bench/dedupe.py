"""Dedupe stage rate and memory, for ``docs/decisions/rfid-dedupe.md``.

What it is: ``measure_rate(impl, n)`` returns reads/s of
``Deduplicator.accept_many`` on a cycle-count-like stream (``n`` distinct
SGTIN-96 EPCs, each read 10 times, in batches of 1000);
``measure_rss(impl, n)`` returns the resident-memory growth in bytes while
``n`` distinct EPCs are remembered. ``python -m ingest_core.bench.dedupe``
prints both for both twins, each RSS in a fresh process.

How it works: RSS comes from ``/proc/self/statm`` (Linux). The EPC strings are
built before the first RSS sample, so the delta is the deduplicator's own
state; the pure twin's keys point at those strings, so its delta does not
include them (about 73 bytes each) while the compiled twin never needs them.

Caveats: wall-clock timing on a shared machine: the best of several rounds
is kept. RSS is page-granular and includes allocator slack.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from types import ModuleType

BATCH = 1000
REPEATS = 10


def _epcs(n: int) -> list[str]:
    # Same shape as SGTIN-96 hex: 24 uppercase hex characters, distinct.
    return [f"30340{index:019X}" for index in range(n)]


def measure_rate(impl: ModuleType, n: int = 100_000, rounds: int = 3) -> float:
    """Reads/s of ``accept_many``: ``n`` EPCs read ``REPEATS`` times each, batches of 1000."""
    epcs = _epcs(n)
    batches = [epcs[start : start + BATCH] for start in range(0, n, BATCH)]
    best = 0.0
    for _ in range(rounds):
        deduplicator = impl.Deduplicator(30.0, 2 * n)
        now = 0.0
        started = time.perf_counter()
        for _ in range(REPEATS):
            for batch in batches:
                now += 0.001
                deduplicator.accept_many("store-1/dock", batch, [now] * len(batch))
        elapsed = time.perf_counter() - started
        best = max(best, n * REPEATS / elapsed)
    return best


def _rss() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure_rss(impl: ModuleType, n: int = 1_000_000) -> int:
    """Bytes of resident memory added by a deduplicator holding ``n`` distinct EPCs."""
    epcs = _epcs(n)
    times = [1.0] * BATCH
    before = _rss()
    deduplicator = impl.Deduplicator(30.0, n)
    for start in range(0, n, BATCH):
        deduplicator.accept_many("store-1/dock", epcs[start : start + BATCH], times)
    after = _rss()
    assert len(deduplicator) == n
    return after - before


def _module(name: str) -> ModuleType:
    if name == "compiled":
        from ingest_core.decode._speedups import dedupe
    else:
        from ingest_core.decode.fallback import dedupe
    return dedupe


def main(n: int = 200_000) -> None:
    for name in ("pure", "compiled"):
        try:
            impl = _module(name)
        except ImportError:
            print(f"{name}: not built")
            continue
        rate = measure_rate(impl, n)
        rss = subprocess.run(
            [sys.executable, "-m", "ingest_core.bench.dedupe", "--rss", name],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        print(f"{name:9s} {rate:>13,.0f} reads/s   RSS for 1,000,000 EPCs: {rss}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--rss"]:
        print(f"{measure_rss(_module(sys.argv[2])) / 1e6:.1f} MB")
    else:
        main()
