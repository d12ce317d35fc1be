"""The queries of ``rtstock report``: figures read from the rollups and the count tables.

What it is: every SQL text the reports (``ingest_core.reports``) run, here because
this package is the one home of Odoo table knowledge. Sales, stock and shrink come
from the rollups ``rrs_stock_daily`` / ``rrs_sales_hourly`` (docs/decisions/rollups.md),
never from ``stock_move``; counts from the add-on's ``rrs_count_session`` /
``rrs_count_line``.

How it works: one small function per figure, each one set-based statement with
bound parameters, returning plain rows (tuples of numbers, dates and strings).
A period is ``since`` .. ``until``, both days included, in the rollups' local days;
``warehouses`` is a list of warehouse ids (the stores asked for). Quantities are in
the products' units, values at list price (sales) or at cost (``standard_price`` of
the row's company) as the rollups hold them.

Caveats: product names are Odoo's ``en_US`` translation (the code where it has none).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

_PRODUCT_NAME = "coalesce(t.name->>'en_US', p.default_code, 'product ' || p.id)"
_PRODUCT_COST = "coalesce((p.standard_price ->> r.company_id::text)::numeric, 0)"


def rollups_present(cur) -> bool:
    """Do the rollup tables exist (the add-on installed, or ``rtstock db init``)?"""
    cur.execute("SELECT to_regclass('rrs_stock_daily') IS NOT NULL "
                "AND to_regclass('rrs_sales_hourly') IS NOT NULL")
    return cur.fetchone()[0]


def database_name(cur) -> str:
    cur.execute("SELECT current_database()")
    return cur.fetchone()[0]


def history_imported(cur) -> bool:
    """Has ``rtstock history import`` loaded sales here (its ``history-<store>`` devices)?"""
    cur.execute("SELECT EXISTS (SELECT 1 FROM rrs_device WHERE name LIKE 'history-%%')")
    return cur.fetchone()[0]


def warehouses(cur, codes: Sequence[str] | None = None) -> list[tuple[int, str, str]]:
    """(id, code, name) of the active warehouses, in id order; ``codes``: only those."""
    cur.execute("""
        SELECT id, code, name FROM stock_warehouse
         WHERE coalesce(active, true)
           AND (%(codes)s::varchar[] IS NULL OR code = ANY(%(codes)s::varchar[]))
         ORDER BY id""", {"codes": list(codes) if codes else None})
    return cur.fetchall()


def daily_sales(cur, since: date, until: date, warehouse_ids: Sequence[int]) -> list[tuple]:
    """(day, warehouse id, units sold, units returned, sales value, returns value, cost of
    net sales) per day and store with a sale or a return."""
    cur.execute("""
        SELECT day, warehouse_id, sum(qty_sold), sum(qty_returned), sum(value_sold),
               sum(value_returned), sum(cost_sold)
          FROM rrs_stock_daily
         WHERE day BETWEEN %(since)s AND %(until)s AND warehouse_id = ANY(%(warehouses)s)
           AND (qty_sold <> 0 OR qty_returned <> 0)
         GROUP BY 1, 2 ORDER BY 1, 2""",
                {"since": since, "until": until, "warehouses": list(warehouse_ids)})
    return cur.fetchall()


def product_sales(cur, since: date, until: date, warehouse_ids: Sequence[int]) -> list[tuple]:
    """(product id, code, name, category, units sold, units returned, sales value, returns
    value, cost of net sales) per product sold or returned in the stores."""
    cur.execute(f"""
        SELECT p.id, coalesce(p.default_code, ''), {_PRODUCT_NAME}, coalesce(c.name, ''),
               s.sold, s.returned, s.value_sold, s.value_returned, s.cost_sold
          FROM (SELECT product_id, sum(qty_sold) AS sold, sum(qty_returned) AS returned,
                       sum(value_sold) AS value_sold, sum(value_returned) AS value_returned,
                       sum(cost_sold) AS cost_sold
                  FROM rrs_stock_daily
                 WHERE day BETWEEN %(since)s AND %(until)s
                   AND warehouse_id = ANY(%(warehouses)s)
                   AND (qty_sold <> 0 OR qty_returned <> 0)
                 GROUP BY 1) s
          JOIN product_product p ON p.id = s.product_id
          JOIN product_template t ON t.id = p.product_tmpl_id
          LEFT JOIN product_category c ON c.id = t.categ_id
         ORDER BY s.value_sold - s.value_returned DESC, p.id""",
                {"since": since, "until": until, "warehouses": list(warehouse_ids)})
    return cur.fetchall()


def sales_by_weekday_hour(cur, since: date, until: date,
                          warehouse_ids: Sequence[int]) -> list[tuple]:
    """(ISO weekday 1-7, local hour 0-23, net units, net value) over the period."""
    cur.execute("""
        SELECT extract(isodow FROM hour)::int, extract(hour FROM hour)::int,
               sum(qty_sold - qty_returned), sum(value_sold - value_returned)
          FROM rrs_sales_hourly
         WHERE hour >= %(since)s AND hour < %(until)s::date + 1
           AND warehouse_id = ANY(%(warehouses)s)
         GROUP BY 1, 2 ORDER BY 1, 2""",
                {"since": since, "until": until, "warehouses": list(warehouse_ids)})
    return cur.fetchall()


def stock_position(cur, since: date, until: date, warehouse_ids: Sequence[int]) -> list[tuple]:
    """(warehouse id, location, product id, code, name, category, on hand at the end of
    ``until``, net units sold in the period, last day with a sale up to ``until``, unit
    cost, list price) per product and internal location with stock or sales."""
    cur.execute(f"""
        WITH latest AS (
            SELECT DISTINCT ON (product_id, location_id)
                   product_id, location_id, warehouse_id, company_id, closing_qty
              FROM rrs_stock_daily
             WHERE day <= %(until)s AND warehouse_id = ANY(%(warehouses)s)
             ORDER BY product_id, location_id, day DESC
        ), sales AS (
            SELECT product_id, location_id,
                   sum(qty_sold - qty_returned) FILTER (WHERE day >= %(since)s) AS net_sold,
                   max(day) FILTER (WHERE qty_sold > 0) AS last_sale
              FROM rrs_stock_daily
             WHERE day <= %(until)s AND warehouse_id = ANY(%(warehouses)s)
               AND (qty_sold <> 0 OR qty_returned <> 0)
             GROUP BY 1, 2
        )
        SELECT r.warehouse_id, coalesce(l.complete_name, l.name), p.id,
               coalesce(p.default_code, ''), {_PRODUCT_NAME}, coalesce(c.name, ''),
               coalesce(r.closing_qty, 0), coalesce(s.net_sold, 0), s.last_sale,
               {_PRODUCT_COST}, coalesce(t.list_price, 0)
          FROM latest r
          LEFT JOIN sales s ON s.product_id = r.product_id AND s.location_id = r.location_id
          JOIN stock_location l ON l.id = r.location_id
          JOIN product_product p ON p.id = r.product_id
          JOIN product_template t ON t.id = p.product_tmpl_id
          LEFT JOIN product_category c ON c.id = t.categ_id
         WHERE coalesce(r.closing_qty, 0) <> 0 OR coalesce(s.net_sold, 0) <> 0
         ORDER BY r.warehouse_id, p.id, l.id""",
                {"since": since, "until": until, "warehouses": list(warehouse_ids)})
    return cur.fetchall()


def daily_net_change(cur, since: date, until: date, warehouse_ids: Sequence[int]
                     ) -> list[tuple]:
    """(day, warehouse id, net change in units) per day and store, with day ``since - 1``
    carrying the on-hand before the period (the latest closing of every product-location)."""
    cur.execute("""
        SELECT %(since)s::date - 1, warehouse_id, sum(closing_qty)
          FROM (SELECT DISTINCT ON (product_id, location_id) warehouse_id, closing_qty
                  FROM rrs_stock_daily
                 WHERE day < %(since)s AND warehouse_id = ANY(%(warehouses)s)
                 ORDER BY product_id, location_id, day DESC) opening
         GROUP BY 2
        UNION ALL
        SELECT day, warehouse_id, sum(qty_net)
          FROM rrs_stock_daily
         WHERE day BETWEEN %(since)s AND %(until)s AND warehouse_id = ANY(%(warehouses)s)
         GROUP BY 1, 2
         ORDER BY 1, 2""",
                {"since": since, "until": until, "warehouses": list(warehouse_ids)})
    return cur.fetchall()


def shrink_daily(cur, since: date, until: date, warehouse_ids: Sequence[int]) -> list[tuple]:
    """(day, warehouse id, count gain, count loss, count difference at cost, scrapped,
    scrap at cost, cost of net sales) per day and store with a count, a scrap or a sale."""
    cur.execute("""
        SELECT day, warehouse_id, sum(qty_count_gain), sum(qty_count_loss),
               sum(value_count_diff), sum(qty_scrapped), sum(value_scrapped), sum(cost_sold)
          FROM rrs_stock_daily
         WHERE day BETWEEN %(since)s AND %(until)s AND warehouse_id = ANY(%(warehouses)s)
           AND (qty_count_gain <> 0 OR qty_count_loss <> 0 OR qty_scrapped <> 0
                OR cost_sold <> 0)
         GROUP BY 1, 2 ORDER BY 1, 2""",
                {"since": since, "until": until, "warehouses": list(warehouse_ids)})
    return cur.fetchall()


def rfid_exit_losses(cur, since: date, until: date, warehouse_ids: Sequence[int]
                     ) -> list[tuple]:
    """(warehouse id, units, value at cost) per store of the tags an RFID exit reader saw
    leave without a sale in the period (local days of the rollups' time zone): the ingest
    books them as losses (``rfid_exit_movement = shrink``, read key
    ``epc:<EPC>:shrink``), so they are part of the count losses; this says how much. The
    add-on's dashboard asks the same (``rfid_exit_losses`` in its analysis queries), and
    the partial index ``rrs_event_rfid_shrink_idx`` answers both."""
    from ingest_core.odoo import rollup

    cur.execute(f"""
        SELECT r.warehouse_id, sum(r.quantity),
               sum(r.quantity * {_PRODUCT_COST})
          FROM rrs_event r
          JOIN product_product p ON p.id = r.product_id
         WHERE r.read_key ~ '^epc:.+:shrink$'
           AND r.warehouse_id = ANY(%(warehouses)s)
           AND r.read_at >= (%(since)s::timestamp AT TIME ZONE %(zone)s) AT TIME ZONE 'UTC'
           AND r.read_at < ((%(until)s::date + 1)::timestamp AT TIME ZONE %(zone)s)
                            AT TIME ZONE 'UTC'
         GROUP BY 1 ORDER BY 1""",
                {"since": since, "until": until, "warehouses": list(warehouse_ids),
                 "zone": rollup.timezone(cur)})
    return cur.fetchall()


def shrink_by_product(cur, since: date, until: date, warehouse_ids: Sequence[int]
                      ) -> list[tuple]:
    """(warehouse id, code, name, count gain, count loss, count difference at cost,
    scrapped, scrap at cost) per store and product with a count difference or a scrap."""
    cur.execute(f"""
        SELECT r.warehouse_id, coalesce(p.default_code, ''), {_PRODUCT_NAME},
               sum(r.qty_count_gain), sum(r.qty_count_loss), sum(r.value_count_diff),
               sum(r.qty_scrapped), sum(r.value_scrapped)
          FROM rrs_stock_daily r
          JOIN product_product p ON p.id = r.product_id
          JOIN product_template t ON t.id = p.product_tmpl_id
         WHERE r.day BETWEEN %(since)s AND %(until)s AND r.warehouse_id = ANY(%(warehouses)s)
           AND (r.qty_count_gain <> 0 OR r.qty_count_loss <> 0 OR r.qty_scrapped <> 0)
         GROUP BY 1, 2, 3, p.id ORDER BY 1, p.id""",
                {"since": since, "until": until, "warehouses": list(warehouse_ids)})
    return cur.fetchall()


def count_lines(cur, since: date, until: date, warehouse_ids: Sequence[int]) -> list[tuple]:
    """(session id, session, warehouse id, location, state, started, closed, code, name,
    expected, counted, unit cost) per line of the count sessions started in the period
    (a session without lines yet: one row with no product)."""
    cur.execute(f"""
        SELECT s.id, s.name, s.warehouse_id, coalesce(l.complete_name, l.name), s.state,
               s.started_at, s.closed_at, p.default_code, {_PRODUCT_NAME},
               r.expected, r.counted, {_PRODUCT_COST}
          FROM rrs_count_session s
          JOIN stock_location l ON l.id = s.location_id
          LEFT JOIN (SELECT line.*, session.company_id
                       FROM rrs_count_line line
                       JOIN rrs_count_session session ON session.id = line.session_id) r
            ON r.session_id = s.id
          LEFT JOIN product_product p ON p.id = r.product_id
          LEFT JOIN product_template t ON t.id = p.product_tmpl_id
         WHERE s.started_at >= %(since)s AND s.started_at < %(until)s::date + 1
           AND s.warehouse_id = ANY(%(warehouses)s)
         ORDER BY s.started_at, s.id, p.default_code""",
                {"since": since, "until": until, "warehouses": list(warehouse_ids)})
    return cur.fetchall()
