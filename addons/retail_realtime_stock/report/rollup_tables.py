# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The rollup tables, their functions and their triggers on ``stock_move``.

What it is: the add-on's creation of what ``ingest_core/odoo/rollup.py``
declares (``tables.py`` for the columns, ``rrs_rollup.sql`` for the
functions): ``rrs_stock_daily`` and ``rrs_sales_hourly``, kept current by
statement triggers on ``stock_move`` in the transaction that writes the moves,
whoever writes them (the ingest's journal, Odoo's ORM).

How it works: ``ensure_rollups`` is idempotent; when it creates the tables on
a database that already has done moves it rolls them up at once, so the
figures start complete.

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
DROP_SQL = (
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
    cr.execute("SELECT to_regclass('rrs_stock_daily') IS NULL")
    new = cr.fetchone()[0]
    ensure_table(cr, "rrs_stock_daily", DAILY_DDL)
    ensure_table(cr, "rrs_sales_hourly", HOURLY_DDL)
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
