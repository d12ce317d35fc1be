"""The ``rtstock`` command line.

What it is: one console script whose subcommands cover the whole product
(``demo serve decode rfid bench simulate agent db journal history rollup forecast
report epcis chain``).

How it works: each subcommand lives in ``ingest_core.commands.<name>`` and
exposes ``add_arguments(parser)`` and ``run(args) -> int``; this module only
wires them into argparse and imports a subcommand's module when it is used, so
``rtstock --help`` stays fast and a broken optional dependency (e.g. sllurp)
only affects the subcommand that needs it.

Caveats: a subcommand whose module is missing says so and exits 3, instead
of pretending to work.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

SUBCOMMANDS: dict[str, str] = {
    "demo": "run ingest + embedded PostgreSQL + store simulators, with a live table",
    "serve": "run the ingest HTTP service",
    "decode": "decode a barcode, GS1 element string or RFID EPC and print JSON",
    "rfid": "show what the ingest reads in an RFID payload captured from a reader",
    "bench": "benchmarks (scan, rfid) against the naive Odoo paths",
    "simulate": "device simulators (scanners, RFID readers, POS gates)",
    "agent": "store agent: serial scanners / LLRP readers with a durable offline queue",
    "db": "check or initialise an Odoo database for the ingest",
    "journal": "run the journal (committed events -> done moves) on its own",
    "history": "import a real year of retail sales (UCI Online Retail) as past Odoo sales",
    "rollup": "rebuild the sales and stock rollups from Odoo's done moves",
    "forecast": "demand forecasts per store x product: backtest, predict",
    "report": "sales, stock, count and shrink reports (PDF, XLSX, HTML) from the rollups",
    "epcis": "the stock's movements as GS1 EPCIS 2.0 events (capture document export)",
    "chain": "generate a retail chain of any size (stores, products, stock) on an Odoo database",
}

EXIT_NOT_AVAILABLE = 3


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; with ``only``, import just that subcommand's module.

    Importing every subcommand pulls in the whole service stack (psycopg2,
    starlette, ...); the store agent runs for months on small hardware and
    must not carry it (its memory budget is 50 MB, see docs/benchmarks.md).
    """
    parser = argparse.ArgumentParser(
        prog="rtstock",
        description="Retail real-time stock for Odoo 18: device reads to stock, exactly once.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, summary in SUBCOMMANDS.items():
        sub = subparsers.add_parser(name, help=summary, description=summary)
        module = _command_module(name) if only in (None, name) else None
        if module is not None:
            module.add_arguments(sub)
        sub.set_defaults(_command=name)
    return parser


def _command_module(name: str):
    try:
        return importlib.import_module(f"ingest_core.commands.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"ingest_core.commands.{name}":
            return None
        raise


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    chosen = next((arg for arg in argv if not arg.startswith("-")), None)
    parser = build_parser(only=chosen if chosen in SUBCOMMANDS else None)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=[logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)],
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "_command", None):
        parser.print_help()
        return 2
    module = _command_module(args._command)
    if module is None:
        print(f"rtstock {args._command}: not available in this build yet", file=sys.stderr)
        return EXIT_NOT_AVAILABLE
    return int(module.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
