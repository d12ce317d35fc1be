"""``rtstock db check``: would the ingest work on this database?

What it is: a comparison of the declared tables (``tables.py``) with what a
database really has, reported per ``table.column``.

How it works: one query on ``information_schema.columns`` for all declared
tables; each declared column must exist with the same data type, and must
not be NOT NULL where we declare it nullable (we may write NULL there). For
tables the ingest inserts into, an undeclared NOT NULL column without a
default would make every insert fail, so it is reported too.

Caveats: exit codes are part of the interface (scripts and tests rely on
them): 0 all good, 1 Odoo's part (or the add-on's, if present) is broken,
2 only the add-on's tables are missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ingest_core.odoo.tables import ADDON_TABLES, ALL_TABLES, Table

EXIT_OK, EXIT_BROKEN, EXIT_NO_ADDON = 0, 1, 2

_COLUMNS_QUERY = """
SELECT table_name, column_name, data_type, is_nullable = 'NO', column_default IS NOT NULL
  FROM information_schema.columns
 WHERE table_schema = current_schema() AND table_name = ANY(%s)
"""
_VERSION_QUERY = """
SELECT name, state, latest_version FROM ir_module_module
 WHERE name IN ('base', 'stock', 'point_of_sale', 'retail_realtime_stock')
"""


@dataclass(frozen=True)
class Problem:
    owner: str
    table: str
    column: str | None
    message: str

    @property
    def where(self) -> str:
        return f"{self.table}.{self.column}" if self.column else self.table


@dataclass
class CheckReport:
    modules: dict[str, tuple[str, str]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def odoo_version(self) -> str | None:
        base = self.modules.get("base")
        return base[1] if base else None

    @property
    def addon_missing(self) -> bool:
        addon = {table.name for table in ADDON_TABLES}
        return any(p.table in addon and p.column is None for p in self.problems)

    @property
    def exit_code(self) -> int:
        if any(p.owner == "odoo" for p in self.problems):
            return EXIT_BROKEN
        if self.addon_missing:
            missing_only = all(p.column is None for p in self.problems)
            return EXIT_NO_ADDON if missing_only else EXIT_BROKEN
        return EXIT_BROKEN if self.problems else EXIT_OK

    def as_dict(self) -> dict:
        return {
            "odoo_version": self.odoo_version,
            "modules": {name: {"state": s, "version": v} for name, (s, v) in self.modules.items()},
            "addon_tables_present": not self.addon_missing,
            "problems": [{"where": p.where, "owner": p.owner, "message": p.message}
                         for p in self.problems],
            "exit_code": self.exit_code,
        }


def _compare(table: Table, actual: dict[str, tuple[str, bool, bool]]) -> list[Problem]:
    if not actual:
        return [Problem(table.owner, table.name, None, "table is missing")]
    problems = []
    for column in table.columns:
        found = actual.get(column.name)
        if found is None:
            problems.append(Problem(table.owner, table.name, column.name, "column is missing"))
            continue
        data_type, not_null, _has_default = found
        if data_type != column.reported_type:
            problems.append(Problem(table.owner, table.name, column.name,
                                    f"type is {data_type}, ingest expects {column.data_type}"))
        if not_null and not column.not_null:
            problems.append(Problem(table.owner, table.name, column.name,
                                    "is NOT NULL but the ingest may write NULL"))
    if table.inserts:
        declared = set(table.column_names)
        for name, (_type, not_null, has_default) in sorted(actual.items()):
            if name not in declared and not_null and not has_default:
                problems.append(Problem(table.owner, table.name, name,
                                        "undeclared NOT NULL column: every insert would fail"))
    return problems


def check(connection) -> CheckReport:
    """Compare the database behind ``connection`` (psycopg2) with the declarations."""
    report = CheckReport()
    with connection.cursor() as cursor:
        cursor.execute(_COLUMNS_QUERY, ([table.name for table in ALL_TABLES],))
        actual: dict[str, dict[str, tuple[str, bool, bool]]] = {}
        for table_name, column_name, data_type, not_null, has_default in cursor.fetchall():
            actual.setdefault(table_name, {})[column_name] = (data_type, not_null, has_default)
        if actual.get("ir_module_module"):
            cursor.execute(_VERSION_QUERY)
            report.modules = {name: (state, version) for name, state, version in cursor.fetchall()}
    connection.rollback()
    for table in ALL_TABLES:
        report.problems += _compare(table, actual.get(table.name, {}))
    return report
