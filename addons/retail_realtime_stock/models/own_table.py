# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Tables the add-on creates with its own DDL (``_auto = False`` models).

What it is: the high-volume tables the ingest writes (``rrs_event`` and the
RFID tables) keep foreign keys only where ``ingest_core/odoo/tables.py``
marks a reference as enforced (``>``); a ``Many2one`` would make Odoo add one
on every reference, again on every upgrade. Their models are ``_auto =
False`` and create their table in ``init()`` with the statements here.

How it works: ``ensure_table`` drops the foreign keys of the table that are
not in ``keep`` (tables created by an earlier version), then runs the
idempotent statements (``CREATE TABLE IF NOT EXISTS`` and friends).

Caveats: Odoo does not drop these tables itself in every case; the add-on's
``uninstall_hook`` drops them (``OWN_TABLES``).
"""

from odoo.tools import SQL

#: Tables created by the add-on's own DDL, children first (uninstall order).
OWN_TABLES = (
    "rrs_job_run",
    "rrs_device_daily",
    "rrs_orderpoint_level",
    "rrs_forecast",
    "rrs_stock_daily",
    "rrs_sales_hourly",
    "rrs_category_daily",
    "rrs_stock_position",
    "rrs_count_line",
    "rrs_count_epc",
    "rrs_epc",
    "rrs_count_session",
    "rrs_training_read",
    "rrs_event",
    "rrs_event_batch",  # CASCADE drops the rrs_event_move view
)


def ensure_table(cr, table, statements, keep=()):
    """Create ``table`` with ``statements``; drop foreign keys not named in ``keep``."""
    cr.execute(
        """SELECT conname FROM pg_constraint
            WHERE contype = 'f' AND conrelid = to_regclass(%s) AND NOT conname = ANY(%s)""",
        [table, list(keep)],
    )
    for (name,) in cr.fetchall():
        cr.execute(
            SQL("ALTER TABLE %s DROP CONSTRAINT %s", SQL.identifier(table), SQL.identifier(name))
        )
    for statement in statements:
        cr.execute(SQL(statement))


MAGIC_COLUMNS = """
        create_uid integer,
        create_date timestamp,
        write_uid integer,
        write_date timestamp"""
