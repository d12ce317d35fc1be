"""The naive baselines the fast path is measured against, in the same run.

What it is: ``per_read_transactions`` writes exactly the rows the fast path
writes (event, quant deltas, done move + move line, picking), but one
transaction per read, the way a per-scan integration does; ``xmlrpc_per_scan``
does what an integrator's per-scan script does against a live Odoo: create a
picking, confirm it and validate it over XML-RPC.

How it works: the per-read baseline drives the real writer and journal code
on one connection with a group of one read, so the rows are identical and
only the batching differs.

Caveats: the XML-RPC baseline needs a live Odoo (``RTSTOCK_ODOO_URL``,
``RTSTOCK_ODOO_DB``, ``RTSTOCK_ODOO_LOGIN``, ``RTSTOCK_ODOO_PASSWORD``).
"""

from __future__ import annotations

import os
import random
import time
import xmlrpc.client
from concurrent.futures import ThreadPoolExecutor

import psycopg2

from ingest_core.journal import Journal
from ingest_core.odoo import sql
from ingest_core.operations import route
from ingest_core.pipeline import PreparedBatch, ResolvedRead
from ingest_core.reference import ReferenceData
from ingest_core.writer import GroupCommitWriter, _Pending


def per_read_transactions(dsn: str, device_id: int, reads: int, seconds: float) -> dict:
    """Events/s and latency writing one read per transaction (event + quants + move)."""
    reference = ReferenceData(dsn)
    device = next(d for d in reference.devices.values() if d.id == device_id)
    writer = GroupCommitWriter(dsn, reference)
    journal = Journal(dsn, reference)
    warehouse = reference.warehouses[device.warehouse_id]
    places = reference.places[device.company_id]
    connection = psycopg2.connect(dsn)
    rng = random.Random(3)
    latencies, done = [], 0
    started = time.monotonic()
    try:
        while done < reads and time.monotonic() - started < seconds:
            product_id = rng.randrange(2, 1950)
            read = ResolvedRead(0, f"naive:{started}:{done}", _now(), "sale", "", product_id,
                                None, 1.0, device.location_id,
                                route("sale", device.location_id, warehouse, places))
            batch = PreparedBatch(device, 1, reads=[read])
            begin = time.monotonic()
            with connection.cursor() as cur:
                writer._transaction(cur, [_Pending(batch, lambda _r: None)])
                journal._materialise(cur, sql.claim_pending_events(cur, 10))
            connection.commit()
            latencies.append(time.monotonic() - begin)
            done += 1
    finally:
        connection.close()
        reference.stop()
    elapsed = time.monotonic() - started
    latencies.sort()
    return {"events": done, "seconds": round(elapsed, 3),
            "events_per_s": round(done / elapsed, 1),
            "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2)}


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC).replace(tzinfo=None)


def odoo_xmlrpc_configured() -> bool:
    return bool(os.environ.get("RTSTOCK_ODOO_URL") and os.environ.get("RTSTOCK_ODOO_DB"))


def xmlrpc_per_scan(scans: int, clients: int = 4, seconds: float = 60.0) -> dict:
    """Per scan: create a picking S01/Stock -> Customers, confirm, validate (live Odoo)."""
    url = os.environ["RTSTOCK_ODOO_URL"].rstrip("/")
    db = os.environ["RTSTOCK_ODOO_DB"]
    login = os.environ.get("RTSTOCK_ODOO_LOGIN", "admin")
    password = os.environ.get("RTSTOCK_ODOO_PASSWORD", "admin")
    uid = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common").authenticate(db, login,
                                                                           password, {})
    deadline = time.monotonic() + seconds

    def one_client(number: int) -> list[float]:
        models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object", allow_none=True)
        rng = random.Random(number)
        latencies = []
        for _ in range(scans // clients):
            if time.monotonic() > deadline:
                break
            begin = time.monotonic()
            product_id = rng.randrange(2, 1950)
            picking = models.execute_kw(db, uid, password, "stock.picking", "create", [{
                "picking_type_id": 11, "location_id": 18, "location_dest_id": 5,
                "move_ids": [(0, 0, {"name": "scan", "product_id": product_id,
                                     "product_uom_qty": 1, "product_uom": 1,
                                     "location_id": 18, "location_dest_id": 5})]}])
            models.execute_kw(db, uid, password, "stock.picking", "action_confirm", [[picking]])
            models.execute_kw(db, uid, password, "stock.picking", "button_validate", [[picking]])
            latencies.append(time.monotonic() - begin)
        return latencies

    started = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        latencies = sorted(x for part in pool.map(one_client, range(clients)) for x in part)
    elapsed = time.monotonic() - started
    return {"events": len(latencies), "seconds": round(elapsed, 3),
            "events_per_s": round(len(latencies) / elapsed, 2),
            "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1)
            if latencies else None}
