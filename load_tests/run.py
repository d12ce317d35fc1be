"""Headless locust run of every device kind against a private ingest on loopback, with a verdict.

    .venv/bin/python -m load_tests.run --seconds 60 --users 30 [--p99-ms 250]
        [--p99-ms-kind count_close=2000 ...] [--judge]

What it does: starts an embedded PostgreSQL with the genuine Odoo 18
database (``../shared/odoo18``; the own schema where it is absent), provisions
one device per possible user of each device pool (stores 2 and 3 in turn),
starts the ingest (``rtstock serve``) on a free loopback port, runs locust
headless for a bounded time with every user class of ``locustfile.py``, and
writes to ``--out``: ``<name>_stats.csv``, ``<name>_stats_history.csv``,
``<name>.html``, ``<name>.png`` (throughput and p99 over time),
``<name>_summary.json`` (the table below as JSON, the ingest's own counts,
the reasons) and ``<name>_ingest.log`` (the ingest's log).

How it works: after locust it reads the ingest's ``/metrics`` (reads by
status, group-commit fallbacks) and log (ERROR records), stops the ingest
(``IngestProcess.stop`` raises ``IngestFault`` on a fallback: reported), and
prints a table per kind (requests, failures, requests/s, reads/s, p50, p99,
p99 limit, verdict) and one line per reason the run failed
(``load_tests/report.py``). Exit status 0 when there is none, else 1.
``--judge`` runs nothing: it judges the run a summary recorded under the
thresholds given now (printed only; the summary keeps its own verdict).

Caveats: only loopback hosts; ``--users`` must be at least the number of user
classes so that every kind runs. The embedded PostgreSQL lives in its own
temporary directory, removed at the end; nothing else is written outside ``--out``.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import httpx

from ingest_core.bench.process import IngestFault, IngestProcess, fallbacks_of
from ingest_core.db.pgembed import EmbeddedPostgres
from ingest_core.odoo import templates
from ingest_core.resolve.devices import provision
from load_tests import report, soak

HERE = Path(__file__).resolve().parent
#: Token pool of the locustfile -> (device kind in the add-on, allowed operations, RFID role).
DEVICE_POOLS = {
    "scanner": ("scanner", ("sale", "return", "receipt"), None),
    "pos_gate": ("pos_gate", ("sale",), "pos_gate"),  # each new tag a sale
    "exit": ("rfid_fixed", ("sale",), "exit"),  # each new tag a sale (rfid_exit_movement)
    "dock": ("rfid_fixed", ("receipt",), "dock"),  # each new tag a receipt
    "handheld": ("rfid_handheld", ("count",), "count"),  # tags go to its open session
}
STORES = ((2, 18), (3, 24))  # (warehouse, its stock location): S01, S02


def plot(history_csv: Path, output: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    times, rps, p99 = [], [], []
    with history_csv.open() as handle:
        for row in csv.DictReader(handle):
            if row["Name"] != "Aggregated":
                continue
            times.append(int(row["Timestamp"]))
            rps.append(float(row["Requests/s"]))
            p99.append(float(row["99%"]) if row["99%"] not in ("N/A", "") else float("nan"))
    start = times[0] if times else 0
    elapsed = [t - start for t in times]
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    top.plot(elapsed, rps, color="tab:blue")
    top.set_ylabel("requests/s")
    top.set_title("rtstock ingest under locust (loopback)")
    bottom.plot(elapsed, p99, color="tab:red")
    bottom.set_ylabel("p99 latency (ms)")
    bottom.set_xlabel("seconds")
    figure.tight_layout()
    figure.savefig(output, dpi=100)


def provision_devices(dsn: str, per_pool: int) -> dict[str, list[str]]:
    """``per_pool`` devices of each pool, stores in turn; their tokens by pool."""
    tokens: dict[str, list[str]] = {}
    for pool, (kind, allowed, role) in DEVICE_POOLS.items():
        tokens[pool] = []
        for number in range(per_pool):
            warehouse, location = STORES[number % len(STORES)]
            tokens[pool].append(provision(
                dsn, name=f"load-{pool}-{number}", kind=kind, allowed=allowed, rfid_role=role,
                warehouse_id=warehouse, location_id=location)[1])
    return tokens


def run_locust(args: argparse.Namespace, url: str, tokens: dict) -> dict:
    """Locust headless against ``url``: ``{"exit_status", "duration_s", "stats"}`` (stats and
    duration None when the locustfile wrote no final stats)."""
    prefix = args.out / args.name
    result_file = args.out / f"{args.name}_locust.json"
    result_file.unlink(missing_ok=True)
    env = {**os.environ, "RTSTOCK_LOAD_TOKENS": json.dumps(tokens),
           "RTSTOCK_LOAD_RESULT_FILE": str(result_file)}
    command = [sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"),
               "--headless", "--host", url, "-u", str(args.users),
               "-r", str(args.spawn_rate), "-t", f"{args.seconds}s",
               "--csv", str(prefix), "--csv-full-history",
               "--html", f"{prefix}.html", "--only-summary", *report.user_classes()]
    print("$", " ".join(command[2:]), flush=True)
    status = subprocess.run(command, env=env, cwd=HERE.parent, check=False).returncode
    result = {"duration_s": None, "stats": None}
    if result_file.exists():
        result = json.loads(result_file.read_text())
        result_file.unlink()  # its figures go into <name>_summary.json
    return {"exit_status": status, **result}


def drive(args: argparse.Namespace, dsn: str, tokens: dict) -> dict:
    """Start the ingest, run locust, read the ingest's metrics and log, stop it: the run
    record (``report.judge``)."""
    ingest = IngestProcess(dsn, log_dir=args.out).start()
    view: dict = {"fault": None, "group_fallbacks": 0}
    sampler = soak.Sampler(ingest.pid, dsn).start() if args.soak else None
    try:
        view["reads_before"] = report.reads_by_status(
            httpx.get(f"{ingest.url}/metrics", timeout=30).content)
        locust = run_locust(args, ingest.url, tokens)
        if sampler is not None:
            view["soak_samples"] = sampler.stop()
        metrics_text = httpx.get(f"{ingest.url}/metrics", timeout=30).content
        view["reads_after"] = report.reads_by_status(metrics_text)
        view["group_fallbacks"] = fallbacks_of(metrics_text)
        print(f"rtstock_group_fallbacks_total before stop: {view['group_fallbacks']}",
              flush=True)
    finally:
        try:
            ingest.stop()
        except IngestFault as fault:  # stop() read the counter again: a reason, not a crash
            view["fault"] = str(fault).splitlines()[0]
        view["group_fallbacks"] = max(view["group_fallbacks"], ingest.fallbacks)
        # The log dir is ours, not a private one stop() removes: the log outlives stop(),
        # so its ERROR records are read now and include those of the shutdown.
        errors = ingest.errors()
        view.update(error_count=len(errors), errors=errors[:20],
                    log=str(args.out / f"{args.name}_ingest.log"))
        if ingest.log_path.exists():
            ingest.log_path.replace(view["log"])
    return {"seconds": args.seconds, "users": args.users, "locust": locust, "ingest": view}


def conclude(args: argparse.Namespace, run: dict) -> int:
    """Print the table, the ingest's counts and the reasons; the exit status."""
    rows, found = report.judge(run, args.limits)
    locust, ingest = run["locust"], run["ingest"]
    duration = locust["duration_s"] or float(run["seconds"])
    before, after = ingest.get("reads_before", {}), ingest.get("reads_after", {})
    delta = {status: after[status] - before.get(status, 0.0) for status in sorted(after)}
    print(f"\n{args.name}: {duration:.1f} s, {run['users']} users, every device kind at once\n")
    print(report.table(rows, (locust["stats"] or {}).get("Aggregated")))
    print("\ningest (rtstock_reads_total during the run): " + (", ".join(
        f"{status} {count:,.0f} ({count / duration:,.0f}/s)" for status, count in delta.items())
        or "none"))
    print(f"ingest: group fallbacks {ingest['group_fallbacks']}, ERROR records "
          f"{ingest['error_count']}, log {ingest['log']}")
    if ingest["fault"]:
        print(f"ingest stop: IngestFault: {ingest['fault']}")
    if args.soak:
        history = args.out / f"{args.name}_stats_history.csv"
        run["soak"] = soak.flatness(ingest.get("soak_samples", []),
                                    soak.history(history) if history.exists() else [],
                                    args.soak_window_s,
                                    skip_s=args.users / args.spawn_rate + 5)
        print("\n" + soak.table(run["soak"]))
        found += run["soak"]["reasons"]
    for reason in found:
        print(f"FAIL: {reason}")
    status = 1 if found else 0
    print(f"exit {status}: " + (f"{len(found)} reason(s)" if found else "pass"))
    if not args.judge:
        summary = {"name": args.name, "p99_limits_ms": args.limits,
                   "kinds": [_json_safe(row) for row in rows], "reasons": found,
                   "exit_status": status, "run": run}
        path = args.out / f"{args.name}_summary.json"
        path.write_text(json.dumps(summary, indent=2) + "\n")
    return status


def _json_safe(row: dict) -> dict:
    return {key: (None if isinstance(value, float) and math.isnan(value) else value)
            for key, value in row.items()}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--soak", action="store_true",
                        help="also sample the ingest (RSS, descriptors, threads, database "
                             "connections) and fail unless the first and last windows agree "
                             "(load_tests/soak.py)")
    parser.add_argument("--soak-window-s", type=float, default=600.0,
                        help="the soak's first and last windows (default 10 minutes)")
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--name", default="run")
    parser.add_argument("--out", type=Path, default=HERE / "reports")
    parser.add_argument("--p99-ms", type=float, default=250.0,
                        help="p99 limit of every kind, in ms (default 250)")
    parser.add_argument("--p99-ms-kind", action="append", default=[], metavar="KIND=MS",
                        help="p99 limit of one kind, repeatable; default count_close=2000; "
                             f"kinds: {', '.join(report.KINDS)}")
    parser.add_argument("--judge", action="store_true",
                        help="run nothing: judge the run <out>/<name>_summary.json records "
                             "under these thresholds (print the table, exit status)")
    args = parser.parse_args(argv)
    classes = len(report.user_classes())
    if args.users < classes:
        parser.error(f"--users {args.users}: at least {classes}, one per user class")
    try:
        args.limits = report.thresholds(args.p99_ms, args.p99_ms_kind)
    except ValueError as exc:
        parser.error(str(exc))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.judge:  # the verdict of a finished run under these thresholds; nothing written
        summary = json.loads((args.out / f"{args.name}_summary.json").read_text())
        return conclude(args, summary["run"])
    args.out.mkdir(parents=True, exist_ok=True)
    server = EmbeddedPostgres().start()
    try:
        print("database:", templates.build_best(server, "load"), flush=True)
        dsn = server.dsn("load")
        run = drive(args, dsn, provision_devices(dsn, args.users))
    finally:
        server.stop()
    history = args.out / f"{args.name}_stats_history.csv"
    if history.exists():
        plot(history, args.out / f"{args.name}.png")
    print(f"reports: {args.out / args.name}_stats.csv, _summary.json, _ingest.log, .html, .png")
    return conclude(args, run)


if __name__ == "__main__":
    sys.exit(main())
