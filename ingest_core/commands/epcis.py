"""``rtstock epcis export``: the stock's movements as a GS1 EPCIS 2.0 capture document."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from datetime import UTC, date, datetime, time


def _moment(text: str) -> datetime:
    """A date (midnight UTC) or an ISO time (UTC unless it says otherwise), as naive UTC."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date or ISO time: {text!r}") from None
    if len(text) == 10:
        value = datetime.combine(date.fromisoformat(text), time())
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    export = sub.add_parser(
        "export", help="write the movements of a window as an EPCIS 2.0 capture document",
        description="Every done movement of [--from, --to) as EPCIS 2.0 ObjectEvents (one per "
        "aggregated movement, one per serialised RFID read; docs/decisions/epcis.md), streamed "
        "as JSON-LD or XML. eventIDs are GS1 event hashes.")
    export.add_argument("--dsn", required=True, help="Odoo database (libpq DSN)")
    export.add_argument("--from", dest="since", required=True, type=_moment,
                        help="first moment (date or ISO time; UTC unless an offset is given)")
    export.add_argument("--to", dest="until", required=True, type=_moment,
                        help="end of the window, excluded")
    export.add_argument("--store", default="", help="warehouse codes, comma-separated "
                        "(default: every store)")
    export.add_argument("--format", choices=("jsonld", "xml"), default="jsonld")
    export.add_argument("--out", required=True, help="file to write ('-': standard output)")
    export.add_argument("--gs1-prefix", metavar="DIGITS",
                        help="GS1 company prefix for places without a GLN in Odoo "
                        "(default: the company's, else 0000000)")
    export.add_argument("--json", action="store_true", help="print only the JSON report")


def run(args: argparse.Namespace) -> int:
    import psycopg2
    from rich.progress import Progress

    from ingest_core.epcis import export
    from ingest_core.odoo import epcis as epcis_sql

    if args.until <= args.since:
        print("rtstock epcis export: --to must be after --from", file=sys.stderr)
        return 2
    stores = [code.strip() for code in args.store.split(",") if code.strip()]
    out = sys.stdout.buffer if args.out == "-" else open(args.out, "wb")  # noqa: SIM115
    try:
        connection = psycopg2.connect(args.dsn)
        try:
            with connection.cursor() as cur:
                total = epcis_sql.count_movements(cur, args.since, args.until)
        finally:
            connection.close()
        with Progress(disable=args.json or args.out == "-" or not sys.stderr.isatty(),
                      transient=True) as bar:
            task = bar.add_task("exporting movements", total=total)
            report = export.export(args.dsn, args.since, args.until, out, args.format,
                                   stores=stores, company_prefix=args.gs1_prefix,
                                   progress=lambda n: bar.advance(task, n))
    except (psycopg2.Error, ValueError) as exc:
        print(f"rtstock epcis export: {str(exc).strip()}", file=sys.stderr)
        return 2
    finally:
        if out is not sys.stdout.buffer:
            out.close()
    if args.json:
        print(json.dumps(dataclasses.asdict(report), indent=2))
    elif args.out != "-":
        print(f"{report.events} EPCIS events ({report.serialised} serialised) of "
              f"{report.movements} movements written to {args.out} in {report.seconds} s",
              file=sys.stderr)
    return 0
