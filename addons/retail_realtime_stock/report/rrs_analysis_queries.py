# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The dashboard's SQL, over the rollups only (never ``stock_move``).

What it is: one function per figure of the *Sales & stock dashboard*
(``rrs_analysis_dashboard``); each takes the cursor, the store ids the user
may see (already checked) and the local day the figures are for, and returns
plain rows (dicts).

How it works: the daily rollup is indexed on (product, location, day) and
(day, store), the hourly one on (store, hour), the stock position on (store);
every query is bounded by the stores and, where the figure has a window, by
the days. On hand and the last sale *now* are the stock position's, one row per
product and location; at the end of a past day they come from the daily rows:
the closing on-hand of a key is the sum of ``qty_net`` over its rows up to the
day (``docs/decisions/rollups.md``), one aggregate instead of a sort for the
latest row.

Caveats: a past day's on hand reads every daily row of the stores up to it (a
year of a large chain is tens of millions of rows); the other figures read their
window only. Sums are taken as ``float8``: PostgreSQL's ``numeric`` arithmetic
is several times slower and the figures are displayed rounded.
"""

from datetime import timedelta

from odoo.tools import SQL


def _fetch(cr, query):
    cr.execute(query)
    return cr.dictfetchall()


def sales_today(cr, store_ids, today, cut_hour):
    """Per store: net sales today until ``cut_hour`` (local), the same hours and the
    whole day of the same weekday last week."""
    return _fetch(
        cr,
        SQL(
            """
            SELECT h.warehouse_id,
                   coalesce(sum(h.value_sold - h.value_returned)
                            FILTER (WHERE h.hour::date = %(today)s), 0) AS value_today,
                   coalesce(sum(h.qty_sold - h.qty_returned)
                            FILTER (WHERE h.hour::date = %(today)s), 0) AS units_today,
                   coalesce(sum(h.value_sold - h.value_returned)
                            FILTER (WHERE h.hour::date = %(last_week)s
                                      AND extract(hour FROM h.hour) < %(cut)s), 0)
                       AS value_last_week_same_time,
                   coalesce(sum(h.value_sold - h.value_returned)
                            FILTER (WHERE h.hour::date = %(last_week)s), 0)
                       AS value_last_week_day
              FROM rrs_sales_hourly h
             WHERE h.warehouse_id = ANY(%(stores)s)
               AND h.hour >= %(last_week)s::timestamp
               AND h.hour < (%(today)s::date + 1)::timestamp
               AND (h.hour::date = %(today)s OR h.hour::date = %(last_week)s)
             GROUP BY h.warehouse_id
            """,
            today=today,
            last_week=today - timedelta(days=7),
            cut=cut_hour,
            stores=list(store_ids),
        ),
    )


def sales_by_day(cr, store_ids, first, today):
    """Net units and sales per local day from ``first`` to ``today`` (days without a
    sale are absent)."""
    return _fetch(
        cr,
        SQL(
            """
            SELECT h.hour::date AS day,
                   sum((h.qty_sold - h.qty_returned)::float8) AS units,
                   sum((h.value_sold - h.value_returned)::float8) AS value
              FROM rrs_sales_hourly h
             WHERE h.warehouse_id = ANY(%(stores)s)
               AND h.hour >= %(first)s::timestamp
               AND h.hour < (%(today)s::date + 1)::timestamp
             GROUP BY 1 ORDER BY 1
            """,
            first=first,
            today=today,
            stores=list(store_ids),
        ),
    )


def sales_by_hour(cr, store_ids, today):
    """Net sales per local hour of ``today`` and of the same weekday last week."""
    return _fetch(
        cr,
        SQL(
            """
            SELECT extract(hour FROM h.hour)::int AS hour,
                   coalesce(sum(h.value_sold - h.value_returned)
                            FILTER (WHERE h.hour::date = %(today)s), 0) AS today,
                   coalesce(sum(h.value_sold - h.value_returned)
                            FILTER (WHERE h.hour::date = %(today)s::date - 7), 0) AS last_week
              FROM rrs_sales_hourly h
             WHERE h.warehouse_id = ANY(%(stores)s)
               AND h.hour >= (%(today)s::date - 7)::timestamp
               AND h.hour < (%(today)s::date + 1)::timestamp
             GROUP BY 1 ORDER BY 1
            """,
            today=today,
            stores=list(store_ids),
        ),
    )


def week_over_week(cr, store_ids, today, limit):
    """Net units and sales of the last 7 days against the 7 before: the totals
    (product_id null) and the ``limit`` biggest risers and fallers by units."""
    return _fetch(
        cr,
        SQL(
            """
            WITH per_product AS (
                SELECT d.product_id,
                       sum((d.qty_sold - d.qty_returned)::float8)
                           FILTER (WHERE d.day > %(today)s::date - 7) AS units,
                       coalesce(sum((d.qty_sold - d.qty_returned)::float8)
                           FILTER (WHERE d.day <= %(today)s::date - 7), 0) AS units_before,
                       coalesce(sum((d.value_sold - d.value_returned)::float8)
                           FILTER (WHERE d.day > %(today)s::date - 7), 0) AS value,
                       coalesce(sum((d.value_sold - d.value_returned)::float8)
                           FILTER (WHERE d.day <= %(today)s::date - 7), 0) AS value_before
                  FROM rrs_stock_daily d
                 WHERE d.warehouse_id = ANY(%(stores)s)
                   AND d.day > %(today)s::date - 14 AND d.day <= %(today)s
                   AND (d.qty_sold <> 0 OR d.qty_returned <> 0)
                 GROUP BY d.product_id
            ), scored AS (
                SELECT *, coalesce(units, 0) - units_before AS delta FROM per_product
            )
            (SELECT 'total' AS kind, NULL::int AS product_id, sum(coalesce(units, 0)) AS units,
                    sum(units_before) AS units_before, sum(value) AS value,
                    sum(value_before) AS value_before, NULL::float8 AS delta
               FROM scored)
            UNION ALL
            (SELECT 'top', product_id, units, units_before, value, value_before, delta
               FROM scored WHERE units > 0 ORDER BY units DESC, product_id LIMIT %(limit)s)
            UNION ALL
            (SELECT 'riser', product_id, coalesce(units, 0), units_before, value, value_before,
                    delta
               FROM scored WHERE delta > 0 ORDER BY delta DESC, product_id LIMIT %(limit)s)
            UNION ALL
            (SELECT 'faller', product_id, coalesce(units, 0), units_before, value, value_before,
                    delta
               FROM scored WHERE delta < 0 ORDER BY delta, product_id LIMIT %(limit)s)
            """,
            today=today,
            stores=list(store_ids),
            limit=limit,
        ),
    )


def _keys_now(store_ids, today):
    """Per product and store: on hand now and the last sale day from the stock position
    (one row per key), with the net units of the 28 days to ``today``."""
    return SQL(
        """
        SELECT s.product_id, s.warehouse_id, min(s.company_id) AS company_id,
               sum(s.on_hand::float8) AS on_hand, coalesce(max(sold.units), 0) AS sold_28,
               max(s.last_sale_day) AS last_sale
          FROM rrs_stock_position s
          LEFT JOIN (SELECT d.product_id, d.warehouse_id,
                            sum((d.qty_sold - d.qty_returned)::float8) AS units
                       FROM rrs_stock_daily d
                      WHERE d.warehouse_id = ANY(%(stores)s)
                        AND d.day > %(today)s::date - 28 AND d.day <= %(today)s
                        AND (d.qty_sold <> 0 OR d.qty_returned <> 0)
                      GROUP BY 1, 2) sold
                 ON sold.product_id = s.product_id AND sold.warehouse_id = s.warehouse_id
         WHERE s.warehouse_id = ANY(%(stores)s)
         GROUP BY 1, 2
        """,
        today=today,
        stores=list(store_ids),
    )


def _keys_on(store_ids, today):
    """The same at the end of a past ``today``, from the daily rows: closing on hand =
    running sum of the net change from zero (docs/decisions/rollups.md), so the sum
    over a key's rows up to the day is the closing of its latest row, in one pass
    without sorting."""
    return SQL(
        """
        SELECT d.product_id, d.warehouse_id, min(d.company_id) AS company_id,
               sum(d.qty_net::float8) AS on_hand,
               coalesce(sum((d.qty_sold - d.qty_returned)::float8)
                   FILTER (WHERE d.day > %(today)s::date - 28), 0) AS sold_28,
               max(d.day) FILTER (WHERE d.qty_sold > 0) AS last_sale
          FROM rrs_stock_daily d
         WHERE d.warehouse_id = ANY(%(stores)s) AND d.day <= %(today)s
         GROUP BY 1, 2
        """,
        today=today,
        stores=list(store_ids),
    )


def stock_position(cr, store_ids, today, dead_days, limit, current=True):
    """On hand against the sales of 28 days, per product and store: now (``current``,
    from the stock position) or at the end of a past ``today`` (from the daily rows).

    One row ``kind = 'total'`` with the chain's sums and counts, then lists: the
    ``limit`` dead-stock keys by value at cost (on hand, no sale for ``dead_days``),
    out of stock (on hand <= 0, sold in 28 days) by units sold, the lowest cover; and
    per store the products of each of the first two (``dead_keys``, ``out_of_stock_keys``).
    """
    keys = (_keys_now if current else _keys_on)(store_ids, today)
    return _fetch(
        cr,
        SQL(
            """
            WITH keys AS (%(keys)s), valued AS (
                SELECT k.*, k.on_hand * coalesce(
                           (p.standard_price ->> k.company_id::text)::float8, 0) AS value
                  FROM keys k JOIN product_product p ON p.id = k.product_id
            ), flagged AS (
                SELECT *,
                       on_hand > 0 AND (last_sale IS NULL
                                        OR last_sale <= %(today)s::date - %(dead_days)s) AS dead,
                       on_hand <= 0 AND sold_28 > 0 AS out_of_stock,
                       CASE WHEN on_hand > 0 AND sold_28 > 0
                            THEN on_hand / (sold_28 / 28.0) END AS cover_days
                  FROM valued
            )
            (SELECT 'total' AS kind, NULL::int AS product_id, NULL::int AS warehouse_id,
                    sum(greatest(on_hand, 0)) AS on_hand,
                    sum(greatest(value, 0)) AS value,
                    sum(sold_28) AS sold_28, NULL::date AS last_sale,
                    count(*) FILTER (WHERE dead) AS dead_count,
                    coalesce(sum(value) FILTER (WHERE dead), 0) AS dead_value,
                    count(*) FILTER (WHERE out_of_stock) AS out_of_stock_count,
                    count(*) FILTER (WHERE on_hand > 0) AS in_stock_count,
                    NULL::float8 AS cover_days, NULL::int[] AS product_ids
               FROM flagged)
            UNION ALL
            (SELECT 'dead', product_id, warehouse_id, on_hand, value, sold_28, last_sale,
                    NULL, NULL, NULL, NULL, cover_days, NULL
               FROM flagged WHERE dead ORDER BY value DESC, product_id LIMIT %(limit)s)
            UNION ALL
            (SELECT 'out_of_stock', product_id, warehouse_id, on_hand, value, sold_28,
                    last_sale, NULL, NULL, NULL, NULL, cover_days, NULL
               FROM flagged WHERE out_of_stock ORDER BY sold_28 DESC, product_id
              LIMIT %(limit)s)
            UNION ALL
            (SELECT 'low_cover', product_id, warehouse_id, on_hand, value, sold_28,
                    last_sale, NULL, NULL, NULL, NULL, cover_days, NULL
               FROM flagged WHERE cover_days IS NOT NULL ORDER BY cover_days, product_id
              LIMIT %(limit)s)
            UNION ALL
            -- every key of the two lists, per store, for the figures' drill-down
            (SELECT CASE WHEN dead THEN 'dead_keys' ELSE 'out_of_stock_keys' END, NULL,
                    warehouse_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                    array_agg(product_id ORDER BY product_id)
               FROM flagged WHERE dead OR out_of_stock GROUP BY 1, 3)
            """,
            keys=keys,
            today=today,
            dead_days=dead_days,
            limit=limit,
        ),
    )


def abc_xyz(cr, store_ids, today, weeks):
    """ABC (revenue Pareto 80/15/5) and XYZ (coefficient of variation of weekly units:
    X < 0.5, Y < 1, Z above) per product and store, over ``weeks`` 7-day buckets
    ending ``today``; rows per (store, abc, xyz) with the products and their revenue."""
    return _fetch(
        cr,
        SQL(
            """
            WITH weekly AS (
                SELECT d.warehouse_id, d.product_id, (%(today)s::date - d.day) / 7 AS bucket,
                       sum((d.qty_sold - d.qty_returned)::float8) AS units,
                       sum((d.value_sold - d.value_returned)::float8) AS revenue
                  FROM rrs_stock_daily d
                 WHERE d.warehouse_id = ANY(%(stores)s)
                   AND d.day > %(today)s::date - 7 * %(weeks)s AND d.day <= %(today)s
                   AND (d.qty_sold <> 0 OR d.qty_returned <> 0)
                 GROUP BY 1, 2, 3
            ), per_key AS (
                -- weeks without a sale count as zero: mean and variance over all weeks
                SELECT warehouse_id, product_id, sum(revenue) AS revenue,
                       sum(units) / %(weeks)s AS mean,
                       sum(units * units) / %(weeks)s AS mean_square
                  FROM weekly GROUP BY 1, 2
            ), ranked AS (
                SELECT *,
                       sum(revenue) OVER (PARTITION BY warehouse_id ORDER BY revenue DESC,
                                          product_id ROWS UNBOUNDED PRECEDING) - revenue
                           AS revenue_before,
                       sum(revenue) OVER (PARTITION BY warehouse_id) AS store_revenue,
                       sqrt(greatest(mean_square - mean * mean, 0)) AS deviation
                  FROM per_key WHERE revenue > 0
            )
            SELECT warehouse_id,
                   CASE WHEN revenue_before < 0.80 * store_revenue THEN 'A'
                        WHEN revenue_before < 0.95 * store_revenue THEN 'B'
                        ELSE 'C' END AS abc,
                   CASE WHEN mean <= 0 THEN 'Z'
                        WHEN deviation / mean < 0.5 THEN 'X'
                        WHEN deviation / mean < 1 THEN 'Y'
                        ELSE 'Z' END AS xyz,
                   count(*) AS products, sum(revenue) AS revenue,
                   array_agg(product_id ORDER BY product_id) AS product_ids
              FROM ranked GROUP BY 1, 2, 3
            """,
            today=today,
            stores=list(store_ids),
            weeks=weeks,
        ),
    )


def shrink_by_store(cr, store_ids, today, days):
    """Per store over ``days``: count losses (net, at cost) and scraps, against net sales."""
    return _fetch(
        cr,
        SQL(
            """
            SELECT d.warehouse_id,
                   sum(d.qty_count_loss) AS count_loss_units,
                   sum(d.qty_scrapped) AS scrapped_units,
                   sum(greatest(-d.value_count_diff, 0)) AS count_loss_value,
                   sum(d.value_scrapped) AS scrapped_value,
                   sum(d.value_sold - d.value_returned) AS sales_value
              FROM rrs_stock_daily d
             WHERE d.warehouse_id = ANY(%(stores)s)
               AND d.day > %(today)s::date - %(days)s AND d.day <= %(today)s
             GROUP BY 1
            """,
            today=today,
            stores=list(store_ids),
            days=days,
        ),
    )


def rfid_exit_losses(cr, store_ids, today, days, timezone):
    """Per store over ``days`` local days ending ``today``: tags an RFID exit reader saw
    leave without a sale (the ingest books them as losses with ``rfid_exit_movement =
    shrink``, read key ``epc:<EPC>:shrink``), units and value at the product's cost.
    They are part of the count losses of the rollups: this says how much of them."""
    return _fetch(
        cr,
        SQL(
            """
            SELECT e.warehouse_id, sum(e.quantity) AS units,
                   sum(e.quantity * coalesce(
                       (pp.standard_price ->> e.company_id::text)::numeric, 0)) AS value
              FROM rrs_event e
              JOIN product_product pp ON pp.id = e.product_id
             WHERE e.read_key ~ '^epc:.+:shrink$'
               AND e.warehouse_id = ANY(%(stores)s)
               AND e.read_at >= ((%(today)s::date - %(days)s + 1)::timestamp
                                 AT TIME ZONE %(zone)s) AT TIME ZONE 'UTC'
               AND e.read_at < ((%(today)s::date + 1)::timestamp
                                AT TIME ZONE %(zone)s) AT TIME ZONE 'UTC'
             GROUP BY 1
            """,
            today=today,
            stores=list(store_ids),
            days=days,
            zone=timezone,
        ),
    )


def count_accuracy(cr, store_ids, today, weeks, timezone, tolerance_units, tolerance_pct):
    """Inventory record accuracy per 7-day bucket (0 = the last 7 days).

    A counted key is a (product, location, day) of a stopped RFID count session
    (``rrs_count_line``: every counted key, matches included) or, where no
    session counted the key that week, a rollup row with a count gain or loss
    (Odoo's physical inventory, the ingest's counts). It is accurate when
    ``|counted - record| <= max(tolerance_units, tolerance_pct % of the record)``.
    An Odoo count that matched the record is a done move of quantity 0, which
    leaves no rollup row: outside RFID sessions only differences are seen.
    """
    return _fetch(
        cr,
        SQL(
            """
            WITH sessions AS (
                SELECT l.product_id, l.location_id,
                       ((s.closed_at AT TIME ZONE 'UTC') AT TIME ZONE %(zone)s)::date AS day,
                       sum(l.counted - l.expected) AS difference,
                       sum(l.expected) AS record
                  FROM rrs_count_line l
                  JOIN rrs_count_session s ON s.id = l.session_id
                 WHERE s.state IN ('closed', 'applied') AND s.warehouse_id = ANY(%(stores)s)
                   AND s.closed_at IS NOT NULL
                 GROUP BY 1, 2, 3
            ), counted AS (
                SELECT product_id, location_id, day, difference, record
                  FROM sessions
                 WHERE day > %(today)s::date - 7 * %(weeks)s AND day <= %(today)s
                UNION ALL
                SELECT d.product_id, d.location_id, d.day,
                       d.qty_count_gain - d.qty_count_loss,
                       d.closing_qty - d.qty_count_gain + d.qty_count_loss
                  FROM rrs_stock_daily d
                 WHERE d.warehouse_id = ANY(%(stores)s)
                   AND d.day > %(today)s::date - 7 * %(weeks)s AND d.day <= %(today)s
                   AND (d.qty_count_gain <> 0 OR d.qty_count_loss <> 0)
                   AND NOT EXISTS (
                       SELECT 1 FROM sessions s
                        WHERE s.product_id = d.product_id AND s.location_id = d.location_id
                          AND (%(today)s::date - s.day) / 7 = (%(today)s::date - d.day) / 7)
            )
            SELECT (%(today)s::date - day) / 7 AS bucket, count(*) AS counted,
                   count(*) FILTER (WHERE abs(difference)
                                    <= greatest(%(units)s, %(pct)s / 100.0 * abs(record)))
                       AS accurate
              FROM counted GROUP BY 1 ORDER BY 1 DESC
            """,
            today=today,
            stores=list(store_ids),
            weeks=weeks,
            zone=timezone,
            units=tolerance_units,
            pct=tolerance_pct,
        ),
    )


def demand_by_day(cr, product_ids, store_ids, first, last):
    """Net units sold per local day of ``products`` in ``stores`` (days without are absent)."""
    return _fetch(
        cr,
        SQL(
            """
            SELECT d.day, sum((d.qty_sold - d.qty_returned)::float8) AS units
              FROM rrs_stock_daily d
             WHERE d.product_id = ANY(%(products)s) AND d.warehouse_id = ANY(%(stores)s)
               AND d.day >= %(first)s AND d.day <= %(last)s
             GROUP BY 1 ORDER BY 1
            """,
            products=list(product_ids),
            stores=list(store_ids),
            first=first,
            last=last,
        ),
    )


def forecast_by_day(cr, product_ids, store_ids):
    """The latest forecast of ``products`` in ``stores`` per day: mean and 80 % bounds."""
    return _fetch(
        cr,
        SQL(
            """
            SELECT f.date AS day, sum(f.mean::float8) AS mean,
                   sum(f.lo80::float8) AS lo80, sum(f.hi80::float8) AS hi80
              FROM rrs_forecast f
             WHERE f.product_id = ANY(%(products)s) AND f.warehouse_id = ANY(%(stores)s)
             GROUP BY 1 ORDER BY 1
            """,
            products=list(product_ids),
            stores=list(store_ids),
        ),
    )


def period_by_product(cr, store_ids, first, last):
    """Per product over the local days ``first`` .. ``last`` of the stores: net units and
    sales, cost of sales, count losses and scraps (units and value at cost)."""
    return _fetch(
        cr,
        SQL(
            """
            SELECT d.product_id,
                   sum((d.qty_sold - d.qty_returned)::float8) AS units,
                   sum((d.value_sold - d.value_returned)::float8) AS sales,
                   sum(d.cost_sold::float8) AS cost,
                   sum(d.qty_count_loss::float8) AS count_loss_units,
                   sum(greatest(-d.value_count_diff, 0)::float8) AS count_loss_value,
                   sum(d.qty_scrapped::float8) AS scrapped_units,
                   sum(d.value_scrapped::float8) AS scrapped_value
              FROM rrs_stock_daily d
             WHERE d.warehouse_id = ANY(%(stores)s) AND d.day BETWEEN %(first)s AND %(last)s
             GROUP BY 1
            """,
            first=first,
            last=last,
            stores=list(store_ids),
        ),
    )


def shrink_by_day(cr, store_ids, first, last):
    """Count losses and scraps at cost per local day of the stores."""
    return _fetch(
        cr,
        SQL(
            """
            SELECT d.day,
                   sum(greatest(-d.value_count_diff, 0)::float8 + d.value_scrapped::float8)
                       AS value
              FROM rrs_stock_daily d
             WHERE d.warehouse_id = ANY(%(stores)s) AND d.day BETWEEN %(first)s AND %(last)s
             GROUP BY 1 ORDER BY 1
            """,
            first=first,
            last=last,
            stores=list(store_ids),
        ),
    )
