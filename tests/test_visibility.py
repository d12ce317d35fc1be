"""Scan -> visible (``bench.visibility``): the probe's reads, from the POST to the
``bus_bus`` row Odoo's bus dispatcher reads when ``imbus`` wakes it."""

from __future__ import annotations

import time

from ingest_core.bench.visibility import PROBE_CODE, VisibilityProbe, create_probe_product
from tests.support.ingest import IngestProcess, create_device, query


def test_every_applied_probe_is_seen_on_the_bus_once_with_its_latency(fast_db):
    product = create_probe_product(fast_db)
    assert query(fast_db, "SELECT barcode FROM product_product WHERE id = %s",
                 (product,)) == [(PROBE_CODE,)]
    _id, token = create_device(fast_db, name="probe", allowed=("sale", "receipt"))
    with IngestProcess(fast_db) as ingest:
        probe = VisibilityProbe(ingest.url, token, fast_db, product, every_s=0.1).start()
        time.sleep(2.0)
        figures = probe.stop()
    assert figures["probes"] >= 10, figures
    # The last probe may still be in flight when the probe stops; no other is missed.
    assert figures["probes"] - 1 <= figures["seen"] <= figures["probes"], figures
    assert 0 < figures["p50_ms"] <= figures["p99_ms"] <= figures["max_ms"] < 5000, figures
    events = query(fast_db, "SELECT count(*) FROM rrs_event WHERE read_key LIKE 'probe:%%'")
    assert events[0][0] >= figures["seen"], "each probe seen on the bus is an applied read"
