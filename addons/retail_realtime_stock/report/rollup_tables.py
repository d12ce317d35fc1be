# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The rollup tables, their functions and their triggers on ``stock_move``.

What it is: the add-on's creation of what ``ingest_core/odoo/rollup.py``
declares (``tables.py`` for the columns, ``rrs_rollup.sql`` for the
functions): ``rrs_stock_daily``, ``rrs_sales_hourly`` and the two coarse
tables read where a person waits at chain scale, ``rrs_category_daily``
(store x day x category) and ``rrs_stock_position`` (product x location now),
kept current by statement triggers on ``stock_move`` in the transaction that
writes the moves, whoever writes them (the ingest's journal, Odoo's ORM), and
on ``product_template`` (a product changing category takes its history).

How it works: ``ensure_rollups`` is idempotent; when it creates the tables on
a database that already has done moves it rolls them up at once, so the
figures start complete; when only the coarse tables are new (an upgrade from
18.0.1.5) it fills them from the daily rows.

Caveats: on a database with millions of done moves that first roll-up is
long; ``rtstock rollup rebuild`` does the same month by month with progress.
"""

from pathlib import Path

from odoo.tools import SQL

from ..models.own_table import ensure_table

FUNCTIONS_SQL = Path(__file__).with_name("rrs_rollup.sql")

COUNTERS = (
    "qty_sold",
    "qty_returned",
    "qty_received",
    "qty_transfer_in",
    "qty_transfer_out",
    "qty_scrapped",
    "qty_count_gain",
    "qty_count_loss",
    "qty_net",
    "value_sold",
    "value_returned",
    "cost_sold",
    "value_count_diff",
    "value_scrapped",
)
HOURLY_COUNTERS = ("qty_sold", "qty_returned", "value_sold", "value_returned")
CATEGORY_COUNTERS = ("qty_sold", "qty_returned", "value_sold", "value_returned", "cost_sold")

DAILY_DDL = (
    """
    CREATE TABLE IF NOT EXISTS rrs_stock_daily (
        id serial PRIMARY KEY,
        day date NOT NULL,
        product_id integer NOT NULL,
        location_id integer NOT NULL,
        warehouse_id integer,
        company_id integer NOT NULL,
        %s,
        closing_qty numeric
    )
    """
    % ",\n        ".join(f"{name} numeric NOT NULL" for name in COUNTERS),
    "COMMENT ON TABLE rrs_stock_daily IS 'Retail Stock Daily Rollup'",
    "CREATE UNIQUE INDEX IF NOT EXISTS rrs_stock_daily_key_uniq ON rrs_stock_daily "
    "(product_id, location_id, day)",
    "CREATE INDEX IF NOT EXISTS rrs_stock_daily_day_idx ON rrs_stock_daily "
    "(day, warehouse_id)",
)
HOURLY_DDL = (
    """
    CREATE TABLE IF NOT EXISTS rrs_sales_hourly (
        id serial PRIMARY KEY,
        hour timestamp NOT NULL,
        warehouse_id integer NOT NULL,
        company_id integer NOT NULL,
        %s
    )
    """
    % ",\n        ".join(f"{name} numeric NOT NULL" for name in HOURLY_COUNTERS),
    "COMMENT ON TABLE rrs_sales_hourly IS 'Retail Stock Hourly Sales Rollup'",
    "CREATE UNIQUE INDEX IF NOT EXISTS rrs_sales_hourly_key_uniq ON rrs_sales_hourly "
    "(warehouse_id, hour)",
)
CATEGORY_DDL = (
    """
    CREATE TABLE IF NOT EXISTS rrs_category_daily (
        id serial PRIMARY KEY,
        day date NOT NULL,
        warehouse_id integer NOT NULL,
        categ_id integer NOT NULL,
        company_id integer NOT NULL,
        %s
    )
    """
    % ",\n        ".join(f"{name} numeric NOT NULL" for name in CATEGORY_COUNTERS),
    "COMMENT ON TABLE rrs_category_daily IS 'Retail Category Daily Sales Rollup'",
    "CREATE UNIQUE INDEX IF NOT EXISTS rrs_category_daily_key_uniq ON rrs_category_daily "
    "(warehouse_id, day, categ_id)",
)
POSITION_DDL = (
    """
    CREATE TABLE IF NOT EXISTS rrs_stock_position (
        id serial PRIMARY KEY,
        product_id integer NOT NULL,
        location_id integer NOT NULL,
        warehouse_id integer,
        company_id integer NOT NULL,
        on_hand numeric NOT NULL,
        last_sale_day date,
        last_day date
    )
    """,
    "COMMENT ON TABLE rrs_stock_position IS 'Retail Stock Position'",
    "CREATE UNIQUE INDEX IF NOT EXISTS rrs_stock_position_key_uniq ON rrs_stock_position "
    "(product_id, location_id)",
    "CREATE INDEX IF NOT EXISTS rrs_stock_position_warehouse_idx ON rrs_stock_position "
    "(warehouse_id)",
)
DROP_SQL = (
    "DROP TRIGGER IF EXISTS rrs_rollup_recategorised ON product_template",
    "DROP FUNCTION IF EXISTS rrs_rollup_recategorised()",
    "DROP FUNCTION IF EXISTS rrs_rollup_derive()",
    "DROP TRIGGER IF EXISTS rrs_rollup_inserted ON stock_move",
    "DROP TRIGGER IF EXISTS rrs_rollup_updated ON stock_move",
    "DROP TRIGGER IF EXISTS rrs_rollup_deleted ON stock_move",
    "DROP FUNCTION IF EXISTS rrs_rollup_moves_inserted()",
    "DROP FUNCTION IF EXISTS rrs_rollup_moves_updated()",
    "DROP FUNCTION IF EXISTS rrs_rollup_moves_deleted()",
    "DROP FUNCTION IF EXISTS rrs_rollup_apply(stock_move[], stock_move[])",
    "DROP FUNCTION IF EXISTS rrs_rollup_lines(stock_move[], stock_move[])",
)


def ensure_rollups(cr):
    """Create the rollups (idempotent); roll up the existing done moves when new."""
    cr.execute(
        "SELECT to_regclass('rrs_stock_daily') IS NULL, to_regclass('rrs_stock_position') IS NULL"
    )
    new, coarse_new = cr.fetchone()
    ensure_table(cr, "rrs_stock_daily", DAILY_DDL)
    ensure_table(cr, "rrs_sales_hourly", HOURLY_DDL)
    ensure_table(cr, "rrs_category_daily", CATEGORY_DDL)
    ensure_table(cr, "rrs_stock_position", POSITION_DDL)
    # The functions take stock_move's row type: recreated on every upgrade, after
    # modules that add columns to stock_move.
    for statement in DROP_SQL:
        cr.execute(SQL(statement))
    cr.execute(SQL(FUNCTIONS_SQL.read_text(encoding="utf-8")))
    if new:
        cr.execute(
            SQL(
                "SELECT rrs_rollup_apply(ARRAY(SELECT m FROM stock_move m "
                "WHERE m.state = 'done' ORDER BY m.id), '{}')"
            )
        )
    elif coarse_new:
        cr.execute(SQL("SELECT rrs_rollup_derive()"))
