"""psycopg2 or psycopg 3 for the hot statements? The measurement behind the choice.

    .venv/bin/pip install "psycopg[binary]==3.3.9"   # only for this measurement
    .venv/bin/python -m ingest_core.bench.driver

Inserts the same event rows (the writer's ``INSERT ... SELECT FROM unnest``
with ``ON CONFLICT``) into the genuine Odoo 18 schema through both drivers:
psycopg2 with the arrays sent as array text (what ``ingest_core.odoo.sql``
does), and psycopg 3 with native list adaptation (binary protocol) and with
the same text arrays. Prints µs per row, best of five, as JSON.
"""

from __future__ import annotations

import json
import time

import psycopg2

from ingest_core.db.pgembed import EmbeddedPostgres
from ingest_core.odoo import sql, templates
from ingest_core.resolve.devices import provision

ROWS = 2000
STATEMENT = """
    INSERT INTO rrs_event (device_id, read_key, read_at, operation, code, product_id,
                           quantity, location_id, location_dest_id, company_id)
    SELECT * FROM unnest({arrays})
    ON CONFLICT (device_id, read_key) DO NOTHING RETURNING id"""
TYPES = ("int", "varchar", "timestamp", "varchar", "varchar", "int", "numeric", "int", "int",
         "int")


def _columns(device: int, tag: str) -> list[list]:
    return [[device] * ROWS, [f"{tag}-{i}" for i in range(ROWS)],
            ["2026-11-25 10:00:00"] * ROWS, ["sale"] * ROWS, ["4012345000009"] * ROWS,
            [2 + i % 1900 for i in range(ROWS)], [1] * ROWS, [18] * ROWS, [5] * ROWS,
            [1] * ROWS]


def _best(run, repeats: int = 5) -> float:
    timings = []
    for attempt in range(repeats):
        started = time.perf_counter()
        run(attempt)
        timings.append(time.perf_counter() - started)
    return round(min(timings) / ROWS * 1e6, 2)


def main() -> int:
    import psycopg  # psycopg 3, installed only for this measurement

    server = EmbeddedPostgres(durable=True).start()
    try:
        templates.build_best(server, "driver")
        dsn = server.dsn("driver")
        device, _token = provision(dsn)
        text_sql = STATEMENT.format(arrays=", ".join(f"%s::{t}[]" for t in TYPES))
        v2 = psycopg2.connect(dsn)
        v3 = psycopg.connect(dsn)

        def text_arrays(connection, tag):
            """The ingest's way: each column sent as one array-text value."""
            def run(n):
                with connection.cursor() as cur:
                    cur.execute(text_sql, [
                        sql.pg_array(column, "num" if kind in ("int", "numeric") else "text")
                        for column, kind in zip(_columns(device, f"{tag}{n}"), TYPES,
                                                strict=True)])
                    cur.fetchall()
                connection.commit()
            return run

        def psycopg3_native(n):
            with v3.cursor() as cur:
                cur.execute(text_sql, _columns(device, f"b{n}"))
                cur.fetchall()
            v3.commit()

        result = {"rows_per_statement": ROWS, "us_per_row": {
            "psycopg2, arrays as text (the ingest's way)": _best(text_arrays(v2, "a")),
            "psycopg 3, native list adaptation": _best(psycopg3_native),
            "psycopg 3, arrays as text": _best(text_arrays(v3, "c"))}}
        print(json.dumps(result, indent=2))
        v2.close()
        v3.close()
        return 0
    finally:
        server.stop()


if __name__ == "__main__":
    raise SystemExit(main())
