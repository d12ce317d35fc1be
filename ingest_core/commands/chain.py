"""``rtstock chain generate``: a retail chain of any size on an Odoo 18 database."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    generate = sub.add_parser(
        "generate", help="add N stores x M products with opening stock (and a history)",
        description="Add stores (copies of a warehouse Odoo made, with its locations, picking "
        "types, sequences, routes and rules), products with GS1 barcodes and their opening "
        "stock to an Odoo 18 database, and optionally days of done sales with their rollups. "
        "Refuses a database that has a generated chain already.")
    generate.add_argument("--dsn", required=True, help="Odoo database (libpq DSN)")
    generate.add_argument("--stores", type=int, required=True, help="stores (1-999)")
    generate.add_argument("--skus", type=int, required=True, help="products (1-99 999)")
    generate.add_argument("--history-days", type=int, default=0, metavar="D",
                          help="days of done sales before today (default 0: opening stock "
                          "only)")
    generate.add_argument("--events-per-day", type=int, default=3000, metavar="E",
                          help="units a store sells a day over all SKUs, spread by a Zipf "
                          "law (default 3000)")
    generate.add_argument("--json", action="store_true", help="print only the JSON report")


def run(args: argparse.Namespace) -> int:
    import psycopg2
    from rich.progress import Progress

    from ingest_core.chain.generate import ChainExists, ChainSpec, generate

    try:
        spec = ChainSpec(args.stores, args.skus, args.history_days, args.events_per_day)
    except ValueError as exc:
        print(f"rtstock chain generate: {exc}", file=sys.stderr)
        return 2
    try:
        connection = psycopg2.connect(args.dsn)
    except psycopg2.Error as exc:
        print(f"rtstock chain generate: cannot connect: {str(exc).strip()}", file=sys.stderr)
        return 2
    try:
        with Progress(disable=args.json or not sys.stderr.isatty(), transient=True) as bar:
            task = bar.add_task("generating the chain", total=None)
            made = generate(connection, spec, date.today(),
                            progress=lambda message: bar.update(task, description=message))
    except (ChainExists, psycopg2.Error, ValueError) as exc:
        connection.rollback()
        print(f"rtstock chain generate: {str(exc).strip()}", file=sys.stderr)
        return 2
    finally:
        connection.close()
    if args.json:
        print(json.dumps({k: v for k, v in made.items()
                          if k not in ("store_warehouses", "store_locations")}, indent=2))
    else:
        history = made["history"]
        print(f"{made['stores']} stores, {made['products']} products, {made['quants']} quants"
              + (f", {history['sale_moves']} sale moves ({history['sale_events']} units)"
                 if history else "")
              + f" in {made['seconds']} s; {made['disk_bytes'] / 2**20:.0f} MiB on disk")
    return 0
