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
from ingest_core.commit.journal import wait_drained
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



def test_generator_payloads_are_what_the_readers_send():
    """The generator's template-built payloads parse as the vendors' formats, each tag a
    unit of the SGTIN-96 the simulators' encoder gives (``stem | serial`` = encoder)."""
    import itertools

    from hardware.simulators.catalog import sgtin96
    from ingest_core.bench.loadgen import _Catalog, _Device
    from ingest_core.rfid.formats import parse_payload

    products = 50
    catalog = _Catalog([f"{n}" for n in range(products)],
                       list(itertools.accumulate(1.0 for _ in range(products))),
                       list(range(products)), [int(sgtin96(n, 0), 16) for n in range(products)])
    assert catalog.epc(17, 2**38 - 1) == sgtin96(17, 2**38 - 1)
    for kind, vendor in (("exit", "zebra"), ("pos_gate", "impinj"), ("dock", "impinj")):
        device = _Device(kind, 3, "gen", 20, catalog, 7 << 24)
        path, body = device.request()
        assert path == f"/v1/rfid/{vendor}"
        parsed = parse_payload(body, vendor)
        assert parsed.errors == [] and len(parsed.reads) == 20
        for n, read in enumerate(parsed.reads, 1):
            serial = int(read.epc, 16) & ((1 << 38) - 1)
            index = catalog.stems.index(int(read.epc, 16) - serial)
            assert serial == (7 << 24) + n
            assert read.epc == sgtin96(index, serial)  # the simulators' own encoder
