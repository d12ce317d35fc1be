"""SQL of the forecasting stage: demand read from the rollups, forecasts written back.

What it is: the two ends of ``rtstock forecast run``: the daily net sales and
the closing on-hand of every product in every store, from ``rrs_stock_daily``
(never ``stock_move``), and ``rrs_forecast``, the add-on's table of the latest
forecast per product and store.

How it works: demand is summed over a store's internal locations per local
day; the closing on-hand of a store is the sum of its locations' latest
closing (``closing_qty`` of the last row on or before the day), so days
without a row carry the stock of the last one. ``replace_forecasts`` deletes
the earlier forecast of every (product, store) it writes, in the caller's
transaction, so a reader sees one forecast per series, old or new.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from ingest_core.odoo.sql import UTC_NOW, pg_array


def daily_sales(cur, since: date | None = None) -> list[tuple]:
    """(warehouse_id, product_id, day, net units sold) of days with a sale or return."""
    cur.execute("""
        SELECT warehouse_id, product_id, day, sum(qty_sold - qty_returned)
          FROM rrs_stock_daily
         WHERE warehouse_id IS NOT NULL AND (qty_sold <> 0 OR qty_returned <> 0)
           AND (%(since)s::date IS NULL OR day >= %(since)s)
         GROUP BY 1, 2, 3""", {"since": since})
    return cur.fetchall()


def closing_by_store(cur, since: date | None = None) -> list[tuple]:
    """(warehouse_id, product_id, day, closing on-hand of the store) of every rollup day:
    the sum over the store's locations of their last closing on or before that day."""
    cur.execute("""
        WITH days AS (
            SELECT DISTINCT warehouse_id, product_id, day FROM rrs_stock_daily
             WHERE warehouse_id IS NOT NULL
               AND (%(since)s::date IS NULL OR day >= %(since)s)
        )
        SELECT d.warehouse_id, d.product_id, d.day, sum(last.closing_qty)
          FROM days d
          JOIN LATERAL (
                SELECT DISTINCT ON (r.location_id) r.closing_qty
                  FROM rrs_stock_daily r
                 WHERE r.product_id = d.product_id AND r.warehouse_id = d.warehouse_id
                   AND r.day <= d.day
                 ORDER BY r.location_id, r.day DESC) last ON true
         GROUP BY 1, 2, 3""", {"since": since})
    return cur.fetchall()


def replace_forecasts(cur, rows: Sequence[tuple], made_at: datetime, user_id: int = 1) -> int:
    """Write forecasts (product_id, warehouse_id, date, mean, lo80, hi80, lo95, hi95, model)
    in place of the earlier ones of the same (product, store); returns rows written."""
    if not rows:
        return 0
    columns = list(zip(*rows, strict=True))
    cur.execute("""
        DELETE FROM rrs_forecast f
         USING (SELECT DISTINCT p, w FROM unnest(%s::int[], %s::int[]) AS k(p, w)) k
         WHERE f.product_id = k.p AND f.warehouse_id = k.w""",
                (pg_array(columns[0]), pg_array(columns[1])))
    cur.execute(f"""
        INSERT INTO rrs_forecast (product_id, warehouse_id, company_id, date, mean, lo80, hi80,
                                  lo95, hi95, model, made_at, create_uid, create_date,
                                  write_uid, write_date)
        SELECT f.product_id, f.warehouse_id, w.company_id, f.date, f.mean, f.lo80, f.hi80,
               f.lo95, f.hi95, f.model, %s, %s, {UTC_NOW}, %s, {UTC_NOW}
          FROM unnest(%s::int[], %s::int[], %s::date[], %s::numeric[], %s::numeric[],
                      %s::numeric[], %s::numeric[], %s::numeric[], %s::text[])
               AS f(product_id, warehouse_id, date, mean, lo80, hi80, lo95, hi95, model)
          JOIN stock_warehouse w ON w.id = f.warehouse_id""",
                (made_at, user_id, user_id, pg_array(columns[0]), pg_array(columns[1]),
                 pg_array((day.isoformat() for day in columns[2]), "text"),
                 *(pg_array(round(float(v), 4) for v in column) for column in columns[3:8]),
                 pg_array(columns[8], "text")))
    return cur.rowcount
