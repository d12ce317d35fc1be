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


def quant_totals_by_key(dsn: str) -> dict[tuple[int, int], float]:
    connection = psycopg2.connect(dsn)
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT product_id, location_id, sum(quantity) FROM stock_quant "
                        "GROUP BY 1, 2")
            return {(p, loc): float(q) for p, loc, q in cur.fetchall()}
    finally:
        connection.close()


def verify_moves_match(dsn: str, opening: dict[tuple[int, int], float]) -> bool:
    """Per product and location: quants now == opening + fast-path done move lines."""
    connection = psycopg2.connect(dsn)
    try:
        with connection.cursor() as cur:
            cur.execute("""
                SELECT l.product_id, l.location_id, l.location_dest_id, sum(l.quantity)
                  FROM stock_move_line l
                 WHERE l.state = 'done' AND l.move_id IN (
                       SELECT DISTINCT m FROM rrs_event_batch, unnest(move_ids) m)
                 GROUP BY 1, 2, 3""")
            moved: dict[tuple[int, int], float] = {}
            for product, source, destination, quantity in cur.fetchall():
                moved[(product, source)] = moved.get((product, source), 0.0) - float(quantity)
                moved[(product, destination)] = moved.get((product, destination), 0.0) + float(
                    quantity)
    finally:
        connection.close()
    now = quant_totals_by_key(dsn)
    keys = set(now) | set(opening) | set(moved)
    return all(abs(now.get(k, 0) - opening.get(k, 0) - moved.get(k, 0)) < 1e-6 for k in keys)
