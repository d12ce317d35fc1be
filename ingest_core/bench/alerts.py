"""``rtstock bench alerts``: how fast a crossing becomes an alert and a bus message, and
what the alert triggers cost the scan benchmark's throughput.

What it is: one run on the genuine Odoo 18 database (or ``--dsn``), with the
scan benchmark's devices and load (``loadgen``, products by a Zipf law) and
automatic reorder rules on every product the load sells, in both stores, their
min at 95 % of the opening on-hand (the sellers cross during the run and stay
under: every further sale updates their open alert, the worst steady case).

1. Throughput: closed-loop scan phases with the alert triggers off and on,
   alternated (off, on, off, on) from a settled database; the ratio of the
   means is the triggers' cost.
2. Latency, under the load at half the scan target (open loop): a probe
   device sells 3 units of products the load leaves alone, each with a rule
   whose min is 2 under its on-hand, so every probe read crosses once. From
   the moment the probe sends: the alert committed (the journal raises the
   fast path's alerts in the transaction that writes the reads' moves; its
   rows are looked for every 10 ms), and the first sight of the
   alert's ``bus_bus`` message by a subscriber that waits as Odoo's bus
   dispatcher waits (LISTEN ``imbus`` in the ``postgres`` database, then read
   the new rows): the message reaches a web client one websocket hop later.
3. Checks: one open ``below_min`` alert and one pending request per probe,
   each naming the probe's read; no group fallback, no ingest error.

4. Where a live Odoo is configured (``docs/live-odoo.md``): read -> RFQ made
   by Odoo's own procurement from the request (``alerts_live``).

Caveats: everything shares this machine's two cores.
"""

from __future__ import annotations

import json
import select
import statistics
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import httpx
import psycopg2
import psycopg2.extensions

from ingest_core.bench import alerts_live, scan, stats
from ingest_core.bench.database import bench_database, in_transaction
from ingest_core.bench.loadgen import load_as_dict, load_in_process
from ingest_core.bench.process import IngestProcess, post_reads
from ingest_core.commit.journal import drain
from ingest_core.odoo import alerts, sql
from ingest_core.odoo.catalog import ean13
from ingest_core.resolve.devices import provision

#: Catalog indexes the load sells (Zipf over them); the ones after are the probes' (the
#: catalog's last 50 are lot-tracked: a probe scan would need a lot).
LOAD_PRODUCTS = 1750
PROBES = 200
#: The stores of the genuine dump: (warehouse, stock location).
STORES = ((2, 18), (3, 24))
PROBE_SALE = 3
PROBE_MARGIN = 2  # the probe rule's min is this far under the on-hand: one sale crosses it
RULE_SHARE = 0.95
POLL_S = 0.01  # the watcher's resolution for committed alerts


@dataclass
class AlertBenchOptions:
    dsn: str | None = None
    seconds: float = 15.0
    devices: int = 16
    batch: int = 100
    probes: int = PROBES


def run(options: AlertBenchOptions, progress=print) -> dict:
    with bench_database(options.dsn, "bench_alerts") as (dsn, source, _server):
        return {"database": source, **_run(dsn, options, progress)}


def _run(dsn: str, options: AlertBenchOptions, progress) -> dict:
    tokens = [provision(dsn, name=f"alerts-{n}", warehouse_id=STORES[n % 2][0],
                        location_id=STORES[n % 2][1], allowed=("sale", "receipt"))[1]
              for n in range(options.devices)]
    probe_token = provision(dsn, name="alerts-probe", warehouse_id=STORES[0][0],
                            location_id=STORES[0][1], allowed=("sale", "receipt"))[1]
    probes = [ean13(LOAD_PRODUCTS + n) for n in range(options.probes)]
    rules = in_transaction(dsn, lambda cur: sum(
        len(alerts.add_orderpoints(cur, warehouse, location,
                                   [ean13(n) for n in range(LOAD_PRODUCTS)], RULE_SHARE))
        for warehouse, location in STORES))
    ingest = IngestProcess(dsn, fail_on_fallback=False).start()
    result: dict = {"rules_on_load_products": rules, "probes": options.probes}
    try:
        progress("warming up, stocking the probe products...")
        post_reads(ingest.url, probe_token, [
            {"key": f"stock-{code}", "code": code, "op": "receipt", "qty": 10}
            for code in probes])
        probe_rules = in_transaction(dsn, lambda cur: alerts.add_orderpoints(
            cur, *STORES[0], probes, 1.0, PROBE_MARGIN))
        load_in_process(ingest.url, tokens, batch=options.batch, products=LOAD_PRODUCTS,
                        seconds=2.0)
        result["throughput"] = _throughput(dsn, ingest, tokens, options, progress)
        scan.settle(dsn)
        progress(f"{options.probes} crossings under the scan load at half its target "
                 f"({scan.TARGET_EVENTS_PER_S // 2:,} reads/s)...")
        result["latency"] = _latency(dsn, ingest, tokens, probe_token, probes, options)
    finally:
        errors = ingest.errors()
        ingest.stop()
    drain(dsn)
    result["live_odoo"] = alerts_live.live_procurement(progress=progress)
    found = in_transaction(dsn, lambda cur: alerts.alerts_of(cur, list(probe_rules.values())))
    result["checks"] = {
        "one_open_below_min_per_probe": sorted(
            (k, s) for _op, k, s, _e in found if k == "below_min") ==
        [("below_min", "open")] * options.probes,
        "one_pending_request_per_probe": sorted(
            s for _op, k, s, _e in found if k == "request") == ["pending"] * options.probes,
        "every_alert_names_its_read": all(e is not None for *_x, e in found),
        "group_fallbacks": ingest.fallbacks,
        "ingest_errors": errors[:5],
    }
    return result


def _throughput(dsn: str, ingest: IngestProcess, tokens: list[str],
                options: AlertBenchOptions, progress) -> dict:
    rates: dict[str, list[float]] = {"off": [], "on": []}
    for state in ("off", "on", "off", "on"):
        in_transaction(dsn, lambda cur, state=state: alerts.set_enabled(cur, state == "on"))
        scan.settle(dsn)
        progress(f"scan load, closed loop, alerts {state}, {options.seconds:.0f} s...")
        rates[state].append(load_in_process(
            ingest.url, tokens, batch=options.batch, products=LOAD_PRODUCTS,
            seconds=options.seconds)["events_per_s"])
    off, on = statistics.mean(rates["off"]), statistics.mean(rates["on"])
    return {"events_per_s_alerts_off": round(off), "events_per_s_alerts_on": round(on),
            "phases_off": rates["off"], "phases_on": rates["on"],
            "on_vs_off_pct": round((on / off - 1) * 100, 1) if off else None}


def _latency(dsn: str, ingest: IngestProcess, tokens: list[str], probe_token: str,
             probes: list[str], options: AlertBenchOptions) -> dict:
    product_of = in_transaction(dsn, lambda cur: alerts.product_ids(cur, probes))
    watcher = _Watcher(dsn, list(product_of.values()))
    watcher.start()
    sent: dict[int, float] = {}
    with ProcessPoolExecutor(1) as pool:
        load = pool.submit(load_as_dict, ingest.url, tokens, batch=options.batch,
                           products=LOAD_PRODUCTS, seconds=options.seconds,
                           rate=scan.TARGET_EVENTS_PER_S / 2)
        time.sleep(1.0)  # the load under way
        spacing = max(options.seconds - 2.0, 1.0) / len(probes)
        with httpx.Client(timeout=30) as client:
            for code in probes:
                started = time.perf_counter()
                sent[product_of[code]] = started
                post_reads(ingest.url, probe_token, [{"key": f"probe-{code}", "code": code,
                                                      "op": "sale", "qty": PROBE_SALE}], client)
                time.sleep(max(0.0, started + spacing - time.perf_counter()))
        loaded = load.result()
    watcher.stop(timeout=10.0)
    committed = [(watcher.committed[p] - t) * 1000.0 for p, t in sent.items()
                 if p in watcher.committed]
    bus = [(watcher.bus[p] - t) * 1000.0 for p, t in sent.items() if p in watcher.bus]
    return {"load_events_per_s": loaded["events_per_s"], "load_p99_ms": loaded["p99_ms"],
            **_percentiles("alert_committed", committed),
            **_percentiles("bus_seen", bus),
            "alerts_seen": len(committed), "bus_messages_seen": len(bus)}


def _percentiles(name: str, values: list[float]) -> dict:
    return {f"{name}_p50_ms": round(statistics.median(values), 1) if values else None,
            f"{name}_p99_ms": round(stats.p99(values), 1) if values else None}


class _Watcher:
    """Sees the probes' alerts committed (their rows, looked for every ``POLL_S``) and
    their bus messages as Odoo's bus dispatcher does (LISTEN ``imbus`` in the
    ``postgres`` database, then read the ``bus_bus`` rows after the last one seen)."""

    def __init__(self, dsn: str, products: list[int]) -> None:
        params = psycopg2.extensions.parse_dsn(dsn)
        self._products = products
        self._db = self._connect(params)
        self._imbus = self._connect({**params, "dbname": "postgres"})
        self._stop = threading.Event()
        self.committed: dict[int, float] = {}
        self.bus: dict[int, float] = {}
        self._thread = threading.Thread(target=self._run, name="bench-alert-watcher",
                                        daemon=True)
        with self._db.cursor() as cur:
            cur.execute("SELECT coalesce(max(id), 0) FROM bus_bus")
            self._last = cur.fetchone()[0]

    @staticmethod
    def _connect(params: dict):
        connection = psycopg2.connect(**params)
        connection.autocommit = True
        return connection

    def start(self) -> None:
        with self._imbus.cursor() as cur:
            cur.execute("LISTEN imbus")
        self._thread.start()

    def stop(self, timeout: float) -> None:
        wanted = set(self._products)
        deadline = time.monotonic() + timeout
        while not wanted <= set(self.bus) and time.monotonic() < deadline:
            time.sleep(0.05)
        self._stop.set()
        self._thread.join(5)
        self._imbus.close()
        self._db.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            ready = select.select([self._imbus], [], [], POLL_S)[0]
            now = time.perf_counter()
            for connection in ready:
                connection.poll()
                connection.notifies.clear()
            with self._db.cursor() as cur:
                if len(self.committed) < len(self._products):
                    for product in alerts.products_alerted(cur, self._products, "below_min"):
                        self.committed.setdefault(product, now)
                if ready:
                    while rows := sql.read_bus_messages(cur, self._last):
                        self._last = rows[-1][0]
                        for _id, _channel, message in rows:
                            if '"rrs_alert"' in message:
                                payload = json.loads(message)["payload"]
                                self.bus.setdefault(payload["product_id"], now)


def table(result: dict) -> str:
    """A readable table of the JSON result."""
    through, latency, checks = result["throughput"], result["latency"], result["checks"]
    return "\n".join([
        f"database: {result['database']}; {result['rules_on_load_products']:,} reorder rules "
        f"on the load's products; {result['probes']} probe crossings",
        f"{'scan load, closed loop':<40}{'events/s':>12}",
        f"{'  alerts off':<40}{through['events_per_s_alerts_off']:>12,}",
        f"{'  alerts on':<40}{through['events_per_s_alerts_on']:>12,}"
        f"   ({through['on_vs_off_pct']:+.1f} %)",
        f"{'crossing under half-target load':<40}{'p50 ms':>12}{'p99 ms':>9}",
        f"{'  read -> alert committed':<40}{latency['alert_committed_p50_ms'] or 0:>12.1f}"
        f"{latency['alert_committed_p99_ms'] or 0:>9.1f}"
        f"   ({latency['alerts_seen']} of {result['probes']} seen)",
        f"{'  read -> bus message seen':<40}{latency['bus_seen_p50_ms'] or 0:>12.1f}"
        f"{latency['bus_seen_p99_ms'] or 0:>9.1f}"
        f"   ({latency['bus_messages_seen']} of {result['probes']} seen)",
        f"load meanwhile: {latency['load_events_per_s']:,.0f} events/s, p99 "
        f"{latency['load_p99_ms']} ms",
        _live_line(result["live_odoo"]),
        "checks: " + ", ".join(f"{k}={v}" for k, v in checks.items()),
    ])


def _live_line(live: dict) -> str:
    if "skipped" in live:
        return f"read -> RFQ by Odoo's procurement (live harness): skipped: {live['skipped']}"
    return (f"read -> RFQ by Odoo's procurement (live harness): p50 "
            f"{live['read_to_rfq_p50_ms']} ms, p99 {live['read_to_rfq_p99_ms']} ms "
            f"({live['ordered']} of {live['crossings']} ordered; one line a rule: "
            f"{live['one_rfq_line_per_rule']}; Odoo's quantity: "
            f"{live['rfq_quantity_is_max_minus_on_hand']})")
