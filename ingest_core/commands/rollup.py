"""``rtstock rollup rebuild``: recompute the sales and stock rollups from Odoo's done moves."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    rebuild = sub.add_parser(
        "rebuild", help="recompute the rollups (rrs_stock_daily, rrs_sales_hourly, "
        "rrs_category_daily, rrs_stock_position) from the done moves",
        description="Empty the rollups and recompute them from every done stock move, in one "
        "transaction, with the function the stock_move triggers use (identical rows).")
    rebuild.add_argument("--dsn", required=True, help="Odoo database (libpq DSN)")
    rebuild.add_argument("--timezone", metavar="ZONE",
                         help="make ZONE (IANA name, e.g. Europe/London) the rollups' local "
                         "time first (system parameter retail_realtime_stock.rollup_timezone)")
    rebuild.add_argument("--json", action="store_true", help="print only the JSON report")


def run(args: argparse.Namespace) -> int:
    import psycopg2
    from rich.progress import Progress

    from ingest_core.analysis.rebuild import rebuild

    try:
        with Progress(disable=args.json or not sys.stderr.isatty(), transient=True) as bar:
            task = bar.add_task("rolling up months", total=None)
            report = rebuild(args.dsn, args.timezone,
                             progress=lambda month, moves: bar.update(
                                 task, advance=1, description=f"rolled up {month:%Y-%m} "
                                 f"({moves} moves)"))
    except (psycopg2.Error, RuntimeError) as exc:
        print(f"rtstock rollup rebuild: {str(exc).strip()}; nothing was changed",
              file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(dataclasses.asdict(report), indent=2))
    else:
        print(f"{report.moves} done moves of {report.months} months rolled up in "
              f"{report.seconds} s: {report.daily_rows} daily rows, {report.hourly_rows} "
              f"hourly rows, {report.category_rows} category rows, {report.position_rows} "
              f"stock positions (local time {report.timezone})")
    return 0
