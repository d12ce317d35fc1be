"""What the demo's stock is for: the forecast and reorder rules, and the EPCIS events.

What it is: the demo's second half. While the scanners sell, the ingest's own
scheduler (``ingest_core.jobs``) runs the forecast and sets the reorder rules
from the year of sales, as it does every night in a store; at the end the demo
says what it did and how many GS1 EPCIS events the demo's movements made, the
events a supplier would query at ``GET /epcis/events``.

How it works: a run is requested as a manager's *Refresh forecast* would
(``rrs_job_run``) and waited for after the scanners stop, up to
``FORECAST_WAIT_S``; the events are counted by the export itself
(``rtstock epcis export`` of the demo's window).

Caveats: without a history the forecast has nothing to learn from and says so.
"""

from __future__ import annotations

import io
import time
from datetime import datetime

import psycopg2

from ingest_core.epcis.export import export
from ingest_core.jobs.scheduler import JOB
from ingest_core.odoo import jobs

FORECAST_WAIT_S = 180.0


def request_forecast(dsn: str) -> int | None:
    """Ask the ingest for a forecast + replenishment run; None on a database without the
    jobs table (an older add-on behind ``--dsn``)."""
    connection = psycopg2.connect(dsn)
    try:
        with connection.cursor() as cur:
            if not jobs.table_exists(cur):
                return None
            run_id = jobs.request(cur, JOB)
        connection.commit()
        return run_id
    finally:
        connection.close()


def wait_forecast(dsn: str, run_id: int, timeout: float = FORECAST_WAIT_S
                  ) -> tuple[str, str | None]:
    """(state, detail) of the run once it ended, or as it is at ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        connection = psycopg2.connect(dsn)
        try:
            with connection.cursor() as cur:
                state, detail = jobs.outcome(cur, run_id)
        finally:
            connection.close()
        if state in ("done", "failed") or time.monotonic() > deadline:
            return state, detail
        time.sleep(1.0)


def epcis_events(dsn: str, since: datetime, until: datetime) -> int:
    """How many EPCIS events the movements of [since, until) make (naive UTC)."""
    return export(dsn, since, until, io.BytesIO(), "jsonld").events
