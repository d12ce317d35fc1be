"""``rtstock db init`` and the *own* schema.

What it is: creation of the add-on's tables on a database that lacks them
(tests, demos and benchmarks on a real Odoo database without the add-on
installed), and of the whole minimal Odoo-compatible schema for machines
without Odoo.

How it works: statements come from ``ddl.schema_statements`` over the
declarations, run in one transaction, so a failure leaves nothing half made.

Caveats: on a production Odoo, install the add-on instead: Odoo then owns
these tables (ACLs, views, upgrades). ``init_addon_tables`` refuses to touch
a database where some add-on tables already exist.
"""

from __future__ import annotations

from ingest_core.odoo import rollup
from ingest_core.odoo.ddl import schema_statements
from ingest_core.odoo.sql import QUANT_KEY_INDEX
from ingest_core.odoo.tables import ADDON_TABLES, ALL_TABLES

_EXISTING_TABLES = """
SELECT table_name FROM information_schema.tables
 WHERE table_schema = current_schema() AND table_name = ANY(%s)
"""


class InitError(RuntimeError):
    """The database is in a state ``db init`` must not change."""


def _existing(cursor, names: list[str]) -> set[str]:
    cursor.execute(_EXISTING_TABLES, (names,))
    return {row[0] for row in cursor.fetchall()}


def init_addon_tables(connection) -> list[str]:
    """Create the add-on's tables; return their names (empty when all already exist)."""
    names = [table.name for table in ADDON_TABLES]
    with connection.cursor() as cursor:
        present = _existing(cursor, names)
        if present == set(names):
            connection.rollback()
            return []
        if present:
            raise InitError(f"some add-on tables already exist ({', '.join(sorted(present))}); "
                            "refusing to create the others next to them")
        others = _existing(cursor, [t.name for t in ALL_TABLES if t.owner == "odoo"])
        for statement in schema_statements(ADDON_TABLES, existing=others):
            cursor.execute(statement)
        cursor.execute(QUANT_KEY_INDEX)  # the add-on's index on Odoo's stock_quant
        rollup.rebuild(cursor)  # the moves written before the rollups' triggers existed
    connection.commit()
    return names


def create_own_schema(connection) -> None:
    """Create every declared table (Odoo's and the add-on's) in an empty database."""
    with connection.cursor() as cursor:
        present = _existing(cursor, [table.name for table in ALL_TABLES])
        if present:
            raise InitError(f"database is not empty: {', '.join(sorted(present))}")
        for statement in schema_statements(ALL_TABLES):
            cursor.execute(statement)
    connection.commit()
