"""A store's mixed traffic over real HTTP: every device kind at once, every group whole.

The scan benchmark's load generator (``ingest_core.bench.loadgen``) in its mixed
mode drives scanners, POS gates, exit and dock RFID readers and a count session
against a real ``rtstock serve``; the service must apply every kind's reads,
answer no request with an error and never fall back to one-request commits
(``IngestProcess`` fails the test at its stop if it did).
"""

from __future__ import annotations

from collections import Counter

from ingest_core.bench.loadgen import MIXED, mixed_kinds, run_load
from ingest_core.bench.scan import _mixed_devices
from ingest_core.journal import wait_drained
from tests.support.ingest import IngestProcess, query


def test_mixed_kinds_follow_the_store_shares():
    assert Counter(mixed_kinds(16)) == Counter(MIXED)
    assert Counter(mixed_kinds(64)) == Counter({kind: 4 * n for kind, n in MIXED.items()})


def test_mixed_load_applies_every_kind_without_fallback(fast_db):
    tokens, kinds = _mixed_devices(fast_db, 16)
    with IngestProcess(fast_db) as ingest:
        result = run_load(ingest.url, tokens, batch=50, seconds=3.0, kinds=kinds).as_dict()
        assert ingest.errors() == []
    assert result["failures"] == 0, result
    for kind in ("scanner", "pos_gate", "exit", "dock"):
        part = result["kinds"][kind]
        assert part["requests"] > 0 and part["applied"] > 0, (kind, part)
    # the only rejections: the catalog's lot-tracked products, scanned or tagged without a lot
    assert {reason for reason, _n in query(
        fast_db, "SELECT reason_code, count(*) FROM rrs_quarantine GROUP BY 1")} <= {
        "lot_required"}
    assert result["kinds"]["count"]["counted"] > 0
    assert result["count_closes"] == 1
    wait_drained(fast_db, 60)
    (applied_events,) = query(fast_db, "SELECT count(*) FROM rrs_event")[0]
    assert applied_events == result["applied"]

