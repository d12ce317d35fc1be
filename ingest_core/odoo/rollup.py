"""Sales and stock rollups: the SQL that keeps them equal to Odoo's done moves.

What it is: the tables the analysis reads instead of ``stock_move``:
``rrs_stock_daily`` (day x product x internal location: units sold,
returned, received, transferred, scrapped, counted up and down, the day's net
change, closing on-hand, sales at list price and at cost),
``rrs_sales_hourly`` (hour x store: units and value sold and returned, for
the intraday view and the hour x weekday heatmap), and two kept beside them
for the figures a person waits for at chain scale, where the daily rollup
has as many rows as the moves: ``rrs_category_daily`` (day x store x product
category: sales, returns, cost of sales; the pivots of a quarter or a year)
and ``rrs_stock_position`` (product x internal location now: on hand and the
last sale day; dead stock, days of cover, out of stock). Plus the PL/pgSQL
that fills them.

How it works: statement-level triggers on ``stock_move`` (``AFTER INSERT`` /
``UPDATE`` / ``DELETE`` with transition tables, enabled ``ALWAYS`` so they also
fire while the journal writes with ``session_replication_role = replica``)
hand the moves that became done, stopped being done, or changed a figure
while done (date, product, locations, quantity, unit, scrap/inventory flags)
to ``rrs_rollup_apply(added, removed)``. It adds the first and subtracts the
second, per side of each move that is an internal location, then recomputes
the closing on-hand of the touched (product, location) rows from the day
before the earliest touched day (closing = running sum of the day's net
change). So every writer of moves keeps the rollups current in its own
transaction: the journal's ``INSERT``, Odoo's ORM (``_action_done`` writes
``state = 'done'``), the history import re-dating its moves. A rebuild is the
same function over every done move, chunk by chunk, on empty tables, so the
two can only differ if the moves were changed behind the triggers' back.

Days and hours are local time in the zone of the system parameter
``retail_realtime_stock.rollup_timezone`` (default UTC). Values use the list
price and the product's cost (``standard_price`` of the move's company) at
the time the move is rolled up; a rebuild values every move at today's
prices (docs/decisions/rollups.md).

The two coarse tables are each a function of the daily rollup (``DERIVED``:
the category table groups the daily rows of a store and day by the product's
*current* category, as Odoo's own pivots group moves; the position is the sum
of a key's net changes and its latest day with a sale), so they are kept by
the same statement and a product changing category moves its history with
it (trigger on ``product_template``); ``derive`` fills them from the daily
rows when they are new (an upgrade, a generated history).

Caveats: the add-on creates the same objects from ``report/rrs_rollup.sql``;
``tests/test_rollups.py`` requires that file to equal ``FUNCTIONS_DDL``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

from ingest_core.odoo import sql

TIMEZONE_PARAMETER = "retail_realtime_stock.rollup_timezone"

#: The counters of a daily row, in the order of ``rrs_rollup_lines``' columns.
DAILY_COUNTERS = (
    "qty_sold", "qty_returned", "qty_received", "qty_transfer_in", "qty_transfer_out",
    "qty_scrapped", "qty_count_gain", "qty_count_loss", "qty_net", "value_sold",
    "value_returned", "cost_sold", "value_count_diff", "value_scrapped",
)
HOURLY_COUNTERS = ("qty_sold", "qty_returned", "value_sold", "value_returned")
CATEGORY_COUNTERS = ("qty_sold", "qty_returned", "value_sold", "value_returned", "cost_sold")

DAILY_INDEXES = (
    "CREATE UNIQUE INDEX rrs_stock_daily_key_uniq ON rrs_stock_daily "
    "(product_id, location_id, day)",
    "CREATE INDEX rrs_stock_daily_day_idx ON rrs_stock_daily (day, warehouse_id)",
)
HOURLY_INDEXES = (
    "CREATE UNIQUE INDEX rrs_sales_hourly_key_uniq ON rrs_sales_hourly (warehouse_id, hour)",
)
CATEGORY_INDEXES = (
    "CREATE UNIQUE INDEX rrs_category_daily_key_uniq ON rrs_category_daily "
    "(warehouse_id, day, categ_id)",
)
POSITION_INDEXES = (
    "CREATE UNIQUE INDEX rrs_stock_position_key_uniq ON rrs_stock_position "
    "(product_id, location_id)",
    "CREATE INDEX rrs_stock_position_warehouse_idx ON rrs_stock_position (warehouse_id)",
)

_COUNTER_SUMS = ",\n                       ".join(f"sum(l.{name}) AS {name}"
                                              for name in DAILY_COUNTERS)
_HOURLY_SUMS = ",\n           ".join(f"sum(l.{name})" for name in HOURLY_COUNTERS)
_ADD_DAILY = ",\n        ".join(f"{name} = t.{name} + EXCLUDED.{name}"
                                for name in DAILY_COUNTERS)
_ADD_HOURLY = ",\n        ".join(f"{name} = t.{name} + EXCLUDED.{name}"
                                 for name in HOURLY_COUNTERS)
_CATEGORY_SUMS = ",\n           ".join(f"sum(l.{name})" for name in CATEGORY_COUNTERS)
_ADD_CATEGORY = ",\n        ".join(f"{name} = t.{name} + EXCLUDED.{name}"
                                   for name in CATEGORY_COUNTERS)
_DAILY_ZERO = " AND ".join(f"t.{name} = 0" for name in DAILY_COUNTERS)
_HOURLY_ZERO = " AND ".join(f"t.{name} = 0" for name in HOURLY_COUNTERS)
_CATEGORY_ZERO = " AND ".join(f"t.{name} = 0" for name in CATEGORY_COUNTERS)

#: Both coarse tables from the daily rows: what the triggers keep them equal to, and
#: how ``derive`` fills them.
_CATEGORY_FROM_DAILY = f"""
    SELECT d.day, d.warehouse_id, t.categ_id, min(d.company_id),
           {", ".join(f"sum(d.{name})" for name in CATEGORY_COUNTERS)}
      FROM rrs_stock_daily d
      JOIN product_product p ON p.id = d.product_id
      JOIN product_template t ON t.id = p.product_tmpl_id
     WHERE d.warehouse_id IS NOT NULL AND (d.qty_sold <> 0 OR d.qty_returned <> 0)
     GROUP BY 1, 2, 3"""
_POSITION_FROM_DAILY = """
    SELECT d.product_id, d.location_id, min(d.warehouse_id), min(d.company_id),
           sum(d.qty_net), max(d.day) FILTER (WHERE d.qty_sold > 0), max(d.day)
      FROM rrs_stock_daily d
     GROUP BY 1, 2"""
#: The daily sums of the products whose template changed category in the statement,
#: per day, store, former and new category (the recategorisation trigger's moves).
_RECATEGORISED = f"""recategorised AS (
        SELECT p.id AS product_id, o.categ_id AS from_categ, n.categ_id AS to_categ
          FROM rrs_old o
          JOIN rrs_new n ON n.id = o.id AND n.categ_id IS DISTINCT FROM o.categ_id
          JOIN product_product p ON p.product_tmpl_id = n.id
    ), moved AS (
        SELECT d.day, d.warehouse_id, r.from_categ, r.to_categ, min(d.company_id) AS company_id,
               {", ".join(f"sum(d.{name}) AS {name}" for name in CATEGORY_COUNTERS)}
          FROM recategorised r
          JOIN rrs_stock_daily d ON d.product_id = r.product_id
         WHERE d.warehouse_id IS NOT NULL AND (d.qty_sold <> 0 OR d.qty_returned <> 0)
         GROUP BY 1, 2, 3, 4
    )"""
_CATEGORY_COLUMNS = f"day, warehouse_id, categ_id, company_id, {', '.join(CATEGORY_COUNTERS)}"
_POSITION_COLUMNS = ("product_id, location_id, warehouse_id, company_id, on_hand, "
                     "last_sale_day, last_day")

#: Compared while done: a change of any of these moves the move's figures.
_FIGURES = ("date", "product_id", "location_id", "location_dest_id", "company_id",
            "quantity", "product_uom", "scrapped", "is_inventory")
_CHANGED = " OR ".join(f"o.{name} IS DISTINCT FROM n.{name}" for name in _FIGURES)

FUNCTIONS_DDL = f"""
DROP FUNCTION IF EXISTS rrs_rollup_lines(stock_move[], stock_move[]);  -- new row type in 1.6
CREATE FUNCTION rrs_rollup_lines(added stock_move[], removed stock_move[])
RETURNS TABLE (local_at timestamp, product_id integer, location_id integer,
               warehouse_id integer, company_id integer, categ_id integer, qty_sold numeric,
               qty_returned numeric, qty_received numeric, qty_transfer_in numeric,
               qty_transfer_out numeric, qty_scrapped numeric, qty_count_gain numeric,
               qty_count_loss numeric, qty_net numeric, value_sold numeric,
               value_returned numeric, cost_sold numeric, value_count_diff numeric,
               value_scrapped numeric)
LANGUAGE sql STABLE AS $rrs$
    -- Each done move seen from each internal location it touches: direction +1 into
    -- it, -1 out of it; what the other side is decides the counter it feeds.
    WITH zone AS (
        SELECT coalesce((SELECT value FROM ir_config_parameter
                          WHERE key = '{TIMEZONE_PARAMETER}'), 'UTC') AS name
    ), moves AS (
        SELECT 1 AS sign, m.* FROM unnest(added) AS m
        UNION ALL
        SELECT -1, m.* FROM unnest(removed) AS m
    ), sides AS (
        SELECT (m.date AT TIME ZONE 'UTC') AT TIME ZONE zone.name AS local_at,
               m.product_id, m.company_id, here.id AS location_id, here.warehouse_id,
               t.categ_id, side.direction, other.usage AS other_usage,
               coalesce(m.scrapped, false) OR coalesce(other.scrap_location, false) AS scrap,
               -- Odoo's ORM may write state = 'done' before the quantity it computed
               -- (a later UPDATE, which this trigger sees as a change of quantity).
               m.sign * CASE WHEN m.product_uom = t.uom_id THEN coalesce(m.quantity, 0)
                             ELSE coalesce(m.quantity, 0) / unit.factor * product_unit.factor
                        END AS qty,
               coalesce(t.list_price, 0) AS list_price,
               coalesce((p.standard_price ->> m.company_id::text)::numeric, 0) AS cost
          FROM moves m
          CROSS JOIN zone
          CROSS JOIN LATERAL (VALUES (m.location_dest_id, 1, m.location_id),
                                     (m.location_id, -1, m.location_dest_id))
                     AS side(location_id, direction, other_id)
          JOIN stock_location here ON here.id = side.location_id AND here.usage = 'internal'
          JOIN stock_location other ON other.id = side.other_id
          JOIN product_product p ON p.id = m.product_id
          JOIN product_template t ON t.id = p.product_tmpl_id
          JOIN uom_uom unit ON unit.id = m.product_uom
          JOIN uom_uom product_unit ON product_unit.id = t.uom_id
    ), flows AS (
        SELECT s.*,
               CASE WHEN other_usage = 'customer' AND direction < 0 THEN qty ELSE 0 END
                   AS sold,
               CASE WHEN other_usage = 'customer' AND direction > 0 THEN qty ELSE 0 END
                   AS returned,
               CASE WHEN other_usage = 'inventory' AND scrap THEN -direction * qty ELSE 0 END
                   AS scrapped,
               CASE WHEN other_usage = 'inventory' AND NOT scrap AND direction > 0
                    THEN qty ELSE 0 END AS gain,
               CASE WHEN other_usage = 'inventory' AND NOT scrap AND direction < 0
                    THEN qty ELSE 0 END AS loss
          FROM sides s
    )
    SELECT local_at, product_id, location_id, warehouse_id, company_id, categ_id,
           sold, returned,
           CASE WHEN other_usage = 'supplier' THEN direction * qty ELSE 0 END,
           CASE WHEN other_usage IN ('internal', 'transit') AND direction > 0
                THEN qty ELSE 0 END,
           CASE WHEN other_usage IN ('internal', 'transit') AND direction < 0
                THEN qty ELSE 0 END,
           scrapped, gain, loss, direction * qty,
           sold * list_price, returned * list_price, (sold - returned) * cost,
           (gain - loss) * cost, scrapped * cost
      FROM flows
$rrs$;

CREATE OR REPLACE FUNCTION rrs_rollup_apply(added stock_move[], removed stock_move[])
RETURNS void LANGUAGE plpgsql AS $rrs$
DECLARE
    touched_products integer[];
    touched_locations integer[];
    touched_days date[];
    touched_hours integer[];
    touched_categories integer[];
    touched_positions integer[];
    later_products integer[];
    later_locations integer[];
    later_sinces date[];
BEGIN
    IF cardinality(added) + cardinality(removed) = 0 THEN
        RETURN;
    END IF;
    -- The moves' lines once, both rollups upserted from them in one statement.
    WITH lines AS MATERIALIZED (
        SELECT * FROM rrs_rollup_lines(added, removed)
    ), daily AS (
        -- The closing on-hand as well, right where the day is the key's last: the
        -- previous closing plus the net change (a new row), or the row's own plus the
        -- change (an existing row). The previous closing of a day after the key's last
        -- is its position's on hand (the journal's moves of today: no probe of the
        -- daily rows); of an earlier day (a backdated move), the closing of the latest
        -- row before it. Keys touched on several days are recomputed below.
        INSERT INTO rrs_stock_daily AS t (day, product_id, location_id, warehouse_id,
                                          company_id, {", ".join(DAILY_COUNTERS)},
                                          closing_qty)
        SELECT g.*, g.qty_net + CASE
                   WHEN b.last_day IS NULL OR g.day >= b.last_day
                   THEN coalesce(b.on_hand, 0)
                   ELSE coalesce((SELECT d.closing_qty FROM rrs_stock_daily d
                                   WHERE d.product_id = g.product_id
                                     AND d.location_id = g.location_id AND d.day < g.day
                                   ORDER BY d.day DESC LIMIT 1), 0) END
          FROM (SELECT l.local_at::date AS day, l.product_id, l.location_id,
                       min(l.warehouse_id), min(l.company_id),
                       {_COUNTER_SUMS}
                  FROM lines l
                 GROUP BY 1, 2, 3) g
          LEFT JOIN rrs_stock_position b
                 ON b.product_id = g.product_id AND b.location_id = g.location_id
        ON CONFLICT (product_id, location_id, day) DO UPDATE SET
        {_ADD_DAILY},
        closing_qty = t.closing_qty + EXCLUDED.qty_net
        RETURNING t.product_id, t.location_id, t.day
    ), hourly AS (
        INSERT INTO rrs_sales_hourly AS t (hour, warehouse_id, company_id,
                                           {", ".join(HOURLY_COUNTERS)})
        SELECT date_trunc('hour', l.local_at), l.warehouse_id, min(l.company_id),
           {_HOURLY_SUMS}
          FROM lines l
         WHERE l.warehouse_id IS NOT NULL AND (l.qty_sold <> 0 OR l.qty_returned <> 0)
         GROUP BY 1, 2
        ON CONFLICT (warehouse_id, hour) DO UPDATE SET
        {_ADD_HOURLY}
        RETURNING t.id
    ), category AS (
        INSERT INTO rrs_category_daily AS t ({_CATEGORY_COLUMNS})
        SELECT l.local_at::date, l.warehouse_id, l.categ_id, min(l.company_id),
           {_CATEGORY_SUMS}
          FROM lines l
         WHERE l.warehouse_id IS NOT NULL AND (l.qty_sold <> 0 OR l.qty_returned <> 0)
         GROUP BY 1, 2, 3
        ON CONFLICT (warehouse_id, day, categ_id) DO UPDATE SET
        {_ADD_CATEGORY}
        RETURNING t.id
    ), position AS (
        -- Sums of net changes add up whatever the order; the last sale day only moves
        -- forward here (a retraction recomputes it below).
        INSERT INTO rrs_stock_position AS t ({_POSITION_COLUMNS})
        SELECT l.product_id, l.location_id, min(l.warehouse_id), min(l.company_id),
               sum(l.qty_net), max(l.local_at::date) FILTER (WHERE l.qty_sold > 0),
               max(l.local_at::date)
          FROM lines l
         GROUP BY 1, 2
        ON CONFLICT (product_id, location_id) DO UPDATE SET
        on_hand = t.on_hand + EXCLUDED.on_hand,
        last_sale_day = greatest(t.last_sale_day, EXCLUDED.last_sale_day),
        last_day = greatest(t.last_day, EXCLUDED.last_day)
        RETURNING t.id, t.product_id, t.location_id, t.last_day
    )
    SELECT d.products, d.locations, d.days, h.ids, c.ids, p.ids, r.products, r.locations,
           r.sinces
      INTO touched_products, touched_locations, touched_days, touched_hours,
           touched_categories, touched_positions, later_products, later_locations,
           later_sinces
      FROM (SELECT array_agg(product_id) AS products, array_agg(location_id) AS locations,
                   array_agg(day) AS days FROM daily) d,
           (SELECT array_agg(id) AS ids FROM hourly) h,
           (SELECT array_agg(id) AS ids FROM category) c,
           (SELECT array_agg(id) AS ids FROM position) p,
           -- The keys with a day after their earliest touched one, from the positions'
           -- last days (never below the truth: a retraction only makes it too late).
           (SELECT array_agg(k.product_id) AS products, array_agg(k.location_id) AS locations,
                   array_agg(k.since) AS sinces
              FROM (SELECT product_id, location_id, min(day) AS since FROM daily
                     GROUP BY 1, 2) k
              JOIN position s ON s.product_id = k.product_id AND s.location_id = k.location_id
             WHERE s.last_day > k.since) r;
    IF touched_days IS NULL THEN
        RETURN;  -- no internal location touched
    END IF;
    -- A retraction (or a move of no quantity) that leaves a day or an hour with no
    -- movement leaves no row, as a rebuild; moves that only add cannot.
    IF cardinality(removed) > 0
       OR EXISTS (SELECT 1 FROM unnest(added) m WHERE coalesce(m.quantity, 0) = 0) THEN
        DELETE FROM rrs_stock_daily t
         USING unnest(touched_products, touched_locations, touched_days) AS k(p, l, d)
         WHERE t.product_id = k.p AND t.location_id = k.l AND t.day = k.d
           AND {_DAILY_ZERO};
        DELETE FROM rrs_sales_hourly t WHERE t.id = ANY(touched_hours) AND {_HOURLY_ZERO};
        DELETE FROM rrs_category_daily t
         WHERE t.id = ANY(touched_categories) AND {_CATEGORY_ZERO};
        -- A key's position follows its daily rows: none left, no position; its last
        -- day and last sale day are the latest still there.
        DELETE FROM rrs_stock_position t
         WHERE t.id = ANY(touched_positions)
           AND NOT EXISTS (SELECT 1 FROM rrs_stock_daily d
                            WHERE d.product_id = t.product_id
                              AND d.location_id = t.location_id);
        UPDATE rrs_stock_position t
           SET last_sale_day = latest.sale, last_day = latest.day
          FROM rrs_stock_position k
          CROSS JOIN LATERAL (
              SELECT max(d.day) FILTER (WHERE d.qty_sold > 0) AS sale, max(d.day) AS day
                FROM rrs_stock_daily d
               WHERE d.product_id = k.product_id AND d.location_id = k.location_id) latest
         WHERE k.id = ANY(touched_positions) AND t.id = k.id;
    END IF;
    -- Closing on-hand of the keys that have days after their earliest touched day (a
    -- backdated or re-dated move, a retraction, several days at once): running sum of
    -- the net change from that day on. The journal's moves of today touch none: the
    -- upsert set their closing (a second write of every touched row cost the journal
    -- a third of its rollup time).
    IF later_products IS NULL THEN
        RETURN;
    END IF;
    WITH keys AS (
        SELECT * FROM unnest(later_products, later_locations, later_sinces) AS k(p, l, since)
    ), opening AS (
        SELECT keys.*, coalesce((SELECT b.closing_qty FROM rrs_stock_daily b
                                  WHERE b.product_id = keys.p AND b.location_id = keys.l
                                    AND b.day < keys.since
                                  ORDER BY b.day DESC LIMIT 1), 0) AS quantity
          FROM keys
    ), running AS (
        SELECT r.id, o.quantity + sum(r.qty_net) OVER (PARTITION BY r.product_id,
                                                       r.location_id ORDER BY r.day) AS closing
          FROM opening o
          JOIN rrs_stock_daily r
            ON r.product_id = o.p AND r.location_id = o.l AND r.day >= o.since
    )
    UPDATE rrs_stock_daily t SET closing_qty = running.closing
      FROM running
     WHERE t.id = running.id AND t.closing_qty IS DISTINCT FROM running.closing;
END
$rrs$;

CREATE OR REPLACE FUNCTION rrs_rollup_moves_inserted() RETURNS trigger
LANGUAGE plpgsql AS $rrs$
BEGIN
    PERFORM rrs_rollup_apply(
        ARRAY(SELECT n::stock_move FROM rrs_new n WHERE n.state = 'done'), '{{}}');
    RETURN NULL;
END
$rrs$;

CREATE OR REPLACE FUNCTION rrs_rollup_moves_updated() RETURNS trigger
LANGUAGE plpgsql AS $rrs$
BEGIN
    PERFORM rrs_rollup_apply(
        ARRAY(SELECT n::stock_move FROM rrs_new n JOIN rrs_old o ON o.id = n.id
               WHERE n.state = 'done' AND (o.state IS DISTINCT FROM 'done' OR {_CHANGED})),
        ARRAY(SELECT o::stock_move FROM rrs_old o JOIN rrs_new n ON n.id = o.id
               WHERE o.state = 'done' AND (n.state IS DISTINCT FROM 'done' OR {_CHANGED})));
    RETURN NULL;
END
$rrs$;

CREATE OR REPLACE FUNCTION rrs_rollup_moves_deleted() RETURNS trigger
LANGUAGE plpgsql AS $rrs$
BEGIN
    PERFORM rrs_rollup_apply('{{}}',
                             ARRAY(SELECT o::stock_move FROM rrs_old o WHERE o.state = 'done'));
    RETURN NULL;
END
$rrs$;

CREATE OR REPLACE FUNCTION rrs_rollup_derive(OUT categories bigint, OUT positions bigint)
LANGUAGE plpgsql AS $rrs$
BEGIN
    -- The category and position tables from the daily rows, when they are new beside
    -- an existing daily rollup (an upgrade) or the daily rows were written without the
    -- triggers (a generated history): set-based, at once, replacing what they held.
    DELETE FROM rrs_category_daily;
    DELETE FROM rrs_stock_position;
    INSERT INTO rrs_category_daily ({_CATEGORY_COLUMNS}) {_CATEGORY_FROM_DAILY};
    GET DIAGNOSTICS categories = ROW_COUNT;
    INSERT INTO rrs_stock_position ({_POSITION_COLUMNS}) {_POSITION_FROM_DAILY};
    GET DIAGNOSTICS positions = ROW_COUNT;
END
$rrs$;

CREATE OR REPLACE FUNCTION rrs_rollup_recategorised() RETURNS trigger
LANGUAGE plpgsql AS $rrs$
BEGIN
    -- A product that changes category takes its sales history along: the category
    -- rollup groups by the current category, as a rebuild (and Odoo's pivots) would.
    IF NOT EXISTS (SELECT 1 FROM rrs_old o JOIN rrs_new n ON n.id = o.id
                    WHERE n.categ_id IS DISTINCT FROM o.categ_id) THEN
        RETURN NULL;  -- the ORM writes templates often, their category seldom
    END IF;
    WITH {_RECATEGORISED}
    UPDATE rrs_category_daily t
       SET {", ".join(f"{name} = t.{name} - m.{name}" for name in CATEGORY_COUNTERS)}
      FROM (SELECT day, warehouse_id, from_categ,
                   {", ".join(f"sum({name}) AS {name}" for name in CATEGORY_COUNTERS)}
              FROM moved GROUP BY 1, 2, 3) m
     WHERE t.warehouse_id = m.warehouse_id AND t.day = m.day AND t.categ_id = m.from_categ;
    WITH {_RECATEGORISED}
    INSERT INTO rrs_category_daily AS t ({_CATEGORY_COLUMNS})
    SELECT day, warehouse_id, to_categ, min(company_id),
           {", ".join(f"sum({name})" for name in CATEGORY_COUNTERS)}
      FROM moved GROUP BY 1, 2, 3
    ON CONFLICT (warehouse_id, day, categ_id) DO UPDATE SET
    {_ADD_CATEGORY};
    DELETE FROM rrs_category_daily t
     USING (SELECT DISTINCT o.categ_id FROM rrs_old o JOIN rrs_new n ON n.id = o.id
             WHERE n.categ_id IS DISTINCT FROM o.categ_id) emptied
     WHERE t.categ_id = emptied.categ_id AND {_CATEGORY_ZERO};
    RETURN NULL;
END
$rrs$;

DROP TRIGGER IF EXISTS rrs_rollup_recategorised ON product_template;
CREATE TRIGGER rrs_rollup_recategorised AFTER UPDATE ON product_template
    REFERENCING OLD TABLE AS rrs_old NEW TABLE AS rrs_new
    FOR EACH STATEMENT EXECUTE FUNCTION rrs_rollup_recategorised();
ALTER TABLE product_template ENABLE ALWAYS TRIGGER rrs_rollup_recategorised;

DROP TRIGGER IF EXISTS rrs_rollup_inserted ON stock_move;
CREATE TRIGGER rrs_rollup_inserted AFTER INSERT ON stock_move
    REFERENCING NEW TABLE AS rrs_new
    FOR EACH STATEMENT EXECUTE FUNCTION rrs_rollup_moves_inserted();
ALTER TABLE stock_move ENABLE ALWAYS TRIGGER rrs_rollup_inserted;

DROP TRIGGER IF EXISTS rrs_rollup_updated ON stock_move;
CREATE TRIGGER rrs_rollup_updated AFTER UPDATE ON stock_move
    REFERENCING OLD TABLE AS rrs_old NEW TABLE AS rrs_new
    FOR EACH STATEMENT EXECUTE FUNCTION rrs_rollup_moves_updated();
ALTER TABLE stock_move ENABLE ALWAYS TRIGGER rrs_rollup_updated;

DROP TRIGGER IF EXISTS rrs_rollup_deleted ON stock_move;
CREATE TRIGGER rrs_rollup_deleted AFTER DELETE ON stock_move
    REFERENCING OLD TABLE AS rrs_old
    FOR EACH STATEMENT EXECUTE FUNCTION rrs_rollup_moves_deleted();
ALTER TABLE stock_move ENABLE ALWAYS TRIGGER rrs_rollup_deleted;
"""

#: Dropped with the tables (``DROP TABLE`` leaves functions and triggers on stock_move).
DROP_DDL = """
DROP TRIGGER IF EXISTS rrs_rollup_recategorised ON product_template;
DROP FUNCTION IF EXISTS rrs_rollup_recategorised();
DROP FUNCTION IF EXISTS rrs_rollup_derive();
DROP TRIGGER IF EXISTS rrs_rollup_inserted ON stock_move;
DROP TRIGGER IF EXISTS rrs_rollup_updated ON stock_move;
DROP TRIGGER IF EXISTS rrs_rollup_deleted ON stock_move;
DROP FUNCTION IF EXISTS rrs_rollup_moves_inserted();
DROP FUNCTION IF EXISTS rrs_rollup_moves_updated();
DROP FUNCTION IF EXISTS rrs_rollup_moves_deleted();
DROP FUNCTION IF EXISTS rrs_rollup_apply(stock_move[], stock_move[]);
DROP FUNCTION IF EXISTS rrs_rollup_lines(stock_move[], stock_move[]);
"""


def set_timezone(cur, zone: str) -> None:
    """Local zone of the rollups' days and hours (an IANA name PostgreSQL knows)."""
    cur.execute("SELECT now() AT TIME ZONE %s", (zone,))  # unknown zone: an error here
    sql.set_parameter(cur, TIMEZONE_PARAMETER, zone)


def timezone(cur) -> str:
    cur.execute("SELECT value FROM ir_config_parameter WHERE key = %s", (TIMEZONE_PARAMETER,))
    row = cur.fetchone()
    return row[0] if row else "UTC"


def installed(cur) -> bool:
    """True when the rollup triggers are on ``stock_move`` (the add-on or ``db init``)."""
    cur.execute("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'stock_move'::regclass "
                "AND tgname LIKE 'rrs_rollup_%%'")
    return cur.fetchone()[0] == 3


def done_move_months(cur) -> list[date]:
    """First day (UTC) of every month that holds a done move, oldest first."""
    cur.execute("""SELECT DISTINCT date_trunc('month', date)::date FROM stock_move
                    WHERE state = 'done' ORDER BY 1""")
    return [row[0] for row in cur.fetchall()]


TABLES = ("rrs_stock_daily", "rrs_sales_hourly", "rrs_category_daily", "rrs_stock_position")


def lock_and_empty(cur) -> None:
    """Empty the rollups, holding them until commit: the journal's trigger waits, and
    readers keep seeing the old rows until the rebuild commits."""
    cur.execute(f"LOCK TABLE {', '.join(TABLES)} IN ACCESS EXCLUSIVE MODE")
    cur.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY")


def derive(cur) -> tuple[int, int]:
    """Recompute the category and position tables from the daily rows
    (``rrs_rollup_derive``); returns their row counts."""
    cur.execute("SELECT categories, positions FROM rrs_rollup_derive()")
    return cur.fetchone()


def roll_up_month(cur, month: date) -> int:
    """Add the done moves dated in ``month`` (UTC); returns how many."""
    cur.execute("""
        WITH moves AS (
            SELECT ARRAY(SELECT m FROM stock_move m
                          WHERE m.state = 'done' AND m.date >= %(month)s
                            AND m.date < %(month)s + interval '1 month'
                          ORDER BY m.id) AS added)
        SELECT rrs_rollup_apply(added, '{}'), cardinality(added) FROM moves""",
                {"month": month})
    return cur.fetchone()[1]


def rebuild(cur, progress: Callable[[date, int], None] | None = None) -> int:
    """Recompute the rollups from every done move in the caller's transaction; returns
    the number of moves. ``progress(month, moves)`` is called after each month."""
    lock_and_empty(cur)
    total = 0
    for month in done_move_months(cur):
        moves = roll_up_month(cur, month)
        total += moves
        if progress:
            progress(month, moves)
    return total


def daily_rows(cur) -> Iterator[tuple]:
    """Every daily row without its id, in key order (comparisons, tests)."""
    cur.execute(f"""SELECT day, product_id, location_id, warehouse_id, company_id,
                           {", ".join(DAILY_COUNTERS)}, closing_qty
                      FROM rrs_stock_daily ORDER BY product_id, location_id, day""")
    yield from cur


def hourly_rows(cur) -> Iterator[tuple]:
    cur.execute(f"""SELECT hour, warehouse_id, company_id, {", ".join(HOURLY_COUNTERS)}
                      FROM rrs_sales_hourly ORDER BY warehouse_id, hour""")
    yield from cur


def category_rows(cur) -> Iterator[tuple]:
    cur.execute(f"""SELECT {_CATEGORY_COLUMNS} FROM rrs_category_daily
                     ORDER BY warehouse_id, day, categ_id""")
    yield from cur


def position_rows(cur) -> Iterator[tuple]:
    cur.execute(f"""SELECT {_POSITION_COLUMNS} FROM rrs_stock_position
                     ORDER BY product_id, location_id""")
    yield from cur


def row_counts(cur) -> tuple[int, ...]:
    """Rows of each of ``TABLES``, in that order."""
    cur.execute("SELECT " + ", ".join(f"(SELECT count(*) FROM {name})" for name in TABLES))
    return cur.fetchone()
