"""``rtstock rollup rebuild``: the rollups recomputed from every done move.

What it is: the repair and first-fill path of the rollups that the triggers on
``stock_move`` keep current (``ingest_core.odoo.rollup``).

How it works: one transaction: the rollup tables are locked and emptied, then
each month's done moves go through the very function the triggers call, so a
rebuild and a live rollup can only differ where moves were changed behind the
triggers' back (``ALTER TABLE ... DISABLE TRIGGER``, a restore of
``stock_move`` alone). Readers see the old rows until the commit; a journal
that commits meanwhile waits for it, then rolls its own moves up.

Caveats: values are at today's list prices and costs (docs/decisions/rollups.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import psycopg2

from ingest_core.odoo import rollup


@dataclass(frozen=True)
class RebuildReport:
    moves: int
    months: int
    daily_rows: int
    hourly_rows: int
    category_rows: int
    position_rows: int
    seconds: float
    timezone: str


def rebuild(dsn: str, timezone: str | None = None,
            progress: Callable[[date, int], None] | None = None) -> RebuildReport:
    """Rebuild the rollups; with ``timezone``, first make it the rollups' local zone."""
    started = time.monotonic()
    connection = psycopg2.connect(dsn)
    try:
        with connection.cursor() as cur:
            if not rollup.installed(cur):
                raise RuntimeError("the rollup tables and triggers are missing: install the "
                                   "add-on in Odoo, or run `rtstock db init --dsn DSN`")
            if timezone:
                rollup.set_timezone(cur, timezone)
            months: list[date] = []

            def step(month: date, moves: int) -> None:
                months.append(month)
                if progress:
                    progress(month, moves)

            moves = rollup.rebuild(cur, step)
            counts = rollup.row_counts(cur)
            zone = rollup.timezone(cur)
        connection.commit()
    finally:
        connection.close()
    return RebuildReport(moves, len(months), *counts,
                         round(time.monotonic() - started, 2), zone)
