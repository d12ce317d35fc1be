"""``rtstock demo``: the whole product on one machine, no Odoo needed.

What it is: an embedded PostgreSQL with the genuine Odoo 18 database (the own
Odoo-compatible schema where ``shared/odoo18`` is absent) holding a real year
of sales, imported once and then restored from a cache
(``ingest_core.demo.history``), or ``--dsn`` an existing Odoo database; the
ingest service on loopback, store scanners simulated over HTTP selling the
history's products, and a live terminal table of throughput and of the stock
changes the bus announces.

How it works: the database and ingest run in this process (ingest in a
uvicorn thread); each simulated scanner is an asyncio task posting batches
drawn from the seeded store-day profiles of ``hardware.simulators``, its
barcodes relabelled to the history's best sellers (``HistoryState.relabel``). The
table reads ``bus_bus`` (what Odoo's web client would receive) through the
ingest's own SQL module, and the counters from the ingest's replies.

While the scanners sell, the ingest's scheduler forecasts the year's demand and
sets the reorder rules (``ingest_core.demo.decisions``); the demo ends by
saying what that did and how many GS1 EPCIS events its movements made.

Caveats: the demo database lives in a temp dir and is removed on exit
unless ``--keep`` is given; Ctrl-C stops everything cleanly. The first run
imports the history (minutes, with a progress bar); ``--no-history`` starts
without it, ``--rebuild-history`` imports it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import secrets
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import psycopg2
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table

from hardware.simulators import profiles
from ingest_core.config import Settings
from ingest_core.demo import decisions
from ingest_core.demo.history import HistoryOptions, HistoryState, banner, prepare
from ingest_core.odoo import sql
from ingest_core.odoo.check import check
from ingest_core.resolve.devices import provision

STORES = ((2, 18, "S01"), (2, 18, "S01"), (3, 24, "S02"))
#: Most products a delivery from the distribution centre brings (the lowest first): the
#: first one restocks what the year left short (a few thousand lines), then the day's.
DELIVERY_LINES = 5000


@dataclass
class DemoOptions:
    dsn: str | None = None
    port: int = 8700
    scanners: int = 3
    rate: float = 1500.0  # reads per second, all scanners together
    batch: int = 20
    duration: float | None = None
    profile: str = "black_friday"
    seed: int = 1
    keep: bool = False
    history: HistoryOptions = field(default_factory=HistoryOptions)
    #: Every this many seconds a delivery from the distribution centre is scanned in at
    #: each store: the products below ``restock_below`` brought up to ``restock_to``.
    #: (The peak-day profile sells a hot product ~180 units in 10 s: below must exceed it.)
    restock_every_s: float = 10.0
    restock_below: float = 200.0
    restock_to: float = 400.0


def _provision(dsn: str, scanners: int) -> list[tuple[str, str]]:
    """Demo devices with fresh tokens (shown once, like the add-on's "Generate token")."""
    devices = []
    for number in range(scanners):
        warehouse, location, code = STORES[number % len(STORES)]
        name = f"{code}-DEMO-{number + 1}-{secrets.token_hex(2)}"
        _id, token = provision(dsn, name=name, warehouse_id=warehouse, location_id=location,
                               allowed=("sale", "return", "receipt", "scrap"))
        devices.append((name, token))
    return devices


def _relabelled(code: str, relabel: dict[str, str]) -> str:
    """The history's product for a simulator scan: by its EAN-13, or by the GTIN of a GS1
    string with a lot (a lot-tracked catalogue product: the history's are not)."""
    if code in relabel:
        return relabel[code]
    if code.startswith("010") and relabel:  # (01) GTIN-14 = 0 + EAN-13, then (10) lot
        return relabel.get(code[3:16], code)
    return code


def _provision_docks(dsn: str) -> list[tuple[int, str, str]]:
    """(stock location, store code, token) of a receiving dock scanner per store: where
    the distribution centre's deliveries are scanned in."""
    docks = []
    for warehouse, location, code in dict.fromkeys(STORES):
        _id, token = provision(dsn, name=f"{code}-DC-DOCK-{secrets.token_hex(2)}",
                               warehouse_id=warehouse, location_id=location,
                               allowed=("receipt",))
        docks.append((location, code, token))
    return docks


class _Stats:
    def __init__(self) -> None:
        self.fates: Counter[str] = Counter()
        self.reasons: Counter[str] = Counter()
        self.window: deque[tuple[float, int]] = deque()
        self.latencies: deque[float] = deque(maxlen=2000)
        self.changes: deque[tuple[str, int, int, float]] = deque(maxlen=12)
        self.alerts: Counter[tuple[str, str]] = Counter()  # (kind, open/closed) messages
        self.deliveries: Counter[str] = Counter()  # store code -> units delivered
        self.started = time.monotonic()

    def record(self, results: list[dict], latency: float) -> None:
        now = time.monotonic()
        self.window.append((now, len(results)))
        while self.window and now - self.window[0][0] > 5:
            self.window.popleft()
        self.latencies.append(latency)
        for fate in results:
            self.fates[fate["status"]] += 1
            if fate["reason_code"]:
                self.reasons[fate["reason_code"]] += 1

    def rate(self) -> float:
        if len(self.window) < 2:
            return 0.0
        span = max(self.window[-1][0] - self.window[0][0], 1e-3)
        return sum(n for _t, n in self.window) / span


async def _scanner(url: str, token: str, options: DemoOptions, number: int, stats: _Stats,
                   stop: asyncio.Event, relabel: dict[str, str]) -> None:
    per_scanner = options.rate / options.scanners
    reads = profiles.generate(options.profile, options.seed + number, 10**9,
                              rate_per_s=per_scanner)
    keys = itertools.count()
    started = time.monotonic()
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"},
                                 timeout=30) as client:
        while not stop.is_set():
            batch = [next(reads) for _ in range(options.batch)]
            wait = started + batch[-1].at_s - time.monotonic()
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), wait)
            body = {"reads": [{"key": f"demo-{number}-{next(keys)}",
                               "code": _relabelled(r.code, relabel),
                               "op": r.op, "qty": r.qty} for r in batch]}
            sent = time.monotonic()
            while not stop.is_set():
                try:
                    response = await client.post(f"{url}/v1/reads", json=body)
                except httpx.HTTPError:
                    await asyncio.sleep(0.5)
                    continue
                if response.status_code == 200:
                    stats.record(response.json()["results"], time.monotonic() - sent)
                    break
                await asyncio.sleep(float(response.headers.get("retry-after", "1")))


async def _restock(url: str, dsn: str, docks: list[tuple[int, str, str]],
                   options: DemoOptions, stats: _Stats, stop: asyncio.Event) -> None:
    """The distribution centre: every ``restock_every_s`` a delivery per store, scanned in
    at its dock (receipts through the ingest like any other reads), of the products the
    store runs low on. A chain's stores are replenished so; without it a store's best
    sellers run far below zero within minutes of the demo's peak-day selling."""
    deliveries = itertools.count()
    async with httpx.AsyncClient(timeout=30) as client:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), options.restock_every_s)
            if stop.is_set():
                return
            for location, code, token in docks:
                low = await asyncio.to_thread(_low_stock, dsn, location, options.restock_below)
                if low:
                    await _deliver(client, url, token, code, next(deliveries), low, options,
                                   stats)


async def _deliver(client: httpx.AsyncClient, url: str, token: str, code: str, number: int,
                   low: list[tuple[str, float]], options: DemoOptions, stats: _Stats) -> None:
    """One delivery scanned in at a store's dock, resent until it is taken."""
    reads = [{"key": f"dc-{number}-{n}", "code": barcode, "op": "receipt",
              "qty": round(options.restock_to - quantity)}
             for n, (barcode, quantity) in enumerate(low)]
    for attempt in range(10):
        try:
            response = await client.post(f"{url}/v1/reads", json={"reads": reads},
                                         headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError:
            response = None
        if response is not None and response.status_code == 200:
            applied = {r["key"] for r in response.json()["results"] if r["status"] == "applied"}
            stats.deliveries[code] += sum(read["qty"] for read in reads
                                          if read["key"] in applied)
            return
        await asyncio.sleep(0.5 * (attempt + 1))


def _low_stock(dsn: str, location: int, below: float) -> list[tuple[str, float]]:
    connection = psycopg2.connect(dsn)
    try:
        with connection.cursor() as cur:
            return sql.low_stock(cur, location, below, DELIVERY_LINES)
    finally:
        connection.close()


def _bus_reader(dsn: str, stats: _Stats, names: dict[int, str], stop: threading.Event) -> None:
    connection = psycopg2.connect(dsn)
    connection.autocommit = True
    last = 0
    try:
        while not stop.wait(0.5):
            with connection.cursor() as cur:
                for message_id, _channel, message in sql.read_bus_messages(cur, last):
                    last = message_id
                    body = json.loads(message)
                    if body.get("type") == "rrs_alert":
                        stats.alerts[body["payload"]["kind"], body["payload"]["state"]] += 1
                    if body.get("type") != "rrs_stock/quants":
                        continue
                    for product, location, _lot, quantity in body["payload"]["quants"][-3:]:
                        stats.changes.appendleft((names.get(product, str(product)), location,
                                                  body["payload"]["warehouse_id"], quantity))
    finally:
        connection.close()


def _render(stats: _Stats, url: str, devices: int, history: str,
            places: tuple[dict[int, str], dict[int, str]]) -> Group:
    summary = Table(title=f"rtstock demo - ingest at {url} (API docs: {url}/docs)",
                    show_header=True)
    for column in ("reads/s (5 s)", "applied", "duplicate", "rejected", "ack p99 ms",
                   "devices", "uptime s"):
        summary.add_column(column, justify="right")
    latencies = sorted(stats.latencies)
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000 if latencies else 0.0
    summary.add_row(f"{stats.rate():,.0f}", f"{stats.fates['applied']:,}",
                    f"{stats.fates['duplicate']:,}", f"{stats.fates['rejected']:,}",
                    f"{p99:.1f}", str(devices), f"{time.monotonic() - stats.started:.0f}")
    changes = Table(title="Live stock (from bus.bus, as Odoo's web client receives it)")
    for column in ("product", "location", "store", "on hand"):
        changes.add_column(column)
    locations, stores = places
    for name, location, warehouse, quantity in stats.changes:
        changes.add_row(name, locations.get(location, str(location)),
                        stores.get(warehouse, str(warehouse)), f"{quantity:g}")
    reasons = ", ".join(f"{r}: {n}" for r, n in stats.reasons.most_common(4)) or "none"
    return Group(history, summary, changes,
                 f"Rejected reads by reason (kept in quarantine): {reasons}",
                 f"Stock alerts (from bus.bus): {_alert_line(stats.alerts)}",
                 f"Deliveries from the distribution centre: {_delivery_line(stats)}")


def _delivery_line(stats: _Stats) -> str:
    return ", ".join(f"{code} {units:,.0f} units" for code, units
                     in sorted(stats.deliveries.items())) or "none yet"


def _alert_line(alerts: Counter[tuple[str, str]]) -> str:
    """Raised and cleared per kind, as the stores' channels announced them."""
    kinds = sorted({kind for kind, _state in alerts})
    return ", ".join(f"{kind} {alerts[kind, 'open']:,} raised / {alerts[kind, 'closed']:,} "
                     "cleared" for kind in kinds) or "none yet"


def run_demo(options: DemoOptions, console: Console | None = None) -> int:
    console = console or Console()
    if options.dsn:
        connection = psycopg2.connect(options.dsn)
        report = check(connection)
        connection.close()
        if report.exit_code != 0:
            console.print(f"[red]{options.dsn!r} is not ready (rtstock db check exit "
                          f"{report.exit_code}); run `rtstock db check --dsn ...`[/red]")
            return 2
        history = HistoryState(message="no sales history loaded by the demo (--dsn: "
                                       "`rtstock history import` loads it)")
        return _run(options.dsn, history, options, console)
    console.print("Starting an embedded PostgreSQL with the demo chain...")
    server_pg, dsn, history = prepare(options.history, console)
    try:
        console.print(f"Database: {history.schema}.\n{banner(history)}")
        return _run(dsn, history, options, console)
    finally:
        server_pg.stop(remove=not options.keep)
        if options.keep:
            console.print(f"Kept the database's cluster in {server_pg.datadir}")


def _run(dsn: str, history: HistoryState, options: DemoOptions, console: Console) -> int:
    """Ingest, bus reader and scanners against ``dsn`` until the duration or Ctrl-C."""
    import uvicorn

    from ingest_core.api.server import create_app

    devices = _provision(dsn, options.scanners)
    docks = _provision_docks(dsn) if options.restock_every_s > 0 else []
    connection = psycopg2.connect(dsn)
    with connection.cursor() as cur:
        names = {row[0]: row[5] for row in sql.load_products(cur)}
        places = sql.place_names(cur)
    connection.close()
    # The ingest's scheduler looks for the demo's forecast request every second.
    settings = Settings(dsn=dsn, port=options.port, jobs_poll_s=1.0)
    started_at = datetime.now(UTC).replace(tzinfo=None)
    forecast_run = decisions.request_forecast(dsn) if history.loaded else None
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1",
                                           port=options.port, log_level="warning",
                                           access_log=False))
    thread = threading.Thread(target=server.run, name="rtstock-demo-ingest", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{options.port}"
    while not server.started:
        if not thread.is_alive():
            console.print("[red]the ingest service did not start (port in use?)[/red]")
            return 1
        time.sleep(0.05)
    console.print(f"Ingest listening on {url} - OpenAPI docs at {url}/docs - Ctrl-C stops.")
    stats, stop_bus = _Stats(), threading.Event()
    bus = threading.Thread(target=_bus_reader, args=(dsn, stats, names, stop_bus), daemon=True)
    bus.start()
    forecast = None
    try:
        asyncio.run(_simulate(url, dsn, devices, docks, options, stats, history, places,
                              console))
        if forecast_run is not None:
            with console.status("The ingest forecasts the year's demand and sets the "
                                "reorder rules..."):
                forecast = decisions.wait_forecast(dsn, forecast_run)
    except KeyboardInterrupt:
        console.print("Stopping...")
    finally:
        stop_bus.set()
        server.should_exit = True
        thread.join(30)
        bus.join(5)
    applied = stats.fates["applied"]
    console.print()
    console.print(f"Done: {applied:,} reads applied, {stats.fates['duplicate']:,} duplicates, "
                  f"{stats.fates['rejected']:,} rejected. Stock alerts: "
                  f"{_alert_line(stats.alerts)}. Deliveries from the distribution centre: "
                  f"{_delivery_line(stats)}.")
    if forecast is None and forecast_run is not None:
        forecast = ("stopped", "Ctrl-C came before its end; the next start runs it again")
    _decisions(dsn, forecast, started_at, url, console)
    return 0 if applied else 1


def _decisions(dsn: str, forecast: tuple[str, str | None] | None, started_at: datetime,
               url: str, console: Console) -> None:
    """The decision half: the forecast's run, the EPCIS events of the demo's movements."""
    if forecast is None:
        console.print("Forecast and reorder rules: not run (no sales history loaded).")
    else:
        state, detail = forecast
        console.print(f"Forecast and reorder rules ({state}): {detail or 'still running'}.")
    until = datetime.now(UTC).replace(tzinfo=None)
    events = decisions.epcis_events(dsn, started_at, until)
    console.print(f"GS1 EPCIS: the demo's movements are {events:,} events; suppliers query "
                  f"them at {url}/epcis/events with a partner token "
                  "(docs/decisions/epcis.md).")


async def _simulate(url: str, dsn: str, devices: list[tuple[str, str]],
                    docks: list[tuple[int, str, str]], options: DemoOptions, stats: _Stats,
                    history: HistoryState, places, console: Console) -> None:
    stop = asyncio.Event()
    relabel = history.relabel()
    tasks = [asyncio.create_task(_scanner(url, token, options, n, stats, stop, relabel))
             for n, (_name, token) in enumerate(devices)]
    if docks:
        tasks.append(asyncio.create_task(_restock(url, dsn, docks, options, stats, stop)))
    deadline = time.monotonic() + options.duration if options.duration else None
    try:
        with Live(_render(stats, url, len(devices), banner(history), places),
                  console=console, refresh_per_second=4) as live:
            while deadline is None or time.monotonic() < deadline:
                await asyncio.sleep(0.25)
                live.update(_render(stats, url, len(devices), banner(history), places))
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
