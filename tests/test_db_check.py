"""``rtstock db check`` / ``db init`` on the genuine Odoo 18 database and on the own schema."""

from __future__ import annotations

import psycopg2
import pytest

from ingest_core.cli import main
from ingest_core.odoo.tables import ADDON_TABLES, ODOO_TABLES


def _sql(dsn: str, statement: str) -> None:
    connection = psycopg2.connect(dsn)
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
        connection.commit()
    finally:
        connection.close()


def test_real_database_without_addon_exits_2_then_0_after_init(real_db, capsys):
    """The genuine Odoo 18 database lacks only the add-on tables; db init adds exactly them."""
    assert main(["db", "check", "--dsn", real_db]) == 2, "add-on tables absent: exit 2 expected"
    out = capsys.readouterr().out
    assert "rtstock db init" in out, "the remedy must be named"
    assert main(["db", "init", "--dsn", real_db]) == 0, "after init every table is there"
    assert main(["db", "check", "--dsn", real_db]) == 0


def test_dropped_odoo_column_exits_1_naming_it(real_db, capsys):
    """A missing stock_quant.quantity breaks the ingest and is named as table.column."""
    main(["db", "init", "--dsn", real_db])
    _sql(real_db, "ALTER TABLE stock_quant DROP COLUMN quantity CASCADE")
    capsys.readouterr()
    assert main(["db", "check", "--dsn", real_db]) == 1
    assert "stock_quant.quantity: column is missing" in capsys.readouterr().out


def test_type_and_not_null_mismatches_are_reported(real_addon_db, capsys):
    """A changed type or a new NOT NULL column without default would break inserts: exit 1."""
    _sql(real_addon_db, "ALTER TABLE stock_move ALTER COLUMN origin TYPE text")
    _sql(real_addon_db, "ALTER TABLE stock_move_line ADD COLUMN surprise int NOT NULL DEFAULT 0;"
                        "ALTER TABLE stock_move_line ALTER COLUMN surprise DROP DEFAULT")
    _sql(real_addon_db, "DELETE FROM stock_move_line;"
                        "ALTER TABLE stock_move_line ALTER COLUMN lot_id SET NOT NULL")
    assert main(["db", "check", "--dsn", real_addon_db]) == 1
    out = capsys.readouterr().out
    assert "stock_move.origin: type is text" in out
    assert "stock_move_line.surprise: undeclared NOT NULL column" in out
    assert "stock_move_line.lot_id: is NOT NULL" in out


def test_addon_table_mismatch_is_broken_not_missing(real_addon_db):
    """A present but damaged add-on table is exit 1, not the 'install the add-on' exit 2."""
    _sql(real_addon_db, "ALTER TABLE rrs_event DROP COLUMN batch_id")
    assert main(["db", "check", "--dsn", real_addon_db]) == 1


def test_init_refuses_partial_addon_schema(real_db):
    """db init never creates add-on tables beside a half-present set."""
    _sql(real_db, "CREATE TABLE rrs_device (id serial PRIMARY KEY)")
    assert main(["db", "init", "--dsn", real_db]) == 1


def test_own_schema_passes_check(own_db):
    """The own schema is generated from the declarations, so it satisfies them."""
    assert main(["db", "check", "--dsn", own_db]) == 0


def test_declarations_match_the_genuine_schema(real_addon_db):
    """Every declared Odoo column has the type and nullability of the genuine Odoo 18 schema."""
    from ingest_core.odoo.check import check

    connection = psycopg2.connect(real_addon_db)
    try:
        report = check(connection)
    finally:
        connection.close()
    assert report.problems == [], report.problems
    assert {t.name for t in ODOO_TABLES} and {t.name for t in ADDON_TABLES}


def test_unreachable_database_exits_1(tmp_path):
    """A DSN that cannot be reached is reported, not a traceback."""
    assert main(["db", "check", "--dsn", f"host={tmp_path} dbname=nothing connect_timeout=1"]) == 1


@pytest.mark.parametrize("action", ["check", "init"])
def test_no_dsn_is_an_error(action, monkeypatch):
    """Without --dsn or RTSTOCK_DSN the command says so."""
    monkeypatch.delenv("RTSTOCK_DSN", raising=False)
    assert main(["db", action]) == 1
