"""``rtstock demo``: embedded PostgreSQL + ingest + store scanner simulators, live table."""

from __future__ import annotations

import argparse
from pathlib import Path

from ingest_core.demo.history import HistoryOptions
from ingest_core.demo.run import DemoOptions, run_demo


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dsn", help="use this Odoo database instead of an embedded one")
    parser.add_argument("--port", type=int, default=8700, help="ingest port (default 8700)")
    parser.add_argument("--scanners", type=int, default=3, help="simulated scanners")
    parser.add_argument("--rate", type=float, default=1500.0, help="reads/s, all scanners")
    parser.add_argument("--profile", default="black_friday",
                        choices=["normal_day", "black_friday"], help="traffic profile")
    parser.add_argument("--duration", type=float, help="stop after this many seconds")
    parser.add_argument("--seed", type=int, default=1, help="simulation seed")
    parser.add_argument("--keep", action="store_true", help="keep the embedded database")
    parser.add_argument("--no-history", action="store_true",
                        help="start without the year of sales (UCI Online Retail)")
    parser.add_argument("--rebuild-history", action="store_true",
                        help="drop the cached history and import it again")
    parser.add_argument("--transactions", type=Path,
                        help="sales history file (default: RTSTOCK_DEMO_TRANSACTIONS, else "
                             "../shared/datasets/online_retail/transactions.csv.gz)")


def run(args: argparse.Namespace) -> int:
    return run_demo(DemoOptions(dsn=args.dsn, port=args.port, scanners=args.scanners,
                                rate=args.rate, profile=args.profile, duration=args.duration,
                                seed=args.seed, keep=args.keep,
                                history=HistoryOptions(enabled=not args.no_history,
                                                       rebuild=args.rebuild_history,
                                                       transactions=args.transactions)))
