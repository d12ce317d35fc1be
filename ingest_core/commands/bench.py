"""``rtstock bench scan|rfid|analysis|alerts|forecast|epcis|pos``: benchmarks that print JSON and a
readable table."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ingest_core.bench import analysis_cli
from ingest_core.commands.forecast import DEFAULT_TRANSACTIONS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("which",
                        choices=["scan", "rfid", "analysis", "alerts", "forecast", "epcis",
                                 "pos"])
    parser.add_argument("--dsn", help="benchmark this database instead of a private copy")
    parser.add_argument("--seconds", type=float, default=15.0, help="fast-path run length")
    parser.add_argument("--devices", type=int, default=16, help="simulated devices")
    parser.add_argument("--batch", type=int, default=100, help="reads per request")
    parser.add_argument("--preload-events", type=int, default=0,
                        help="earlier events to put in the event table first (e.g. 10000000)")
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    parser.add_argument("--no-mixed", dest="mixed", action="store_false",
                        help="scan: leave out the mixed-traffic phases (scanners + RFID + counts)")
    parser.add_argument("--chain", type=_chain_size, metavar="STORES:SKUS",
                        help="scan: on a generated chain of that size (e.g. 500:36000), every "
                        "store active, SKUs by the real year's Zipf law")
    parser.add_argument("--shared-buffers", default="256MB", metavar="SIZE",
                        help="scan: the private PostgreSQL server's shared_buffers (default "
                        "256MB; a chain's database server holds its hot quants: 4GB)")
    analysis_cli.add_arguments(parser)
    group = parser.add_argument_group("pos (needs the live Odoo: docs/live-odoo.md)")
    group.add_argument("--products", type=int, default=50_000,
                       help="pos: products on hand in the till's store (default 50000)")
    group.add_argument("--rounds", type=int, default=3,
                       help="pos: session openings per case (median reported; default 3)")
    group = parser.add_argument_group("forecast")
    group.add_argument("--transactions", type=Path, default=DEFAULT_TRANSACTIONS,
                       help=f"forecast: invoice lines (default {DEFAULT_TRANSACTIONS})")
    group.add_argument("--series", type=int, default=None,
                       help="forecast: a seeded sample of this many series (default all)")


def _chain_size(text: str) -> tuple[int, int]:
    try:
        stores, skus = (int(part) for part in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not STORES:SKUS") from None
    return stores, skus


def run(args: argparse.Namespace) -> int:
    def progress(message: str) -> None:
        if not args.json:
            print(f"... {message}", file=sys.stderr, flush=True)

    if args.which == "analysis":
        return analysis_cli.run(args)
    if args.which == "epcis":
        from ingest_core.bench import analysis, epcis

        size = {"stores": args.stores, "skus": args.skus, "days": args.days}
        if size == analysis_cli.DEFAULT_SIZE:  # the analysis' year: a month is enough here
            size = epcis.SIZE
        result = epcis.run(analysis.AnalysisBenchOptions(
            **size, events=args.events, dsn=args.dsn, cache_dir=args.cache_dir),
            repeat=args.repeat, progress=progress)
        print(json.dumps(result, indent=2))
        if not args.json:
            print(epcis.table(result))
        return 0 if all(result["checks"].values()) else 1
    if args.which == "pos":
        return _pos(args, progress)
    if args.which == "forecast":
        from ingest_core.bench import forecast

        result = forecast.run(args.transactions, args.series, progress)
        print(json.dumps(result, indent=2))
        if not args.json:
            print(forecast.table(result))
        same = result["dask_equals_in_process"]
        return 0 if same["same_rows"] and same["same_models"] else 1
    if args.which == "alerts":
        from ingest_core.bench import alerts

        result = alerts.run(alerts.AlertBenchOptions(
            dsn=args.dsn, seconds=args.seconds, devices=args.devices, batch=args.batch),
            progress)
        print(json.dumps(result, indent=2))
        if not args.json:
            print(alerts.table(result))
        checks, live = result["checks"], result["live_odoo"]
        live_ok = "skipped" in live or (live["ordered"] == live["crossings"]
                                        and live["one_rfq_line_per_rule"])
        return 0 if (all(v for k, v in checks.items() if k.startswith(("one_", "every_")))
                     and not checks["group_fallbacks"] and not checks["ingest_errors"]
                     and live_ok) else 1
    if args.which == "scan":
        from ingest_core.bench import scan

        result = scan.run(scan.ScanBenchOptions(
            dsn=args.dsn, seconds=args.seconds, devices=args.devices, batch=args.batch,
            preload_events=args.preload_events, mixed=args.mixed, chain=args.chain,
            shared_buffers=args.shared_buffers), progress)
        print(json.dumps(result, indent=2))
        if not args.json:
            print(scan.table(result))
        checks = result["checks"]
        return 0 if (checks["quants_equal_opening_plus_done_moves"] and not
                     checks["group_fallbacks"] and not checks["ingest_errors"]) else 1
    try:
        from ingest_core.bench import rfid
    except ImportError:
        print("rtstock bench rfid: not available in this build yet", file=sys.stderr)
        return 3
    result = rfid.run(args, progress)
    print(json.dumps(result, indent=2))
    if not args.json:
        print(rfid.table(result))
    return 0


def _pos(args: argparse.Namespace, progress) -> int:
    """Session open at store size, before and after the till asked per screen (issue 20)."""
    from ingest_core.bench import pos_open
    from ingest_core.bench.odoo_live import LiveOdoo, LiveOdooUnavailable

    try:
        live = LiveOdoo.from_env()
    except LiveOdooUnavailable as why:
        print(f"rtstock bench pos needs the live Odoo harness: {why} (docs/live-odoo.md)",
              file=sys.stderr)
        return 3
    result = pos_open.run(live, args.products, args.rounds, progress)
    print(json.dumps(result, indent=2))
    if not args.json:
        print(pos_open.table(result))
    after = result["after"]
    return 0 if after["quants_sent"] == 0 and result["before"]["quants_sent"] > 0 else 1
