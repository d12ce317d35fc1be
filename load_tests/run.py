"""Headless locust run against a private ingest on loopback, with CSV, HTML and a plot.

    .venv/bin/python -m load_tests.run --seconds 60 --users 30

What it does: starts an embedded PostgreSQL with the genuine Odoo 18
database (``../shared/odoo18``; the own schema where it is absent), the
ingest (``rtstock serve``) on a free loopback port, provisions a device per
simulated device kind, runs locust headless for a bounded time, and writes
``load_tests/reports/<name>_*.csv``, ``<name>.html`` and ``<name>.png``
(throughput and p99 over time). Exits non-zero if any request failed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

from ingest_core.bench.process import IngestProcess
from ingest_core.devices import provision
from ingest_core.odoo import templates
from ingest_core.pgembed import EmbeddedPostgres

HERE = Path(__file__).resolve().parent
DEVICE_KINDS = {  # kind -> (device kind in the add-on, allowed operations, RFID role)
    "scanner": ("scanner", ("sale", "return"), None),
    "impinj": ("rfid_fixed", ("sale",), "exit"),  # exit readers: each new tag is one sale
    "zebra": ("rfid_fixed", ("sale",), "exit"),
}


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--name", default="run")
    parser.add_argument("--out", type=Path, default=HERE / "reports")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    server = EmbeddedPostgres().start()
    try:
        templates.build_best(server, "load")
        dsn = server.dsn("load")
        tokens = {kind: [provision(dsn, name=f"load-{kind}-{n}", kind=device_kind,
                                   allowed=allowed, rfid_role=role)[1] for n in range(4)]
                  for kind, (device_kind, allowed, role) in DEVICE_KINDS.items()}
        with IngestProcess(dsn) as ingest:
            paths = httpx.get(f"{ingest.url}/openapi.json").json()["paths"]
            users = ["ScannerAgentUser", "BackOfficeReader"]
            if "/v1/rfid/impinj" in paths:
                users += ["ImpinjWebhookUser", "ZebraConnectorUser"]
            prefix = args.out / args.name
            env = {**os.environ, "RTSTOCK_LOAD_TOKENS": json.dumps(tokens)}
            command = [sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"),
                       "--headless", "--host", ingest.url, "-u", str(args.users),
                       "-r", str(args.spawn_rate), "-t", f"{args.seconds}s",
                       "--csv", str(prefix), "--csv-full-history",
                       "--html", f"{prefix}.html", "--only-summary", *users]
            print("$", " ".join(command[2:]), flush=True)
            result = subprocess.run(command, env=env, cwd=HERE.parent, check=False)
        plot(Path(f"{prefix}_stats_history.csv"), Path(f"{prefix}.png"))
        print(f"reports: {prefix}_stats.csv, {prefix}.html, {prefix}.png")
        return result.returncode
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
