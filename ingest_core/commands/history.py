"""``rtstock history import``: a real year of sales (UCI Online Retail) as past Odoo sales."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    load = sub.add_parser("import", help="load invoice lines as done sales, returns, receipts",
                          description="Load the UCI Online Retail invoice lines (CC BY 4.0) "
                          "into an Odoo database as the fast path would have written them; "
                          "idempotent.")
    load.add_argument("--dsn", required=True, help="Odoo database (libpq DSN)")
    load.add_argument("--transactions", type=Path, required=True,
                      help="transactions.csv[.gz] (shared/datasets/online_retail)")
    load.add_argument("--shift-to", type=date.fromisoformat, metavar="DATE",
                      help="move the dates so that the last invoice day is DATE (YYYY-MM-DD)")
    load.add_argument("--stores", help="comma-separated warehouse codes to sell from (default: "
                      "every warehouse but each company's first, its distribution centre)")
    load.add_argument("--json", action="store_true", help="print only the JSON report")
    summary = sub.add_parser("summary", help="the year's figures from Odoo's done moves",
                             description="Units, revenue at list price, top products and "
                             "ABC split, computed from the done moves of a database.")
    summary.add_argument("--dsn", required=True, help="Odoo database (libpq DSN)")
    summary.add_argument("--from", dest="since", type=_day, metavar="DATE",
                         help="first day (YYYY-MM-DD, UTC), default: the beginning")
    summary.add_argument("--to", dest="until", type=_day, metavar="DATE",
                         help="day after the last (YYYY-MM-DD, UTC), default: now")
    summary.add_argument("--store", help="comma-separated warehouse codes (default: all)")
    summary.add_argument("--json", action="store_true", help="print only the JSON figures")


def _day(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def run(args: argparse.Namespace) -> int:
    if args.action == "summary":
        return _summary(args)
    from rich.progress import Progress

    from ingest_core.history import importer
    from ingest_core.history.dataset import DatasetError

    try:
        shift = importer.shift_to(args.transactions, args.shift_to) if args.shift_to else 0
        with Progress(disable=args.json or not sys.stderr.isatty(),
                      transient=True) as bar:
            task = bar.add_task("importing days", total=None)
            report = importer.run(
                args.dsn, args.transactions, shift,
                progress=lambda done, days: bar.update(task, completed=done, total=days),
                stores=args.stores.split(",") if args.stores else None)
    except DatasetError as exc:
        print(f"rtstock history import: {args.transactions}: {exc}; nothing was written",
              file=sys.stderr)
        return 2
    except (FileNotFoundError, ValueError) as exc:
        print(f"rtstock history import: {exc}", file=sys.stderr)
        return 2
    result = report.as_dict()
    print(json.dumps(result, indent=2))
    if not args.json:
        print(importer.table(result), file=sys.stderr)
    return 0


def _summary(args: argparse.Namespace) -> int:
    import psycopg2

    from ingest_core.history import figures
    from ingest_core.history.dataset import CREDIT

    connection = psycopg2.connect(args.dsn)
    try:
        with connection.cursor() as cur:
            result = figures.summary(figures.product_sales(
                cur, args.since, args.until, args.store.split(",") if args.store else None))
    except figures.FigureError as exc:
        print(f"rtstock history summary: {exc}", file=sys.stderr)
        return 2
    finally:
        connection.close()
    print(json.dumps(result, indent=2))
    if not args.json:
        print(figures.table(result, CREDIT), file=sys.stderr)
    return 0
