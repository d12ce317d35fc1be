"""The live phase of ``rtstock bench alerts``: from a read to Odoo's own RFQ.

What it is: on the live harness (``docs/live-odoo.md``), a database from the
template (stock, point_of_sale, purchase) with the add-on installed, products
bought from a vendor (route *Buy*) with automatic reorder rules (min 5, max
20) and 10 units on hand; ``odoo-bin`` serving it with one cron thread and
``rtstock serve`` on it. Each product's sale of 6 crosses its rule's min: the
figure is the time from the read's POST to the purchase order line Odoo's
procurement made for the rule (looked for every ``POLL_S``), and each rule must
end with exactly one line of Odoo's quantity (max - on hand).

How it works: the ingest's journal raises the alert and the request, the
relay wakes Odoo's cron, the add-on's job calls the rule's procurement, as
*Order once* does. Odoo's code runs in Odoo; nothing of it is copied here.

Caveats: Odoo runs with ``--workers 0`` (threaded) and one cron thread, on
the same two cores as the ingest and PostgreSQL.
"""

from __future__ import annotations

import json
import os
import statistics
import time

import httpx
import psycopg2

from ingest_core.bench.database import in_transaction
from ingest_core.bench.odoo_live import LiveOdoo, LiveOdooUnavailable
from ingest_core.bench.process import IngestProcess, free_port, post_reads
from ingest_core.bench.stats import p99
from ingest_core.odoo import alerts
from ingest_core.odoo.catalog import ean13
from ingest_core.odoo.check import check
from ingest_core.resolve.devices import provision

MINIMUM, MAXIMUM, OPENING, SALE = 5.0, 20.0, 10.0, 6.0
TIMEOUT_S = 180.0
POLL_S = 0.1

SETUP_CODE = r'''
from datetime import timedelta
from odoo import fields
params = json.loads(PARAMS)
env = env(context=dict(env.context, tracking_disable=True, mail_create_nolog=True,
                       mail_notrack=True))
warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
vendor = env["res.partner"].create({"name": "RRS bench vendor"})
buy = env.ref("purchase_stock.route_warehouse0_buy")
products = env["product.product"]
for n, barcode in enumerate(params["barcodes"]):
    products |= env["product.product"].create({
        "name": "RRS alert bench %03d" % n, "barcode": barcode,
        "is_storable": True, "type": "consu", "route_ids": [(6, 0, buy.ids)],
        "seller_ids": [(0, 0, {"partner_id": vendor.id, "min_qty": 0, "price": 1.0,
                               "delay": 1})]})
Quant = env["stock.quant"].with_context(inventory_mode=True)
quants = Quant.browse()
for product in products:
    quants |= Quant.create({"product_id": product.id, "location_id": warehouse.lot_stock_id.id,
                            "inventory_quantity": params["opening"]})
quants.action_apply_inventory()
rules = env["stock.warehouse.orderpoint"].create([{
    "product_id": product.id, "warehouse_id": warehouse.id,
    "location_id": warehouse.lot_stock_id.id, "trigger": "auto",
    "product_min_qty": params["minimum"], "product_max_qty": params["maximum"]}
    for product in products])
# Odoo's own jobs wait for tomorrow, as a store's nightly scheduler would: on a
# fresh database they are due, and the first cron pass (procurement scheduler
# included) would order the first crossing itself.
ours = env.ref("retail_realtime_stock.ir_cron_rrs_alert_actions")
env["ir.cron"].search([("id", "!=", ours.id)]).write(
    {"nextcall": fields.Datetime.now() + timedelta(days=1)})
env.cr.commit()
print(RESULT_MARKER + json.dumps({
    "warehouse": warehouse.id, "location": warehouse.lot_stock_id.id,
    "barcodes": products.mapped("barcode"), "rules": dict(zip(products.mapped("barcode"),
                                                                rules.ids))}))
'''


def live_procurement(crossings: int = 20, progress=print) -> dict:
    """Read → RFQ on the live harness; ``{"skipped": why}`` where there is none."""
    try:
        live = LiveOdoo.from_env()
    except LiveOdooUnavailable as error:
        return {"skipped": f"no live Odoo: {error} (see docs/live-odoo.md)"}
    template = os.environ.get("RTSTOCK_ODOO_TEMPLATE", "rrs_base")
    if not live.db_exists(template):
        return {"skipped": f"template database {template!r} not found (docs/live-odoo.md)"}
    dbname = f"rrs_bench_alerts_{os.getpid()}"
    progress(f"live Odoo: {dbname} from {template}, add-on installed, {crossings} "
             "products bought from a vendor with automatic reorder rules...")
    live.create_db(dbname, template)
    try:
        live.install(dbname, "retail_realtime_stock")
        params = {"barcodes": [ean13(9000 + n) for n in range(crossings)],
                  "opening": OPENING, "minimum": MINIMUM, "maximum": MAXIMUM}
        setup = live.shell(dbname, f"PARAMS = {json.dumps(json.dumps(params))}\n"
                           + SETUP_CODE)
        dsn = live.db_dsn(dbname)
        _checked(dsn)
        token = provision(dsn, name="alerts-live", warehouse_id=setup["warehouse"],
                          location_id=setup["location"], allowed=("sale",))[1]
        progress("live Odoo: odoo-bin with a cron thread, rtstock serve, one crossing "
                 "a second...")
        with live.server(dbname, free_port(), cron_threads=1), \
                IngestProcess(dsn, fail_on_fallback=False) as ingest:
            return _measure(dsn, ingest, token, setup)
    finally:
        live.drop_db(dbname)


def _checked(dsn: str) -> None:
    connection = psycopg2.connect(dsn)
    try:
        report = check(connection)
    finally:
        connection.close()
    if report.exit_code:
        raise RuntimeError(f"rtstock db check fails on the live database: {report}")


def _measure(dsn: str, ingest: IngestProcess, token: str, setup: dict) -> dict:
    rules = {int(rule) for rule in setup["rules"].values()}
    sent: dict[int, float] = {}
    ordered: dict[int, float] = {}
    with httpx.Client(timeout=30) as client:
        for barcode in setup["barcodes"]:
            sent[setup["rules"][barcode]] = time.perf_counter()
            post_reads(ingest.url, token, [{"key": f"live-{barcode}", "code": barcode,
                                            "op": "sale", "qty": SALE}], client)
            _watch(dsn, rules, ordered, time.perf_counter() + 1.0)  # one crossing a second
    _watch(dsn, rules, ordered, time.perf_counter() + TIMEOUT_S)
    latencies = [(ordered[rule] - sent[rule]) * 1000.0 for rule in sent if rule in ordered]
    lines = in_transaction(dsn, lambda cur: alerts.rfq_lines(cur, list(rules)))
    requests = in_transaction(dsn, lambda cur: alerts.request_states(cur, list(rules)))
    expected = MAXIMUM - (OPENING - SALE)
    return {
        "crossings": len(rules), "ordered": len(latencies),
        "read_to_rfq_p50_ms": round(statistics.median(latencies)) if latencies else None,
        "read_to_rfq_p99_ms": round(p99(latencies)) if latencies else None,
        "read_to_rfq_max_ms": round(max(latencies)) if latencies else None,
        "one_rfq_line_per_rule": all(len(lines.get(rule, [])) == 1 for rule in rules),
        "rfq_quantity_is_max_minus_on_hand": all(
            lines.get(rule) == [expected] for rule in rules),
        "requests": {state: list(requests.values()).count(state)
                     for state in sorted(set(requests.values()))},
    }


def _watch(dsn: str, rules: set[int], ordered: dict[int, float], until: float) -> None:
    """Note when each rule's RFQ line appears, looking every ``POLL_S`` until ``until``
    (or until every rule has one)."""
    connection = psycopg2.connect(dsn)
    connection.autocommit = True
    try:
        while time.perf_counter() < until and len(ordered) < len(rules):
            with connection.cursor() as cur:
                found = alerts.rfq_lines(cur, list(rules - set(ordered)))
            now = time.perf_counter()
            for rule in found:
                ordered.setdefault(rule, now)
            time.sleep(POLL_S)
    finally:
        connection.close()
