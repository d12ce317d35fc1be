"""``rtstock report {sales,stock,counts,shrink}``: the analysis as PDF, XLSX or HTML.

For people outside Odoo (buyers, store managers, accountants): figures from
the rollups (``docs/decisions/rollups.md``) and the count tables, charts and
tables in one file (``docs/decisions/reports.md``). A bad parameter (unknown
store, ``--from`` after ``--to``, unknown format, an ``--out`` that cannot be
written, a database without the rollups) is one line on stderr and exit 2;
an empty period is a report that says so.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path

FORMATS = ("pdf", "xlsx", "html")
KINDS = ("sales", "stock", "counts", "shrink")
EXIT_USAGE = 2


class ReportError(ValueError):
    """A parameter the report cannot be made with; the message names it."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kind", choices=KINDS, metavar="{sales,stock,counts,shrink}",
                        help="sales summary, stock status, count accuracy, or shrink")
    parser.add_argument("--dsn", required=True, help="Odoo database (libpq DSN)")
    parser.add_argument("--from", dest="since", required=True, type=_day, metavar="DATE",
                        help="first day of the period (YYYY-MM-DD, included)")
    parser.add_argument("--to", dest="until", required=True, type=_day, metavar="DATE",
                        help="last day of the period (YYYY-MM-DD, included); the stock "
                             "report shows on hand at its end")
    parser.add_argument("--store", help="comma-separated warehouse codes (default: all)")
    parser.add_argument("--format", dest="output_format", metavar="{pdf,xlsx,html}",
                        help="output format (default: from the --out suffix)")
    parser.add_argument("--out", required=True, type=Path, metavar="FILE",
                        help="file to write")
    parser.add_argument("--dead-days", type=int, default=90, metavar="N",
                        help="stock: dead stock is on hand with no sale in N days (90)")
    parser.add_argument("--tolerance", type=float, default=0.0, metavar="UNITS",
                        help="counts: a record within UNITS of the count is accurate (0)")
    parser.add_argument("--top", type=int, default=25, metavar="N",
                        help="rows of the product lists in PDF/HTML (25; XLSX has all)")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def run(args: argparse.Namespace) -> int:
    try:
        output_format = _check(args)
        return _make(args, output_format)
    except ReportError as exc:
        print(f"rtstock report {args.kind}: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _check(args: argparse.Namespace) -> str:
    """The output format, once the parameters that need no database are sound."""
    if args.out.is_dir():
        raise ReportError(f"--out {args.out} is a directory")
    output_format = (args.output_format or args.out.suffix.lstrip(".")).lower()
    if output_format not in FORMATS:
        named = f"--format {args.output_format}" if args.output_format else \
            f"--out suffix {args.out.suffix or '(none)'}"
        raise ReportError(f"unknown format: {named}; use --format {', '.join(FORMATS)}")
    if args.since > args.until:
        raise ReportError(f"--from {args.since} is after --to {args.until}")
    if args.dead_days < 1 or args.top < 1 or args.tolerance < 0:
        raise ReportError("--dead-days and --top must be at least 1, --tolerance at least 0")
    folder = args.out.parent
    if not folder.is_dir():
        raise ReportError(f"--out {args.out}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK) or (args.out.exists() and not os.access(args.out,
                                                                             os.W_OK)):
        raise ReportError(f"--out {args.out} is not writable")
    return output_format


def _make(args: argparse.Namespace, output_format: str) -> int:
    import psycopg2

    from ingest_core.odoo import analysis
    from ingest_core.reports import build, figures, html, pdf, xlsx

    try:
        connection = psycopg2.connect(args.dsn)
    except psycopg2.Error as exc:
        raise ReportError(f"cannot connect to --dsn: {str(exc).strip()}") from None
    try:
        with connection.cursor() as cur:
            if not analysis.rollups_present(cur):
                raise ReportError("the database has no rollup tables (rrs_stock_daily): "
                                  "install the add-on or run `rtstock db init`")
            codes = [code.strip() for code in args.store.split(",")] if args.store else None
            stores = analysis.warehouses(cur, codes)
            if missing := sorted(set(codes or ()) - {code for _id, code, _name in stores}):
                raise ReportError(f"unknown store: no active warehouse with code "
                                  f"{', '.join(missing)}")
            scope = figures.Scope(args.since, args.until,
                                  {ident: code for ident, code, _name in stores})
            report = build.build(cur, args.kind, scope,
                                 build.Options(args.dead_days, args.tolerance, args.top),
                                 all_stores=codes is None)
    finally:
        connection.close()
    writer = {"pdf": pdf.write, "xlsx": xlsx.write, "html": html.write}[output_format]
    try:
        writer(report, args.out)
    except OSError as exc:
        raise ReportError(f"--out {args.out}: {exc.strerror or exc}") from None
    print(f"{args.out}: {report.title.lower()}, {report.period}, "
          f"{', '.join(report.stores) or 'no store'}"
          + (f" ({report.message})" if report.message else ""), file=sys.stderr)
    return 0
