"""DDL generated from the table declarations: the *own* schema and ``rtstock db init``.

What it is: ``CREATE TABLE`` statements for the declared tables, so that a
database without Odoo (tests, demo) has exactly the columns, NOT NULL flags,
foreign keys and key indexes the ingest relies on, and a real Odoo database
without the add-on gets exactly the add-on's tables.

How it works: ``id`` becomes ``serial PRIMARY KEY`` (Odoo: integer + sequence
default, same behaviour); other columns map one to one; references become
foreign keys added after all tables exist, because Odoo's tables reference
each other in cycles.

Caveats: only what the ingest touches is created; this is not a replacement
for installing Odoo.
"""

from __future__ import annotations

from collections.abc import Iterable

from ingest_core.odoo.tables import Table


def create_table(table: Table) -> str:
    lines = []
    for column in table.columns:
        if column.name == "id":
            lines.append("id serial PRIMARY KEY")
            continue
        lines.append(f"{column.name} {column.data_type}{' NOT NULL' if column.not_null else ''}")
    return f"CREATE TABLE {table.name} (\n    " + ",\n    ".join(lines) + "\n)"


def foreign_keys(table: Table, existing: set[str]) -> list[str]:
    """FK constraints of ``table`` whose target table is in ``existing``."""
    statements = []
    for column in table.columns:
        if column.references and column.enforced and column.references in existing:
            statements.append(
                f"ALTER TABLE {table.name} ADD CONSTRAINT {table.name}_{column.name}_fkey "
                f"FOREIGN KEY ({column.name}) REFERENCES {column.references}(id) "
                f"ON DELETE {'RESTRICT' if column.not_null else 'SET NULL'}"
            )
    return statements


def schema_statements(tables: Iterable[Table], existing: Iterable[str] = ()) -> list[str]:
    """All statements creating ``tables`` in a database that already has ``existing`` tables."""
    tables = list(tables)
    known = set(existing) | {table.name for table in tables}
    statements = [create_table(table) for table in tables]
    for table in tables:
        statements += foreign_keys(table, known)
        statements += list(table.ddl)
    return statements
