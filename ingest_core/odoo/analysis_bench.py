"""The dashboard's figures twice: from the rollups, and from ``stock_move`` as Odoo does.

What it is: ``FIGURES``, one ``Figure`` per dashboard figure and pivot that
``rtstock bench analysis`` times: a query over the rollups (``rrs_stock_daily``,
``rrs_sales_hourly``, ``rrs_category_daily``, ``rrs_stock_position``) and the
query Odoo's *Moves Analysis* (the ``stock.move`` pivot, ``read_group`` with a
date domain) runs for the same figure: done moves joined to their source and
destination locations and their product, filtered on ``date`` (an indexed
column; local days converted to UTC bounds, as the ORM does with the user's
time zone), grouped. Both return the same rows, in the
same order, numbers rounded to 6 decimals, so that the benchmark can assert
they are equal.

How it works: every query takes ``%(today)s`` (the local day the dashboard is
for), ``%(stores)s`` (warehouse ids), ``%(tz)s`` (the rollups' zone). Sales are
net: units and list-price value sold to customers less returned from them,
in the product's unit; a store's move is one whose internal side belongs to
it. Definitions (as the add-on's dashboard): top movers by net units over 7
days; on hand = now: the stock position (from moves: the sum of every done
move in and out); dead stock = on hand > 0 and no sale in the 30 days to
``today``; days of cover of a store = its on hand / its average daily net units
of the 28 days to ``today``.

Caveats: the moves' side computes on hand from every move since the first,
as ``stock_move`` holds no running balance. On hand is *now* on both sides:
moves the journal phase of an earlier run added after ``today`` count on both.
The figures are chain-wide over ``stores``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    name: str
    what: str
    rollups: str
    moves: str


#: A store's done sale (+) or customer return (-) of a product, in its unit, with its
#: local time and list price: the rows Odoo's stock.move pivot groups.
_MOVES = """
    SELECT (m.date AT TIME ZONE 'UTC') AT TIME ZONE %(tz)s AS local_at, m.product_id,
           CASE WHEN src.usage = 'internal' THEN src.warehouse_id
                ELSE dst.warehouse_id END AS warehouse_id,
           CASE WHEN src.usage = 'internal' THEN 1 ELSE -1 END
             * CASE WHEN m.product_uom = t.uom_id THEN m.quantity
                    ELSE m.quantity / unit.factor * product_unit.factor END AS qty,
           coalesce(t.list_price, 0) AS list_price, t.categ_id
      FROM stock_move m
      JOIN stock_location src ON src.id = m.location_id
      JOIN stock_location dst ON dst.id = m.location_dest_id
      JOIN product_product p ON p.id = m.product_id
      JOIN product_template t ON t.id = p.product_tmpl_id
      JOIN uom_uom unit ON unit.id = m.product_uom
      JOIN uom_uom product_unit ON product_unit.id = t.uom_id
     WHERE m.state = 'done'
       AND m.date >= (%(since)s::timestamp AT TIME ZONE %(tz)s) AT TIME ZONE 'UTC'
       AND m.date < ((%(today)s::date + 1)::timestamp AT TIME ZONE %(tz)s) AT TIME ZONE 'UTC'
       AND (src.usage = 'internal' AND dst.usage = 'customer'
            OR src.usage = 'customer' AND dst.usage = 'internal')
       AND (CASE WHEN src.usage = 'internal' THEN src.warehouse_id
                 ELSE dst.warehouse_id END) = ANY(%(stores)s)
"""


def _moves_since(since: str) -> str:
    """The sales of ``_MOVES`` from local day ``since`` (an SQL date expression)."""
    return _MOVES.replace("%(since)s", f"({since})")


SALES_TODAY = Figure(
    "sales_today", "today's net sales per store vs the same weekday last week",
    rollups="""
        SELECT h.warehouse_id,
               round(coalesce(sum(h.qty_sold - h.qty_returned)
                              FILTER (WHERE h.hour::date = %(today)s), 0), 6),
               round(coalesce(sum(h.value_sold - h.value_returned)
                              FILTER (WHERE h.hour::date = %(today)s), 0), 6),
               round(coalesce(sum(h.qty_sold - h.qty_returned)
                              FILTER (WHERE h.hour::date = %(today)s::date - 7), 0), 6),
               round(coalesce(sum(h.value_sold - h.value_returned)
                              FILTER (WHERE h.hour::date = %(today)s::date - 7), 0), 6)
          FROM rrs_sales_hourly h
         WHERE h.warehouse_id = ANY(%(stores)s)
           AND h.hour >= (%(today)s::date - 7)::timestamp
           AND h.hour < (%(today)s::date + 1)::timestamp
           AND (h.hour::date = %(today)s OR h.hour::date = %(today)s::date - 7)
         GROUP BY 1 ORDER BY 1""",
    moves=f"""
        SELECT s.warehouse_id,
               round(coalesce(sum(s.qty) FILTER (WHERE s.local_at::date = %(today)s), 0), 6),
               round(coalesce(sum(s.qty * s.list_price)
                              FILTER (WHERE s.local_at::date = %(today)s), 0), 6),
               round(coalesce(sum(s.qty)
                              FILTER (WHERE s.local_at::date = %(today)s::date - 7), 0), 6),
               round(coalesce(sum(s.qty * s.list_price)
                              FILTER (WHERE s.local_at::date = %(today)s::date - 7), 0), 6)
          FROM ({_moves_since("%(today)s::date - 7")}) s
         WHERE s.local_at::date = %(today)s OR s.local_at::date = %(today)s::date - 7
         GROUP BY 1 ORDER BY 1""")

TOP_MOVERS = Figure(
    "top_movers_7d", "top 20 products by net units over the last 7 days, chain-wide",
    rollups="""
        SELECT d.product_id, round(sum(d.qty_sold - d.qty_returned), 6) AS units,
               round(sum(d.value_sold - d.value_returned), 6)
          FROM rrs_stock_daily d
         WHERE d.day > %(today)s::date - 7 AND d.day <= %(today)s
           AND d.warehouse_id = ANY(%(stores)s)
           AND (d.qty_sold <> 0 OR d.qty_returned <> 0)
         GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20""",
    moves=f"""
        SELECT s.product_id, round(sum(s.qty), 6) AS units,
               round(sum(s.qty * s.list_price), 6)
          FROM ({_moves_since("%(today)s::date - 6")}) s
         GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20""")

#: On hand now and the last sale day per (product, internal location of the stores) from
#: the moves: every done move into or out of them summed per key (Odoo itself would
#: read ``stock_quant`` for the on hand, but it keeps no last sale day).
_ON_HAND_MOVES = """
    SELECT here.warehouse_id, m.product_id, here.id AS location_id, m.company_id,
           sum(side.direction * CASE WHEN m.product_uom = t.uom_id THEN m.quantity
                    ELSE m.quantity / unit.factor * product_unit.factor END) AS on_hand,
           max(((m.date AT TIME ZONE 'UTC') AT TIME ZONE %(tz)s)::date)
               FILTER (WHERE side.direction < 0 AND other.usage = 'customer') AS last_sale
      FROM stock_move m
      CROSS JOIN LATERAL (VALUES (m.location_dest_id, 1, m.location_id),
                                 (m.location_id, -1, m.location_dest_id))
                 AS side(location_id, direction, other_id)
      JOIN stock_location here ON here.id = side.location_id AND here.usage = 'internal'
      JOIN stock_location other ON other.id = side.other_id
      JOIN product_product p ON p.id = m.product_id
      JOIN product_template t ON t.id = p.product_tmpl_id
      JOIN uom_uom unit ON unit.id = m.product_uom
      JOIN uom_uom product_unit ON product_unit.id = t.uom_id
     WHERE m.state = 'done' AND here.warehouse_id = ANY(%(stores)s)
     GROUP BY 1, 2, 3, 4
"""

DEAD_STOCK = Figure(
    "dead_stock", "per store: products on hand now with no sale in the 30 days to today "
                  "(count, units, value at cost)",
    rollups="""
        SELECT s.warehouse_id, count(*), round(sum(s.on_hand), 6),
               round(sum(s.on_hand * coalesce(
                   (p.standard_price ->> s.company_id::text)::numeric, 0)), 6)
          FROM rrs_stock_position s JOIN product_product p ON p.id = s.product_id
         WHERE s.warehouse_id = ANY(%(stores)s) AND s.on_hand > 0
           AND (s.last_sale_day IS NULL OR s.last_sale_day <= %(today)s::date - 30)
         GROUP BY 1 ORDER BY 1""",
    moves=f"""
        WITH on_hand AS ({_ON_HAND_MOVES})
        SELECT o.warehouse_id, count(*), round(sum(o.on_hand), 6),
               round(sum(o.on_hand * coalesce(
                   (p.standard_price ->> o.company_id::text)::numeric, 0)), 6)
          FROM on_hand o JOIN product_product p ON p.id = o.product_id
         WHERE o.on_hand > 0
           AND (o.last_sale IS NULL OR o.last_sale <= %(today)s::date - 30)
         GROUP BY 1 ORDER BY 1""")

DAYS_OF_COVER = Figure(
    "days_of_cover", "per store: units on hand now, net units sold in the 28 days to today, "
                     "days of cover",
    rollups="""
        WITH stock AS (
            SELECT warehouse_id, sum(on_hand) AS on_hand FROM rrs_stock_position
             WHERE warehouse_id = ANY(%(stores)s) GROUP BY 1
        ), sold AS (
            SELECT h.warehouse_id, sum(h.qty_sold - h.qty_returned) AS units
              FROM rrs_sales_hourly h
             WHERE h.warehouse_id = ANY(%(stores)s)
               AND h.hour >= (%(today)s::date - 27)::timestamp
               AND h.hour < (%(today)s::date + 1)::timestamp
             GROUP BY 1
        )
        SELECT stock.warehouse_id, round(stock.on_hand, 6), round(coalesce(sold.units, 0), 6),
               round(stock.on_hand / nullif(sold.units / 28.0, 0), 6)
          FROM stock LEFT JOIN sold USING (warehouse_id) ORDER BY 1""",
    moves=f"""
        WITH stock AS (
            SELECT warehouse_id, sum(on_hand) AS on_hand FROM ({_ON_HAND_MOVES}) o GROUP BY 1
        ), sold AS (
            SELECT s.warehouse_id, sum(s.qty) AS units
              FROM ({_moves_since("%(today)s::date - 27")}) s GROUP BY 1
        )
        SELECT stock.warehouse_id, round(stock.on_hand, 6), round(coalesce(sold.units, 0), 6),
               round(stock.on_hand / nullif(sold.units / 28.0, 0), 6)
          FROM stock LEFT JOIN sold USING (warehouse_id) ORDER BY 1""")


def _pivot(name: str, days: int) -> Figure:
    return Figure(
        name, f"net units and sales by store x ISO week x product category, last {days} days",
        rollups=f"""
            SELECT c.warehouse_id, date_trunc('week', c.day)::date AS week, c.categ_id,
                   round(sum(c.qty_sold - c.qty_returned), 6),
                   round(sum(c.value_sold - c.value_returned), 6)
              FROM rrs_category_daily c
             WHERE c.day > %(today)s::date - {days} AND c.day <= %(today)s
               AND c.warehouse_id = ANY(%(stores)s)
             GROUP BY 1, 2, 3 ORDER BY 1, 2, 3""",
        moves=f"""
            SELECT s.warehouse_id, date_trunc('week', s.local_at)::date AS week, s.categ_id,
                   round(sum(s.qty), 6), round(sum(s.qty * s.list_price), 6)
              FROM ({_moves_since(f"%(today)s::date - {days - 1}")}) s
             GROUP BY 1, 2, 3 ORDER BY 1, 2, 3""")


PIVOT_QUARTER = _pivot("pivot_quarter", 91)
PIVOT_YEAR = _pivot("pivot_year", 364)

FIGURES = (SALES_TODAY, TOP_MOVERS, DEAD_STOCK, DAYS_OF_COVER, PIVOT_QUARTER, PIVOT_YEAR)


def run(cur, sql: str, params: dict) -> list[tuple]:
    cur.execute(sql, params)
    return cur.fetchall()


# -- the journal's cost of keeping the rollups ------------------------------------------

_ROLLUP_TRIGGERS = ("rrs_rollup_inserted", "rrs_rollup_updated", "rrs_rollup_deleted")


def set_rollup_triggers(cur, enabled: bool) -> None:
    """Switch the rollup triggers on ``stock_move`` (back to ``ALWAYS``) or off."""
    for trigger in _ROLLUP_TRIGGERS:
        state = "ENABLE ALWAYS" if enabled else "DISABLE"
        cur.execute(f"ALTER TABLE stock_move {state} TRIGGER {trigger}")


def last_move_id(cur) -> int:
    cur.execute("SELECT coalesce(max(id), 0) FROM stock_move")
    return cur.fetchone()[0]


def roll_up_moves(cur, after_id: int, up_to_id: int) -> int:
    """Roll up the done moves of ids (``after_id``, ``up_to_id``], written while the
    triggers were off, with the triggers' own function; returns how many."""
    cur.execute("""
        WITH moves AS (SELECT ARRAY(SELECT m FROM stock_move m
                                     WHERE m.id > %s AND m.id <= %s AND m.state = 'done'
                                     ORDER BY m.id) AS added)
        SELECT rrs_rollup_apply(added, '{}'), cardinality(added) FROM moves""",
                (after_id, up_to_id))
    return cur.fetchone()[1]
