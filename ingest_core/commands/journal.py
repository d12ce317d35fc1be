"""``rtstock journal``: run the journal (committed events -> done moves) as its own process.

``rtstock serve`` starts one by default; run it by hand with ``serve --journal none``
on the ingest nodes and this command on one node (several are safe: they take
turns through one advisory lock).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from ingest_core.config import load_settings

_logger = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dsn", help="Odoo database (libpq DSN); default RTSTOCK_DSN")
    parser.add_argument("--config", help="TOML config file")


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config, dsn=args.dsn)
    if not settings.dsn:
        print("rtstock journal: no database: pass --dsn or set RTSTOCK_DSN", file=sys.stderr)
        return 2
    from ingest_core.commit.journal import Journal
    from ingest_core.resolve.reference import ReferenceData

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    reference = ReferenceData(settings.dsn).start()
    journal = Journal(settings.dsn, reference, interval_ms=settings.journal_interval_ms,
                      batch_events=settings.journal_batch_events,
                      reference_checks=settings.journal_reference_checks,
                      user_id=settings.odoo_user_id).start()
    _logger.info("journal running")
    stop.wait()
    journal.stop(drain=True)
    reference.stop()
    return 0
