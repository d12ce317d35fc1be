"""``rtstock bench scan``: end-to-end scan events/s, side by side with the naive paths.

What it is: one run that measures (1) the fast path over real HTTP with many
simulated devices against the genuine Odoo 18 database (``shared/odoo18``,
2000 products) or ``--dsn``, as fast as acks come (closed loop); (2) ack
latency and journal lag in open loop at half the issue's 20 000 events/s
target ("half that load", measured first, after the warm-up), at the target
itself, and at half the measured maximum (after it), each device posting on
its own phase; every phase starts from a settled database (``settle``);
(3) a store's mixed traffic (scanners, POS gates, exit and dock RFID readers,
a count session: ``loadgen.MIXED``) at half the target and in closed loop,
with the same keys under ``mixed``;
(4) the same rows written one transaction per read; (5) where a live Odoo
is configured (``docs/live-odoo.md``), XML-RPC per scan against ``odoo-bin``
on loopback and batched ORM moves in ``odoo-bin shell``
(``baseline.live_odoo_baselines``); and the ratios between them.

How it works: PostgreSQL runs durable (fsync on). The ingest is a separate
``rtstock serve`` process (its RSS is sampled from /proc); the load
generator is a third process. During the run the journal's lag is sampled
every 250 ms (closed loop and each open-loop phase apart); afterwards the journal is
drained and the run is checked:
``db check`` passes and, per product and location, quants equal the opening
quants plus the fast path's done move lines; the ingest fell back to
one-request commits nowhere and logged no error.

Caveats: everything shares this machine's cores; see docs/benchmarks.md.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import psycopg2

from ingest_core.bench import baseline
from ingest_core.bench.database import bench_database
from ingest_core.bench.loadgen import MIXED, PROVISION, load_in_process, mixed_kinds
from ingest_core.bench.process import IngestProcess, quant_id_figures, rss_mb
from ingest_core.bench.stats import p99
from ingest_core.bench.visibility import VisibilityProbe, create_probe_product
from ingest_core.chain.demand import REAL_YEAR_ZIPF
from ingest_core.chain.generate import ChainSpec, generate
from ingest_core.commit.journal import drain, wait_drained
from ingest_core.db.pgembed import EmbeddedPostgres
from ingest_core.odoo.check import check
from ingest_core.odoo.preload import (
    WRITTEN_TABLES,
    disk_use,
    preload_events,
    quants_match_snapshot,
    snapshot_quants,
)
from ingest_core.resolve.devices import provision

#: The scan issue's throughput target; "p99 at half that load" is measured at half of it.
TARGET_EVENTS_PER_S = 20_000
#: WAL a whole run writes, about (its four phases at 12-35 MB/s): the embedded server
#: starts with that much recycled (``EmbeddedPostgres.preallocate_wal``).
WAL_AHEAD_MB = 2048


@dataclass
class ScanBenchOptions:
    dsn: str | None = None
    seconds: float = 15.0
    devices: int = 16
    batch: int = 100
    preload_events: int = 0
    baseline_seconds: float = 5.0
    xmlrpc_scans: int = 200
    orm_events: int = 1000
    mixed: bool = True
    #: (stores, SKUs): run on a generated chain of that size (``rtstock chain generate``),
    #: the load spread over every store and over the SKUs by the real year's Zipf law.
    chain: tuple[int, int] | None = None
    #: the private server's ``shared_buffers``: a chain's database server holds its hot
    #: quants (500 x 36 000: 2.7 GB of quants, 0.5 GB of their key index)
    shared_buffers: str = "256MB"


#: The phases whose scan -> visible latency is measured (``bench.visibility``).
VISIBILITY_PHASES = ("half_target", "mixed_half_target")

#: Where the fleet sits without ``--chain``: the dump's stores S01 and S02
#: (warehouse, stock location).
DUMP_STORES = ((2, 18), (3, 24))


def _mixed_devices(dsn: str, devices: int, stores=DUMP_STORES) -> tuple[list[str], list[str]]:
    """(tokens, kinds) of a store fleet in ``loadgen.MIXED``'s proportions; the devices of
    each kind go round the stores."""
    kinds = mixed_kinds(devices)
    tokens, seen = [], {}
    for n, kind in enumerate(kinds):
        warehouse, location = stores[seen.setdefault(kind, 0) % len(stores)]
        seen[kind] += 1
        device_kind, role, allowed = PROVISION[kind]
        tokens.append(provision(dsn, name=f"mixed-{kind}-{n}", kind=device_kind,
                                rfid_role=role, allowed=allowed, warehouse_id=warehouse,
                                location_id=location)[1])
    return tokens, kinds


def _chain(dsn: str, stores: int, skus: int, progress) -> tuple[dict, list[tuple[int, int]]]:
    """Generate the chain; returns what was made and its (warehouse, stock location)s."""
    progress(f"generating a chain of {stores} stores x {skus} SKUs...")
    connection = psycopg2.connect(dsn)
    try:
        made = generate(connection, ChainSpec(stores=stores, skus=skus))
    finally:
        connection.close()
    return made, list(zip(made.pop("store_warehouses"), made.pop("store_locations"),
                          strict=True))


def _sampler(dsn: str, pid: int, stop: threading.Event, lags: list, rss: list) -> None:
    reference = None
    connection = psycopg2.connect(dsn)
    connection.autocommit = True
    try:
        from ingest_core.odoo import sql

        while not stop.wait(0.25):
            with connection.cursor() as cur:
                _pending, age = sql.pending_event_stats(cur)
            lags.append((age or 0.0) * 1000.0)
            rss.append(rss_mb(pid))
    finally:
        connection.close()
        if reference:
            reference.stop()


def run(options: ScanBenchOptions, progress=print) -> dict:
    with bench_database(options.dsn, "bench_scan", options.shared_buffers) as (
            dsn, source, server):
        result = _run(dsn, source, options, progress, server)
        result["shared_buffers"] = None if options.dsn else options.shared_buffers
        return result


def _run(dsn: str, source: str, options: ScanBenchOptions, progress,
         server: EmbeddedPostgres | None = None) -> dict:
    result: dict = {"database": source, "machine_cores": _cores()}
    if options.preload_events:
        progress(f"preloading {options.preload_events:,} earlier events...")
        result["preloaded_events"] = preload_events(dsn, options.preload_events)
    if server is not None:
        progress(f"recycled WAL segments for {WAL_AHEAD_MB} MB, as a running server has...")
        result["wal_segments_ahead"] = server.preallocate_wal(WAL_AHEAD_MB)
    stores, fleet = DUMP_STORES, options.devices
    catalog = {"products": 2000}
    if options.chain:
        result["chain"], stores = _chain(dsn, *options.chain, progress)
        # Every store active: at least a device a store.
        fleet = max(options.devices, len(stores))
        catalog = {"products": options.chain[1], "chain": True, "zipf": REAL_YEAR_ZIPF}
        result["chain"]["devices"], result["chain"]["zipf"] = fleet, REAL_YEAR_ZIPF
    progress("keeping the opening on-hand for the end-of-run check...")
    snapshot_quants(dsn)
    disk_before = disk_use(dsn)
    devices = [provision(dsn, name=f"bench-{n}", warehouse_id=stores[(n + 1) % len(stores)][0],
                         location_id=stores[(n + 1) % len(stores)][1],
                         allowed=("sale", "receipt")) for n in range(fleet)]
    tokens = [token for _id, token in devices]
    mixed_tokens, mixed = _mixed_devices(dsn, fleet, stores) if options.mixed else ([], [])
    probe_product = create_probe_product(dsn)
    probe_token = provision(dsn, name="bench-visibility-probe", warehouse_id=stores[0][0],
                            location_id=stores[0][1], allowed=("sale", "receipt"))[1]
    ingest = IngestProcess(dsn, fail_on_fallback=False).start()
    rss: list[float] = []
    phases = {}

    def phase(name: str, rate: float | None = None, kinds: list[str] | None = None) -> dict:
        """One load phase (open loop at ``rate``; closed loop without), the lag sampled."""
        traffic = "mixed traffic" if kinds else "scans"
        progress(f"fast path, {traffic}, open loop at {rate:,.0f} reads/s ({name}), "
                 f"{options.seconds:.0f} s..." if rate else
                 f"fast path, {traffic}, closed loop, {fleet} devices x "
                 f"{options.batch} reads, {options.seconds:.0f} s...")
        stop, phase_lags = threading.Event(), []
        sampler = threading.Thread(target=_sampler, args=(dsn, ingest.pid, stop, phase_lags, rss))
        sampler.start()
        # Scan -> visible at half load: a probe's reads, POST to the bus row Odoo reads.
        probe = (VisibilityProbe(ingest.url, probe_token, dsn, probe_product).start()
                 if name in VISIBILITY_PHASES else None)
        phases[name] = (load_in_process(ingest.url, mixed_tokens if kinds else tokens,
                                        batch=options.batch, seconds=options.seconds,
                                        rate=rate, kinds=kinds, phase=len(phases) + 1,
                                        **catalog),
                        phase_lags)
        if probe is not None:
            phases[name][0]["scan_to_visible"] = probe.stop()
        stop.set()
        sampler.join()
        return phases[name][0]

    settled = []
    try:
        progress("warming up...")
        load_in_process(ingest.url, tokens, batch=options.batch, seconds=2.0, **catalog)
        settled.append(settle(dsn))
        # Half the target load first, then the target itself, then as fast as acks come
        # (closed loop), then half of that; each from a settled database (settle()).
        phase("half_target", TARGET_EVENTS_PER_S / 2)
        settled.append(settle(dsn))
        phase("target", TARGET_EVENTS_PER_S)
        settled.append(settle(dsn))
        peak = phase("closed")
        progress("waiting for the journal to catch up (steady state before the next phase)...")
        result["journal_catch_up_s"] = wait_drained(dsn)
        settled.append(settle(dsn))
        phase("half_peak", peak["events_per_s"] / 2)
        if options.mixed:
            # The same two floors with a store's mix of devices in every group.
            settled.append(settle(dsn))
            phase("mixed_half_target", TARGET_EVENTS_PER_S / 2, mixed)
            settled.append(settle(dsn))
            phase("mixed_closed", None, mixed)
        result["quant_ids"] = quant_id_figures(ingest.url)
    finally:
        errors = ingest.errors()
        ingest.stop()
    result["settle_s"] = settled
    drained = drain(dsn)
    result["bytes_per_event"] = _bytes_per_event(disk_before, disk_use(dsn))
    report = _check(dsn)
    (half, half_lags), (half_peak, half_peak_lags) = phases["half_target"], phases["half_peak"]
    target, target_lags = phases["target"]
    lags = phases["closed"][1]
    result["fast_path"] = {
        **peak,
        "p99_ms_at_half_load": half["p99_ms"], "half_load_events_per_s": half["events_per_s"],
        "journal_lag_p99_ms_at_half_load": round(p99(half_lags), 1),
        "scan_to_visible_at_half_load": half["scan_to_visible"],
        "p99_ms_at_target": target["p99_ms"], "target_events_per_s": target["events_per_s"],
        "journal_lag_p99_ms_at_target": round(p99(target_lags), 1),
        "p99_ms_at_half_peak": half_peak["p99_ms"],
        "half_peak_events_per_s": half_peak["events_per_s"],
        "journal_lag_p99_ms_at_half_peak": round(p99(half_peak_lags), 1),
        "rss_mb": round(max(rss), 1) if rss else None,
        "journal_lag_p99_ms": round(p99(lags), 1),
        "journal_lag_max_ms": round(max(lags), 1) if lags else 0.0,
        "journal_drained": drained,
        "failures": (peak["failures"] + half["failures"] + target["failures"]
                     + half_peak["failures"]),
    }
    if options.mixed:
        result["mixed"] = _mixed_figures(phases)
    result["checks"] = {"db_check_exit": report.exit_code,
                        "quants_equal_opening_plus_done_moves": quants_match_snapshot(dsn),
                        "group_fallbacks": ingest.fallbacks,
                        "ingest_errors": errors[:5]}
    progress(f"baseline: same rows, one transaction per read, {options.baseline_seconds} s...")
    baselines = {"per_read_transaction": baseline.per_read_transactions(
        dsn, devices[1][0], 10**9, options.baseline_seconds)}
    baselines.update(baseline.live_odoo_baselines(options.xmlrpc_scans, options.orm_events,
                                                  progress))
    result["baselines"] = baselines
    fast = result["fast_path"]["events_per_s"]
    result["ratio"] = {name: round(fast / value["events_per_s"], 1)
                       for name, value in baselines.items() if value.get("events_per_s")}
    return result


def _bytes_per_event(before: dict[str, int], after: dict[str, int]) -> dict:
    """Disk and WAL written per event of the run (the tables' growth over the events
    added to the log; the WAL includes the run's checkpoints' full-page images)."""
    events = after["events"] - before["events"]
    if events <= 0:
        return {}
    per_event = {name: round((after[name] - before[name]) / events, 1)
                 for name in after if name != "events"}
    per_event["tables"] = round(sum(value for name, value in per_event.items()
                                    if name != "wal"), 1)
    per_event["events"] = events
    return per_event


def _mixed_figures(phases: dict) -> dict:
    """The mixed phases under the keys the scans-only figures use, plus each kind's."""
    (closed, closed_lags), (half, half_lags) = phases["mixed_closed"], phases["mixed_half_target"]
    return {
        **{key: value for key, value in closed.items() if key != "kinds"},
        "p99_ms_at_half_load": half["p99_ms"], "half_load_events_per_s": half["events_per_s"],
        "half_load_reads_per_s": half["reads_per_s"],
        "journal_lag_p99_ms_at_half_load": round(p99(half_lags), 1),
        "scan_to_visible_at_half_load": half["scan_to_visible"],
        "journal_lag_p99_ms": round(p99(closed_lags), 1),
        "journal_lag_max_ms": round(max(closed_lags), 1) if closed_lags else 0.0,
        "failures": closed["failures"] + half["failures"],
        "devices": dict(MIXED), "kinds_closed": closed["kinds"], "kinds_half_load": half["kinds"],
    }


def settle(dsn: str, timeout: float = 90.0) -> float:
    """Seconds until the journal has drained and no autovacuum works in the database.

    Why: a phase leaves hundreds of thousands of new rows; PostgreSQL's
    autovacuum then works through them, and a phase started meanwhile would
    measure the last one's after-effects (measured: the same code gave a
    half-load p99 of 35 or 97 ms by phase order). Waiting for the pass to end
    (at most ``timeout``) keeps them apart without changing anything in the
    database; a phase's own autovacuum still runs in it.
    """
    started = time.monotonic()
    wait_drained(dsn)
    connection = psycopg2.connect(dsn)
    connection.autocommit = True
    try:
        while time.monotonic() - started < timeout:
            with connection.cursor() as cur:
                cur.execute("""SELECT count(*) FROM pg_stat_activity
                                WHERE backend_type = 'autovacuum worker'
                                  AND datname = current_database()""")
                if not cur.fetchone()[0]:
                    break
            time.sleep(0.5)
    finally:
        connection.close()
    return round(time.monotonic() - started, 1)


def _check(dsn: str):
    connection = psycopg2.connect(dsn)
    try:
        return check(connection)
    finally:
        connection.close()


def _cores() -> int:
    import os

    return os.cpu_count() or 0


def table(result: dict) -> str:
    """A readable table of the JSON result."""
    fast = result["fast_path"]
    chain = result.get("chain")
    where = (f"chain of {chain['stores']} stores x {chain['products']} SKUs, "
             f"{chain['quants']:,} quants, {chain['devices']} devices, Zipf s = {chain['zipf']}"
             if chain else result["database"])
    lines = [f"database: {where}",
             f"{'path':<32}{'events/s':>12}{'p50 ms':>9}{'p99 ms':>9}",
             f"{'fast path (HTTP, batched)':<32}{fast['events_per_s']:>12,.0f}"
             f"{fast['p50_ms']:>9.1f}{fast['p99_ms']:>9.1f}",
             f"{'fast path at half load':<32}{fast['half_load_events_per_s']:>12,.0f}"
             f"{'':>9}{fast['p99_ms_at_half_load']:>9.1f}",
             f"{'fast path at target':<32}{fast['target_events_per_s']:>12,.0f}"
             f"{'':>9}{fast['p99_ms_at_target']:>9.1f}",
             f"{'fast path at half peak':<32}{fast['half_peak_events_per_s']:>12,.0f}"
             f"{'':>9}{fast['p99_ms_at_half_peak']:>9.1f}"]
    for name, value in result["baselines"].items():
        if "events_per_s" in value:
            lines.append(f"{name:<32}{value['events_per_s']:>12,.1f}{'':>9}"
                         f"{value.get('p99_ms') or 0:>9.1f}")
        else:
            lines.append(f"{name:<32}  skipped: {value['skipped']}")
    visible = [(label, figures["scan_to_visible_at_half_load"]) for label, figures in
               (("scans", fast), ("mixed", result.get("mixed", {})))
               if "scan_to_visible_at_half_load" in figures]
    lines.append("scan -> visible (POST to the bus row Odoo reads) at half load: " + "; ".join(
        f"{label} p50 {v['p50_ms']} ms, p99 {v['p99_ms']} ms ({v['seen']} of {v['probes']} "
        "probes seen)" for label, v in visible))
    lines.append(f"ingest RSS max: {fast['rss_mb']} MB; journal lag p99: "
                 f"{fast['journal_lag_p99_ms']} ms (closed loop; max "
                 f"{fast['journal_lag_max_ms']}), "
                 f"{fast['journal_lag_p99_ms_at_target']} ms (target), "
                 f"{fast['journal_lag_p99_ms_at_half_load']} ms (half load), "
                 f"{fast['journal_lag_p99_ms_at_half_peak']} ms (half peak); "
                 f"failures: {fast['failures']}")
    if "mixed" in result:
        mixed = result["mixed"]
        lines[6:6] = [
            f"{'mixed traffic (closed loop)':<32}{mixed['events_per_s']:>12,.0f}"
            f"{mixed['p50_ms']:>9.1f}{mixed['p99_ms']:>9.1f}",
            f"{'mixed traffic at half load':<32}{mixed['half_load_events_per_s']:>12,.0f}"
            f"{'':>9}{mixed['p99_ms_at_half_load']:>9.1f}"]
        lines.append("mixed traffic, per kind (closed loop | half load): " + "; ".join(
            f"{kind} {part['events_per_s'] or part['reads_per_s']:,.0f}/s p99 "
            f"{part['p99_ms']:.0f} | {mixed['kinds_half_load'][kind]['p99_ms']:.0f} ms"
            for kind, part in mixed["kinds_closed"].items())
            + f"; count session close max {mixed.get('count_close_max_ms', 0)} ms")
    lines.append("ratios: " + ", ".join(f"{k} x{v}" for k, v in result["ratio"].items()))
    if result.get("bytes_per_event"):
        per = result["bytes_per_event"]
        lines.append(f"bytes per event ({per['events']:,} events): tables {per['tables']:,.0f} ("
                     + ", ".join(f"{name} {per[name]:,.0f}" for name in WRITTEN_TABLES)
                     + f"), WAL {per['wal']:,.0f}")
    if "quant_ids" in result:
        ids = result["quant_ids"]
        lines.append(f"writer's quant-id memory: {ids['entries']:,} of {ids['capacity']:,} keys, "
                     f"hit rate {ids['hit_rate']}, emptied {ids['resets']} times")
    lines.append(f"checks: {result['checks']}")
    return "\n".join(lines)
