"""Three ingest nodes on one database: a device's reads land on any node, exactly once.

A chain runs several ``rtstock serve`` processes (regions, or a pair behind a
load balancer) on its one Odoo database. Here three nodes take six devices'
reads from a round-robin client that fails over as a load balancer does (a
request that gets no answer goes to the next node, the same batch again);
some batches are sent to a second node although the first one answered (the
answer lost on the way), and one node is SIGKILLed mid-run and stays dead, its
devices resending to the others. Every acked read must be in the event log
once, the quants and the done move lines must equal the reads applied once,
with three journals (one per node) working the same queue.
"""

from __future__ import annotations

import itertools
import random
import threading
import time

import httpx
import pytest

from ingest_core.commit.journal import wait_drained
from ingest_core.odoo.catalog import ean13
from tests.support.ingest import (
    S01_STOCK,
    S02_STOCK,
    IngestProcess,
    assert_applied_once,
    create_device,
    post,
    quants_by_key,
)

NODES, DEVICES, BATCHES, READS = 3, 6, 25, 40


@pytest.mark.timeout(600)
def test_three_nodes_a_node_killed_every_read_applied_once(fast_db):
    opening = quants_by_key(fast_db)
    stores = [(2, S01_STOCK), (3, S02_STOCK)] * (DEVICES // 2)
    devices = [create_device(fast_db, name=f"node-dev-{n}", warehouse_id=warehouse,
                             location_id=location)
               for n, (warehouse, location) in enumerate(stores)]
    location_of = {device_id: location
                   for (device_id, _t), (_w, location) in zip(devices, stores, strict=True)}
    nodes = [IngestProcess(fast_db).start() for _ in range(NODES)]
    turn = itertools.count()
    sent: dict[int, dict[str, dict]] = {device_id: {} for device_id, _t in devices}
    answered_by: dict[int, set[int]] = {n: set() for n in range(NODES)}
    duplicates_acked = []
    errors: list[BaseException] = []
    halfway = threading.Event()

    def deliver(token: str, reads: list[dict]) -> dict:
        """Round robin over the nodes; a node that does not answer is skipped."""
        while True:
            node = next(turn) % NODES
            try:
                response = post(nodes[node].url, token, reads, timeout=10)
            except httpx.HTTPError:
                time.sleep(0.02)
                continue
            if response.status_code == 200:
                answered_by[node].add(id(reads))
                return response.json()
            assert response.status_code == 503, response.text

    def device_loop(device_id: int, token: str, seed: int) -> None:
        rng = random.Random(seed)
        try:
            for batch in range(BATCHES):
                reads = [{"key": f"{device_id}:{batch:03d}:{i:03d}",
                          "code": ean13(rng.randrange(30)),
                          "op": rng.choice(["sale", "receipt"]), "qty": rng.randint(1, 3)}
                         for i in range(READS)]
                for read in reads:
                    sent[device_id][read["key"]] = read
                fates = {fate["status"] for fate in deliver(token, reads)["results"]}
                assert fates <= {"applied", "duplicate"}, fates
                if rng.random() < 0.2:  # the ack was lost: the device sends it again
                    again = deliver(token, reads)["results"]
                    duplicates_acked.append(all(f["status"] == "duplicate" for f in again))
                if batch == BATCHES // 3:
                    halfway.set()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=device_loop, args=(device_id, token, n))
               for n, (device_id, token) in enumerate(devices)]
    started = time.monotonic()
    try:
        for thread in threads:
            thread.start()
        halfway.wait(120)
        nodes[1].kill()  # SIGKILL, with its journal: it stays dead
        for thread in threads:
            thread.join(300)
        seconds = time.monotonic() - started
        assert not errors, errors
        wait_drained(fast_db, 120)
    finally:
        for node in nodes:
            node.stop()
    assert all(answered_by.values()), "every node took requests before the kill"
    assert duplicates_acked and all(duplicates_acked), "a resent batch is all duplicates"
    assert_applied_once(fast_db, sent, location_of, opening)
    reads = sum(len(batch) for batch in sent.values())
    print(f"3 nodes, one killed: {reads} reads in {seconds:.1f} s "
          f"({reads / seconds:,.0f} reads/s), {len(duplicates_acked)} batches sent twice")
