"""``rtstock epcis export``: a window of the stock's movements as one capture document.

What it is: the batch interface of the EPCIS stage, for a supplier who takes a
file (or an EPCIS repository that takes a capture document).

How it works: one read-only, repeatable-read transaction (the document is a
consistent snapshot even while the ingest writes); movements streamed in
chunks of whole moves; for each chunk, its RFID reads in one query; events
built and written as they come. Memory is one chunk, whatever the window.

Caveats: the window selects movements by their done date; a serialised read's
``eventTime`` is the read's own time, a little earlier.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO

import psycopg2
import psycopg2.extensions

from ingest_core.epcis import document
from ingest_core.epcis.build import EventBuilder
from ingest_core.epcis.event import ObjectEvent
from ingest_core.odoo import epcis as epcis_sql


@dataclass
class ExportReport:
    events: int = 0
    movements: int = 0
    serialised: int = 0
    seconds: float = 0.0


def store_locations(builder: EventBuilder, codes: Sequence[str]) -> list[int]:
    """The locations of the stores with these warehouse codes (ValueError if one is unknown)."""
    by_code = {store.code: store.id for store in builder.stores.values()}
    unknown = [code for code in codes if code not in by_code]
    if unknown:
        raise ValueError(f"no store with code {', '.join(unknown)} "
                         f"(stores: {', '.join(sorted(by_code))})")
    wanted = {by_code[code] for code in codes}
    return sorted(loc.id for loc in builder.locations.values() if loc.warehouse_id in wanted)


def events(connection, since: datetime, until: datetime, *, stores: Sequence[str] = (),
           company_prefix: str | None = None, report: ExportReport | None = None,
           progress: Callable[[int], None] | None = None, chunk: int = 5000
           ) -> Iterator[ObjectEvent]:
    """The events of the movements done in [since, until) (of ``stores``' locations)."""
    report = report if report is not None else ExportReport()
    with connection.cursor() as cur:
        builder = EventBuilder(*epcis_sql.places(cur), company_prefix=company_prefix)
        locations = store_locations(builder, stores) if stores else None
        for movements in epcis_sql.movements(connection, since, until, locations, chunk=chunk):
            reads = epcis_sql.serialised_reads(
                cur, sorted({move for m in movements for move in m.move_ids}))
            report.movements += len(movements)
            for event in builder.events(movements, reads):
                report.events += 1
                report.serialised += bool(event.epcs)
                yield event
            if progress:
                progress(len(movements))


def export(dsn: str, since: datetime, until: datetime, out: IO[bytes], fmt: str, *,
           stores: Sequence[str] = (), company_prefix: str | None = None,
           progress: Callable[[int], None] | None = None) -> ExportReport:
    """Write the capture document of [since, until) to ``out``."""
    started = time.perf_counter()
    report = ExportReport()
    connection = psycopg2.connect(dsn, application_name="rtstock epcis export")
    try:
        connection.set_session(
            isolation_level=psycopg2.extensions.ISOLATION_LEVEL_REPEATABLE_READ, readonly=True)
        document.write(events(connection, since, until, stores=stores,
                              company_prefix=company_prefix, report=report,
                              progress=progress), out, fmt)
        connection.rollback()
    finally:
        connection.close()
    report.seconds = round(time.perf_counter() - started, 3)
    return report
