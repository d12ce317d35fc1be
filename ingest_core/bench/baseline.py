"""The naive baselines the fast path is measured against, in the same run.

What it is: ``per_read_transactions`` writes exactly the rows the fast path
writes (event, quant deltas, done move + move line, picking), but one
transaction per read, the way a per-scan integration does; ``xmlrpc_per_scan``
does what an integrator's per-scan script does against a live Odoo: create a
picking, confirm it and validate it over XML-RPC.

How it works: the per-read baseline drives the real writer and journal code
on one connection with a group of one read, so the rows are identical and
only the batching differs.

``live_odoo_baselines`` adds, where a live Odoo is configured
(``docs/live-odoo.md``), XML-RPC per scan against ``odoo-bin`` serving a
prepared copy on loopback and the batched ORM in ``odoo-bin shell``.

Caveats: the live baselines need ``RTSTOCK_ODOO_BIN``/``_PYTHON``/``_CONF``
(or, for XML-RPC only, a running server: ``RTSTOCK_ODOO_URL``,
``RTSTOCK_ODOO_DB``, ``RTSTOCK_ODOO_LOGIN``, ``RTSTOCK_ODOO_PASSWORD``).
"""

from __future__ import annotations

import json
import os
import random
import time
import xmlrpc.client
from concurrent.futures import ThreadPoolExecutor

import psycopg2

from ingest_core.commit.journal import Journal
from ingest_core.commit.writer import GroupCommitWriter, _Pending
from ingest_core.resolve.operations import route
from ingest_core.resolve.pipeline import PreparedBatch, ResolvedRead
from ingest_core.resolve.reference import ReferenceData


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
                journal._materialise(cur, *journal.claim(cur, 10))
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


def _xmlrpc_targets(models, db: str, uid: int, password: str) -> dict:
    """S01's (else the first store's) stock location, delivery type, customers, products."""
    def call(model, method, *args, **kwargs):
        return models.execute_kw(db, uid, password, model, method, list(args), kwargs)

    warehouses = call("stock.warehouse", "search_read", [("code", "=", "S01")],
                      fields=["lot_stock_id", "out_type_id"]) or call(
        "stock.warehouse", "search_read", [], fields=["lot_stock_id", "out_type_id"], limit=1,
        order="id desc")
    customers = call("ir.model.data", "search_read",
                     [("module", "=", "stock"), ("name", "=", "stock_location_customers")],
                     fields=["res_id"])[0]["res_id"]
    products = call("product.product", "search_read", [("is_storable", "=", True)],
                    fields=["uom_id"], limit=500, order="id")
    if not warehouses or not products:
        raise RuntimeError(f"database {db} has no warehouse or no storable product")
    return {"stock": warehouses[0]["lot_stock_id"][0],
            "out_type": warehouses[0]["out_type_id"][0], "customers": customers,
            "products": [(p["id"], p["uom_id"][0]) for p in products]}


def xmlrpc_per_scan(scans: int, clients: int = 4, seconds: float = 60.0, *,
                    url: str | None = None, db: str | None = None, login: str | None = None,
                    password: str | None = None) -> dict:
    """Per scan: create a picking store stock -> Customers, confirm, validate (live Odoo).

    Targets (``url``, ``db``, ``login``, ``password``) default to
    ``RTSTOCK_ODOO_URL``/``_DB``/``_LOGIN``/``_PASSWORD``; the warehouse, picking
    type, locations and products are looked up in that database.
    """
    url = (url or os.environ["RTSTOCK_ODOO_URL"]).rstrip("/")
    db = db or os.environ["RTSTOCK_ODOO_DB"]
    login = login or os.environ.get("RTSTOCK_ODOO_LOGIN", "admin")
    password = password or os.environ.get("RTSTOCK_ODOO_PASSWORD", "admin")
    uid = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common").authenticate(db, login,
                                                                           password, {})
    if not uid:
        raise RuntimeError(f"XML-RPC login {login!r} to {db} at {url} failed")
    targets = _xmlrpc_targets(xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object",
                                                        allow_none=True), db, uid, password)
    deadline = time.monotonic() + seconds

    def one_client(number: int) -> list[float]:
        models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object", allow_none=True)
        rng = random.Random(number)
        latencies = []
        for _ in range(scans // clients):
            if time.monotonic() > deadline:
                break
            begin = time.monotonic()
            product_id, uom_id = rng.choice(targets["products"])
            source, destination = targets["stock"], targets["customers"]
            picking = models.execute_kw(db, uid, password, "stock.picking", "create", [{
                "picking_type_id": targets["out_type"], "location_id": source,
                "location_dest_id": destination,
                "move_ids": [(0, 0, {"name": "scan", "product_id": product_id,
                                     "product_uom_qty": 1, "product_uom": uom_id,
                                     "location_id": source, "location_dest_id": destination})]}])
            models.execute_kw(db, uid, password, "stock.picking", "action_confirm", [[picking]])
            models.execute_kw(db, uid, password, "stock.picking", "button_validate", [[picking]])
            latencies.append(time.monotonic() - begin)
        return latencies

    started = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        latencies = sorted(x for part in pool.map(one_client, range(clients)) for x in part)
    elapsed = time.monotonic() - started
    return {"events": len(latencies), "seconds": round(elapsed, 3), "clients": clients,
            "events_per_s": round(len(latencies) / elapsed, 2),
            "p99_ms": round(latencies[max(int(len(latencies) * 0.99) - 1, 0)] * 1000, 1)
            if latencies else None}


# --------------------------------------------------------------------------- live Odoo

_ADMIN_PASSWORD_CODE = r'''
env.ref("base.user_admin").password = PASSWORD
env.cr.commit()
print(RESULT_MARKER + json.dumps({"ok": True}))
'''


def orm_batched(live, dbname: str, chain: dict, events: int = 1000,
                batch: int = 50) -> dict:
    """Sales applied in-process through the ORM, ``batch`` moves a picking (events/s).

    Runs ``odoo_chain.APPLY_CODE`` in ``odoo-bin shell``: per batch one picking
    per store, confirmed, its move lines set, ``button_validate``, committed;
    the clock runs around the batches only (not Odoo's start).
    """
    from ingest_core.bench import odoo_chain

    chunks = odoo_chain.generate_movements(chain, events, chunk_size=batch, seed=7,
                                           weights=(("sale", 1),))
    payload = json.dumps({"chain": chain, "chunks": chunks, "commit_each_chunk": True})
    result = live.shell(dbname, f"PARAMS = {json.dumps(payload)}\n" + odoo_chain.APPLY_CODE)
    return {"events": result["movements"], "seconds": round(result["seconds"], 3),
            "batch": batch, "events_per_s": round(result["movements"] / result["seconds"], 2)}


def live_odoo_baselines(xmlrpc_scans: int, orm_events: int, progress=print) -> dict:
    """``odoo_xmlrpc_per_scan`` and ``odoo_orm_batched`` against the live Odoo, if any.

    With ``RTSTOCK_ODOO_BIN``/``_PYTHON``/``_CONF`` (``docs/live-odoo.md``) a
    database is made from ``RTSTOCK_ODOO_TEMPLATE`` (default ``rrs_base``: stock +
    point_of_sale) with the chain of ``odoo_chain`` (2 stores, 100 products,
    real-time valuation), served by ``odoo-bin`` on a free loopback port for
    XML-RPC (unless ``RTSTOCK_ODOO_URL``/``_DB`` name a running server), and
    dropped afterwards. Entries that cannot run say why under ``skipped``.
    """
    from ingest_core.bench import odoo_chain
    from ingest_core.bench.odoo_live import LiveOdoo, LiveOdooUnavailable
    from ingest_core.bench.process import free_port

    results: dict = {}
    try:
        live = LiveOdoo.from_env()
    except LiveOdooUnavailable as error:
        live, why = None, f"no live Odoo: {error} (see docs/live-odoo.md)"
        results["odoo_orm_batched"] = {"skipped": why}
        if odoo_xmlrpc_configured():
            progress("baseline: XML-RPC per scan against RTSTOCK_ODOO_URL...")
            results["odoo_xmlrpc_per_scan"] = xmlrpc_per_scan(xmlrpc_scans)
        else:
            results["odoo_xmlrpc_per_scan"] = {"skipped": why + "; or set RTSTOCK_ODOO_URL, "
                                               "RTSTOCK_ODOO_DB"}
        return results
    template = os.environ.get("RTSTOCK_ODOO_TEMPLATE", "rrs_base")
    if not live.db_exists(template):
        why = f"template database {template!r} (stock + point_of_sale) not found"
        return {"odoo_xmlrpc_per_scan": {"skipped": why}, "odoo_orm_batched": {"skipped": why}}
    dbname = f"rrs_bench_{os.getpid()}"
    progress(f"live Odoo: preparing database {dbname} from {template}...")
    try:
        live.create_db(dbname, template)
        params = odoo_chain.setup_params(products=100, lot_tracked=0, opening=100_000.0)
        chain = live.shell(dbname, f"PARAMS = {json.dumps(json.dumps(params))}\n"
                           + odoo_chain.SETUP_CODE)
        password = "rtstock-bench"
        live.shell(dbname, f"PASSWORD = {password!r}\n" + _ADMIN_PASSWORD_CODE)
        if odoo_xmlrpc_configured():
            progress("baseline: XML-RPC per scan against RTSTOCK_ODOO_URL...")
            results["odoo_xmlrpc_per_scan"] = xmlrpc_per_scan(xmlrpc_scans)
        else:
            progress("baseline: XML-RPC per scan against odoo-bin on 127.0.0.1...")
            with live.server(dbname, free_port()) as server:
                results["odoo_xmlrpc_per_scan"] = {
                    **xmlrpc_per_scan(xmlrpc_scans, url=server.url, db=dbname, login="admin",
                                      password=password),
                    "server": "odoo-bin --workers 0 on 127.0.0.1 (started by the bench)"}
        progress(f"baseline: batched ORM in odoo-bin shell, {orm_events} sales...")
        results["odoo_orm_batched"] = orm_batched(live, dbname, chain, orm_events)
    finally:
        live.drop_db(dbname)
    return results
