"""``rtstock db check|init``: is a database ready for the ingest, and make it so."""

from __future__ import annotations

import argparse
import json
import sys

import psycopg2

from ingest_core.config import load_settings
from ingest_core.odoo import sql
from ingest_core.odoo.check import EXIT_BROKEN, EXIT_NO_ADDON, check
from ingest_core.odoo.init import InitError, init_addon_tables


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["check", "init", "device"],
                        help="check: is the database ready; init: create the add-on's tables; "
                             "device: create a device and print its token once")
    parser.add_argument("--dsn", help="libpq DSN (default: RTSTOCK_DSN / config file)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--name", help="device: its name")
    parser.add_argument("--store", default="S01", help="device: warehouse code (default S01)")
    parser.add_argument("--operations", default="sale,return,receipt,scrap,count",
                        help="device: allowed operations, comma-separated")
    parser.add_argument("--kind", default="scanner",
                        choices=["scanner", "rfid_fixed", "rfid_handheld", "pos_gate"])


def _print_report(report, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report.as_dict(), indent=2))
        return
    print(f"Odoo version: {report.odoo_version or 'unknown (no ir_module_module row for base)'}")
    for name, (state, version) in sorted(report.modules.items()):
        print(f"  module {name}: {state} {version or ''}")
    print(f"Add-on tables: {'absent' if report.addon_missing else 'present'}")
    for problem in report.problems:
        print(f"  {problem.where}: {problem.message}")
    if report.exit_code == EXIT_NO_ADDON:
        print("The add-on's tables are missing. Install retail_realtime_stock in Odoo, or run "
              "`rtstock db init --dsn DSN` to create exactly its tables "
              "(tests, demos, benchmarks).")
    elif report.exit_code == EXIT_BROKEN:
        print("The ingest cannot work on this database: fix the columns above.")
    else:
        print("OK: everything the ingest needs is there.")


def run(args: argparse.Namespace) -> int:
    dsn = args.dsn or load_settings().dsn
    if not dsn:
        print("rtstock db: no database given (--dsn or RTSTOCK_DSN)", file=sys.stderr)
        return EXIT_BROKEN
    try:
        connection = psycopg2.connect(dsn)
    except psycopg2.Error as exc:
        print(f"rtstock db: cannot connect: {exc}".strip(), file=sys.stderr)
        return EXIT_BROKEN
    try:
        if args.action == "device":
            return _create_device(connection, dsn, args)
        if args.action == "init":
            try:
                created = init_addon_tables(connection)
            except InitError as exc:
                print(f"rtstock db init: {exc}", file=sys.stderr)
                return EXIT_BROKEN
            print(f"created: {', '.join(created)}" if created else "add-on tables already exist")
        report = check(connection)
        _print_report(report, args.json)
        return report.exit_code
    finally:
        connection.close()


def _create_device(connection, dsn: str, args: argparse.Namespace) -> int:
    """Outside Odoo (demos, compose, benchmarks): the token is printed once, stored hashed."""
    from ingest_core.resolve.devices import provision

    with connection.cursor() as cur:
        store = {row[1]: row for row in sql.load_warehouses(cur)}.get(args.store)
    if store is None:
        print(f"rtstock db device: no active warehouse with code {args.store!r}", file=sys.stderr)
        return EXIT_BROKEN
    warehouse_id, _code, company_id, stock_location_id, *_types = store
    _device_id, token = provision(
        dsn, name=args.name or f"{args.store}-{args.kind}", warehouse_id=warehouse_id,
        location_id=stock_location_id, company_id=company_id, kind=args.kind,
        allowed=[op.strip() for op in args.operations.split(",") if op.strip()])
    print(token)
    return 0
