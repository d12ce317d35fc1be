"""Three stores, their links cut and restored, one agent killed: every scan applied once.

The whole path is real: pty-pair scanners, the store agent with its durable
queue, HTTP over a loopback relay per store, ``rtstock serve``, PostgreSQL
with Odoo's schema. Run by hand with more reads:
``RTSTOCK_SCENARIO_READS=100000 .venv/bin/pytest tests/test_store_scenario.py -s``.
"""

from __future__ import annotations

import os
import random
import threading
import time

import pytest
from support.agent_process import AgentProcess, PtyScanner, wait_for
from support.link import Link

from ingest_core.odoo.catalog import ean13
from tests.support.ingest import IngestProcess, create_device, quants_by_key, query

READS = int(os.environ.get("RTSTOCK_SCENARIO_READS", "100000"))
STORES = [  # code, warehouse, stock location, operation, counterpart location
    ("S01", 2, 18, "sale", 5),
    ("S02", 3, 24, "receipt", 4),
    ("DC", 1, 8, "sale", 5),
]


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_three_stores_offline_and_crash_every_scan_applied_once(tmp_path, fast_db):
    """Quants equal the sum of all scans, each applied exactly once, after cuts and a kill."""
    opening = quants_by_key(fast_db)
    ingest = IngestProcess(fast_db).start()
    rng = random.Random(11)
    stores = []
    for code, warehouse, location, op, counterpart in STORES:
        device_id, token = create_device(fast_db, name=f"{code}-SCN-1", warehouse_id=warehouse,
                                         location_id=location, allowed=(op,))
        link = Link(ingest.port).restore()
        scanner = PtyScanner()
        workdir = tmp_path / code
        workdir.mkdir()
        agent = AgentProcess(workdir, link.url, token, [{
            "name": f"{code}-SCN-1", "port": scanner.port, "baud": 115200, "op": op,
            "terminator": "\r\n"}], batch_size=500).start()
        codes = [ean13(rng.randrange(1900)) for _ in range(READS // len(STORES))]
        stores.append({"code": code, "device": device_id, "link": link, "scanner": scanner,
                       "agent": agent, "codes": codes, "location": location,
                       "counterpart": counterpart, "op": op})

    def scan(store):
        for index, code in enumerate(store["codes"]):
            store["scanner"].scan(f"{code}\r\n".encode())
            if index % 500 == 499:
                time.sleep(0.01)

    scanners = [threading.Thread(target=scan, args=(store,)) for store in stores]
    try:
        for thread in scanners:
            thread.start()
        chaos_rng = random.Random(5)
        killed = stores[1]
        for round_number in range(4):  # links cut and restored several times, staggered
            time.sleep(chaos_rng.uniform(0.5, 1.5))
            for store in stores:
                store["link"].cut()
            if round_number == 1:
                killed["agent"].kill()
            time.sleep(chaos_rng.uniform(0.5, 2.0))
            for store in stores:
                store["link"].restore()
            if round_number == 1:
                killed["agent"].start()
        for thread in scanners:
            thread.join(600)
        for store in stores:
            wait_for(lambda s=store: _delivered(fast_db, s) == len(s["codes"]), 900,
                     f"{store['code']}: every scan applied\n{store['agent'].log()[-3000:]}",
                     interval=0.5)
            wait_for(lambda s=store: s["agent"].status()["queue"]["depth"] == 0, 60,
                     f"{store['code']}: queue drained")
    finally:
        for store in stores:
            if store["agent"].process.poll() is None:
                store["agent"].terminate()
            store["link"].cut()
            store["scanner"].close()
        ingest.stop()
    assert all(store["link"].cuts >= 4 for store in stores)
    expected: dict[tuple[int, int], float] = {}
    for store in stores:
        for code in store["codes"]:
            product = int(code[8:12]) + 2
            source, destination = ((store["location"], store["counterpart"])
                                   if store["op"] == "sale"
                                   else (store["counterpart"], store["location"]))
            expected[(product, source)] = expected.get((product, source), 0) - 1
            expected[(product, destination)] = expected.get((product, destination), 0) + 1
    final = quants_by_key(fast_db)
    wrong = {key: (final.get(key, 0) - opening.get(key, 0), delta)
             for key, delta in expected.items()
             if final.get(key, 0) - opening.get(key, 0) != delta}
    assert not wrong, f"quants differ from the scans: {list(wrong.items())[:5]}"
    duplicates = query(fast_db, "SELECT count(*) - count(DISTINCT (device_id, read_key)) "
                                "FROM rrs_event")[0][0]
    assert duplicates == 0


def _delivered(dsn: str, store: dict) -> int:
    return query(dsn, "SELECT count(*) FROM rrs_event WHERE device_id = %s",
                 (store["device"],))[0][0]
