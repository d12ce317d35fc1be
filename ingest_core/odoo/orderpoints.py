"""SQL of replenishment: the reorder rules' min/max set from the forecasts.

What it is: reads what ``rtstock forecast replenish`` needs (forecast sums per
product and store, revenue for the ABC class, each store's reorder rules and
their mode) and writes Odoo's own ``stock_warehouse_orderpoint`` rows, with
their history in the add-on's ``rrs_orderpoint_level``.

How it works: a rule in mode ``forecast`` gets the new min/max, its previous
values and the reason are kept (the buyer can see why, and undo); a rule in
mode ``manual`` (every rule that existed before, unless switched) keeps its
values and only shows the suggestion. Missing rules of A and B products are
created as Odoo names them (``stock.orderpoint`` sequence, ``OP/00001``),
trigger ``auto``, on the store's stock location, in mode ``forecast``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ingest_core.odoo import sql
from ingest_core.odoo.sql import UTC_NOW, pg_array


def forecast_sums(cur, lead_days: int, review_days: int) -> list[tuple]:
    """(product_id, warehouse_id, lead days, lead-time mean, lead-time 80 % half-width
    sum, review-period mean) from each series' forecast. The lead days are Odoo's of
    the store's rule (``rrs_orderpoint_level.lead_days``, written by the add-on's
    nightly job), at least one day, else ``lead_days``."""
    cur.execute("""
        WITH lead AS (
            SELECT DISTINCT ON (o.product_id, o.warehouse_id) o.product_id, o.warehouse_id,
                   greatest(ceil(l.lead_days), 1)::int AS days
              FROM stock_warehouse_orderpoint o
              JOIN stock_warehouse w ON w.id = o.warehouse_id AND o.location_id = w.lot_stock_id
              JOIN rrs_orderpoint_level l ON l.orderpoint_id = o.id
             WHERE coalesce(o.active, true) AND l.lead_days IS NOT NULL
             ORDER BY o.product_id, o.warehouse_id, o.id
        ), f AS (
            SELECT f.product_id, f.warehouse_id, f.mean, f.hi80 - f.mean AS spread,
                   coalesce(lead.days, %(lead)s) AS lead,
                   row_number() OVER (PARTITION BY f.product_id, f.warehouse_id
                                      ORDER BY f.date) AS n
              FROM rrs_forecast f
              LEFT JOIN lead ON lead.product_id = f.product_id
                            AND lead.warehouse_id = f.warehouse_id)
        SELECT product_id, warehouse_id, min(lead),
               sum(mean) FILTER (WHERE n <= lead),
               sqrt(sum(spread ^ 2) FILTER (WHERE n <= lead)),
               coalesce(sum(mean) FILTER (WHERE n > lead AND n <= lead + %(review)s), 0)
          FROM f GROUP BY 1, 2""", {"lead": lead_days, "review": review_days})
    return cur.fetchall()


def last_sale_day(cur) -> date | None:
    cur.execute("SELECT max(day) FROM rrs_stock_daily WHERE qty_sold > 0")
    return cur.fetchone()[0]


def revenue(cur, since: date) -> list[tuple]:
    """(product_id, warehouse_id, net sales at list price) since ``since``, from the rollups."""
    cur.execute("""
        SELECT product_id, warehouse_id, sum(value_sold - value_returned)
          FROM rrs_stock_daily WHERE day >= %s AND warehouse_id IS NOT NULL
         GROUP BY 1, 2""", (since,))
    return cur.fetchall()


def weekly_variation(cur, last_day: date, weeks: int) -> dict[tuple[int, int], float | None]:
    """(product_id, warehouse_id) -> coefficient of variation of net units per 7-day
    bucket over ``weeks`` buckets ending ``last_day`` (weeks without a sale count as zero;
    None when the mean is not positive): the XYZ class's measure, as the add-on's
    dashboard computes it."""
    cur.execute("""
        WITH weekly AS (
            SELECT product_id, warehouse_id, (%(last)s::date - day) / 7 AS bucket,
                   sum((qty_sold - qty_returned)::float8) AS units
              FROM rrs_stock_daily
             WHERE warehouse_id IS NOT NULL AND day > %(last)s::date - 7 * %(weeks)s
               AND day <= %(last)s AND (qty_sold <> 0 OR qty_returned <> 0)
             GROUP BY 1, 2, 3)
        SELECT product_id, warehouse_id, sum(units) / %(weeks)s,
               sum(units * units) / %(weeks)s
          FROM weekly GROUP BY 1, 2""", {"last": last_day, "weeks": weeks})
    variation = {}
    for product, store, mean, mean_square in cur.fetchall():
        variation[(product, store)] = (
            (max(mean_square - mean * mean, 0.0) ** 0.5) / mean if mean > 0 else None)
    return variation


def rules(cur) -> dict[tuple[int, int], tuple]:
    """(product_id, warehouse_id) -> (orderpoint id, min, max, multiple, mode) of the active
    rule on the store's stock location (mode ``manual`` when the add-on never saw it)."""
    cur.execute("""
        SELECT DISTINCT ON (o.product_id, o.warehouse_id) o.product_id, o.warehouse_id, o.id,
               o.product_min_qty, o.product_max_qty, o.qty_multiple,
               coalesce(l.mode, 'manual')
          FROM stock_warehouse_orderpoint o
          JOIN stock_warehouse w ON w.id = o.warehouse_id AND o.location_id = w.lot_stock_id
          LEFT JOIN rrs_orderpoint_level l ON l.orderpoint_id = o.id
         WHERE coalesce(o.active, true)
         ORDER BY o.product_id, o.warehouse_id, o.id""")
    return {(row[0], row[1]): row[2:] for row in cur.fetchall()}


def create_rules(cur, keys: Sequence[tuple[int, int]], user_id: int) -> list[int]:
    """Odoo-named reorder rules (min = max = 0 until set) for (product, store) keys."""
    if not keys:
        return []
    cur.execute("""SELECT id, company_id, lot_stock_id FROM stock_warehouse
                    WHERE id = ANY(%s::int[])""", (pg_array({w for _p, w in keys}),))
    stores = {row[0]: row[1:] for row in cur.fetchall()}
    names = []
    for _product, warehouse in keys:
        sequence = sql.sequence_by_code(cur, "stock.orderpoint", stores[warehouse][0])
        if sequence is None:
            names.append(None)
            continue
        sequence_id, implementation, prefix, suffix, padding = sequence
        number = sql.next_sequence_numbers(cur, sequence_id, implementation, 1)[0]
        names.append(f"{prefix}{str(number).zfill(padding)}{suffix}")
    cur.execute(f"""
        INSERT INTO stock_warehouse_orderpoint (
            warehouse_id, location_id, product_id, company_id, name, trigger,
            product_min_qty, product_max_qty, qty_multiple, active,
            create_uid, create_date, write_uid, write_date)
        SELECT k.w, w.lot_stock_id, k.p, w.company_id, coalesce(k.name, 'OP/RRS'), 'auto',
               0, 0, 1, true, %s, {UTC_NOW}, %s, {UTC_NOW}
          FROM unnest(%s::int[], %s::int[], %s::text[]) WITH ORDINALITY AS k(p, w, name, n)
          JOIN stock_warehouse w ON w.id = k.w
         ORDER BY k.n
        RETURNING id""", (user_id, user_id, pg_array(p for p, _w in keys),
                          pg_array(w for _p, w in keys), pg_array(names, "text")))
    ids = [row[0] for row in cur.fetchall()]
    cur.execute(f"""
        INSERT INTO rrs_orderpoint_level (orderpoint_id, mode, create_uid, create_date,
                                          write_uid, write_date)
        SELECT id, 'forecast', %s, {UTC_NOW}, %s, {UTC_NOW} FROM unnest(%s::int[]) AS id""",
                (user_id, user_id, pg_array(ids)))
    return ids


def set_levels(cur, levels: Sequence[tuple], user_id: int) -> int:
    """Apply (orderpoint id, min, max, reason, ABC class, XYZ class): forecast-mode rules
    take min/max and keep the previous ones; manual ones only record the suggestion.
    Returns rules changed."""
    if not levels:
        return 0
    ids, minimums, maximums, reasons, classes, variations = zip(*levels, strict=True)
    arrays = (pg_array(ids), pg_array(minimums), pg_array(maximums), pg_array(reasons, "text"),
              pg_array(classes, "text"), pg_array(variations, "text"))
    cur.execute(f"""
        INSERT INTO rrs_orderpoint_level AS l (orderpoint_id, mode, suggested_min,
                                               suggested_max, reason, abc_class, xyz_class,
                                               set_at, create_uid, create_date, write_uid,
                                               write_date)
        SELECT v.id, 'manual', v.low, v.high, v.reason, v.grade, v.xyz, {UTC_NOW}, %s,
               {UTC_NOW}, %s, {UTC_NOW}
          FROM unnest(%s::int[], %s::numeric[], %s::numeric[], %s::text[], %s::text[],
                      %s::text[]) AS v(id, low, high, reason, grade, xyz)
        ON CONFLICT (orderpoint_id) DO UPDATE SET
            suggested_min = EXCLUDED.suggested_min, suggested_max = EXCLUDED.suggested_max,
            reason = EXCLUDED.reason, abc_class = EXCLUDED.abc_class,
            xyz_class = EXCLUDED.xyz_class, set_at = EXCLUDED.set_at,
            write_date = EXCLUDED.write_date""", (user_id, user_id, *arrays))
    cur.execute(f"""
        WITH changed AS (
            UPDATE rrs_orderpoint_level l
               SET previous_min = o.product_min_qty, previous_max = o.product_max_qty
              FROM stock_warehouse_orderpoint o
             WHERE o.id = l.orderpoint_id AND l.mode = 'forecast'
               AND l.orderpoint_id = ANY(%s::int[])
               AND (o.product_min_qty, o.product_max_qty)
                   IS DISTINCT FROM (l.suggested_min, l.suggested_max)
            RETURNING l.orderpoint_id, l.suggested_min, l.suggested_max)
        UPDATE stock_warehouse_orderpoint o
           SET product_min_qty = c.suggested_min, product_max_qty = c.suggested_max,
               write_uid = %s, write_date = {UTC_NOW}
          FROM changed c WHERE o.id = c.orderpoint_id""", (arrays[0], user_id))
    return cur.rowcount
