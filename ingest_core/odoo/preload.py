"""Benchmark helpers on Odoo's tables: preloading history, checking quants against moves.

What it is: SQL the benchmarks need besides the fast path's own: a bulk load
of earlier events (to show throughput holds as the event log grows) and the
end-of-run invariant "quants = opening quants + done move lines".
"""

from __future__ import annotations

import psycopg2


def preload_events(dsn: str, count: int, chunk: int = 1_000_000) -> int:
    """Insert ``count`` already-journaled events of a retired device (as old history)."""
    connection = psycopg2.connect(dsn)
    try:
        with connection.cursor() as cur:
            cur.execute("""
                INSERT INTO rrs_device (name, kind, warehouse_id, location_id, company_id,
                                        active, create_date, write_date)
                VALUES ('history', 'scanner', 2, 18, 1, false, now(), now()) RETURNING id""")
            device_id = cur.fetchone()[0]
            done = 0
            while done < count:
                size = min(chunk, count - done)
                # History: events of journaled batches (their batch rows are long gone
                # from the queue, like those of a pruned event log).
                cur.execute("""
                    INSERT INTO rrs_event (device_id, read_key, read_at, received_at, operation,
                                           code, product_id, quantity, location_id,
                                           location_dest_id, warehouse_id, company_id,
                                           create_date, write_date)
                    SELECT %s, 'h' || g, now() - interval '1 day', now() - interval '1 day',
                           'sale', '4012345000009', 2 + g %% 1900, 1, 18, 5, 2, 1,
                           now(), now()
                      FROM generate_series(%s, %s) g""", (device_id, done + 1, done + size))
                connection.commit()
                done += size
            cur.execute("ANALYZE rrs_event")
        connection.commit()
        return done
    finally:
        connection.close()


#: The opening on-hand per product and location, kept by ``snapshot_quants``.
SNAPSHOT = "rtstock_bench_opening"


def snapshot_quants(dsn: str) -> int:
    """Keep the on-hand per (product, location) in a table of its own (``SNAPSHOT``);
    returns its rows. In SQL, not Python: a chain has 18 M quants."""
    connection = psycopg2.connect(dsn)
    try:
        with connection, connection.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {SNAPSHOT}")
            cur.execute(f"""CREATE UNLOGGED TABLE {SNAPSHOT} AS
                            SELECT product_id, location_id, sum(quantity) AS quantity
                              FROM stock_quant GROUP BY 1, 2""")
            return cur.rowcount
    finally:
        connection.close()


def quants_match_snapshot(dsn: str) -> bool:
    """Per product and location: quants now == the snapshot + the fast path's done move
    lines (those of the journal's batches); drops the snapshot."""
    connection = psycopg2.connect(dsn)
    try:
        with connection, connection.cursor() as cur:
            cur.execute(f"""
                WITH lines AS (
                    SELECT l.product_id, l.location_id, l.location_dest_id, l.quantity
                      FROM stock_move_line l
                     WHERE l.state = 'done' AND l.move_id IN (
                           SELECT DISTINCT m FROM rrs_event_batch, unnest(move_ids) m)),
                changes AS (
                    SELECT product_id, location_id, quantity FROM stock_quant
                    UNION ALL
                    SELECT product_id, location_id, -quantity FROM {SNAPSHOT}
                    UNION ALL
                    SELECT product_id, location_id, quantity FROM lines
                    UNION ALL
                    SELECT product_id, location_dest_id, -quantity FROM lines)
                SELECT count(*) FROM (SELECT 1 FROM changes GROUP BY product_id, location_id
                                      HAVING abs(sum(quantity)) > 1e-6) wrong""")
            wrong = cur.fetchone()[0]
            cur.execute(f"DROP TABLE {SNAPSHOT}")
            return wrong == 0
    finally:
        connection.close()


#: The tables a read's fast path and journal write, whose growth per event
#: ``disk_use`` measures (heap, indexes, TOAST).
WRITTEN_TABLES = ("rrs_event", "rrs_event_batch", "stock_move", "stock_move_line",
                  "stock_picking", "rrs_stock_daily", "rrs_epc")


def disk_use(dsn: str) -> dict[str, int]:
    """Bytes on disk of ``WRITTEN_TABLES``, the events in the log and the WAL position."""
    connection = psycopg2.connect(dsn)
    try:
        with connection, connection.cursor() as cur:
            cur.execute("SELECT " + ", ".join(
                f"pg_total_relation_size('{table}')" for table in WRITTEN_TABLES)
                + ", (SELECT count(*) FROM rrs_event), "
                  "pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint")
            *sizes, events, wal = cur.fetchone()
            return {**dict(zip(WRITTEN_TABLES, sizes, strict=True)), "events": events,
                    "wal": wal}
    finally:
        connection.close()
