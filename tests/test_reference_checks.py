"""The done moves' foreign keys, checked set-wise (``sql.ReferenceCheck``) or by Odoo's triggers.

Both ways must behave alike: a move that references a missing row is refused
and nothing of it stays; every row a new move references is locked against
deletion until the journal commits; and the set-wise way is used only where
the database allows it (role, no triggers or rules of its own).
"""

from __future__ import annotations

import psycopg2
import psycopg2.errors
import pytest
from psycopg2.extensions import make_dsn

from ingest_core.commit.journal import Journal
from ingest_core.odoo import sql
from ingest_core.resolve.reference import ReferenceData
from tests.support.ingest import create_device, done_move_totals, query
from tests.test_virtual_quants import _queue_sale

S01_STOCK, CUSTOMERS = 18, 5
PRODUCT = 42
MODES = ("batched", "triggers")


def _move(dsn: str, **changes) -> dict:
    """A done sale of ``PRODUCT`` from S01, as the journal would hand it to the insert."""
    (picking_type,) = query(dsn, "SELECT id FROM stock_picking_type WHERE code = 'outgoing' "
                                 "AND warehouse_id = 2 ORDER BY id LIMIT 1")[0]
    (uom,) = query(dsn, "SELECT t.uom_id FROM product_product p JOIN product_template t "
                        "ON t.id = p.product_tmpl_id WHERE p.id = %s", (PRODUCT,))[0]
    (move_id,) = query(dsn, "SELECT nextval(pg_get_serial_sequence('stock_move', 'id'))")[0]
    move = {"id": move_id, "name": "test", "reference": "test", "origin": None,
            "description_picking": None, "product_id": PRODUCT, "product_uom": uom,
            "location_id": S01_STOCK, "location_dest_id": CUSTOMERS, "picking_id": None,
            "picking_type_id": picking_type, "scrap_id": None, "scrapped": False,
            "is_inventory": None, "company_id": 1, "quantity": 1.0, "reserve_today": False}
    move.update(changes)
    return move


def _insert(connection, mode: str, move: dict, lot_id: int | None = None) -> None:
    with connection.cursor() as cur:
        check = None
        if mode == "batched":
            check, why_not = sql.reference_check(cur)
            assert check is not None, why_not
        sql.insert_done_moves(cur, [move], [lot_id], 1, check)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("field", "table"), [
    ("product_id", "product_product"), ("location_dest_id", "stock_location"),
    ("picking_type_id", "stock_picking_type"), ("lot", "stock_lot")])
def test_a_missing_reference_is_refused(fast_db, mode, field, table):
    """A move (or, for the lot, its line) naming a row that does not exist fails the
    statement, in both modes, and leaves no row behind."""
    connection = psycopg2.connect(fast_db)
    try:
        move = _move(fast_db) if field == "lot" else _move(fast_db, **{field: 99_999_999})
        expected = sql.MissingReference if mode == "batched" else \
            psycopg2.errors.ForeignKeyViolation
        with pytest.raises(expected, match=table):
            _insert(connection, mode, move, lot_id=99_999_999 if field == "lot" else None)
        connection.rollback()
        assert query(fast_db, "SELECT count(*) FROM stock_move WHERE id = %s",
                     (move["id"],)) == [(0,)]
    finally:
        connection.close()


@pytest.mark.parametrize("mode", MODES)
def test_an_insert_error_surfaces_as_itself(fast_db, mode):
    """A row the insert itself refuses (here: no company) reports that error, not a
    follow-up failure of the statements after it."""
    connection = psycopg2.connect(fast_db)
    try:
        with pytest.raises(psycopg2.errors.NotNullViolation, match="company_id"):
            _insert(connection, mode, _move(fast_db, company_id=None))
    finally:
        connection.close()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("table", "field"), [
    ("product_product", "product_id"), ("stock_picking_type", "picking_type_id")])
def test_referenced_rows_are_locked_until_commit(fast_db, mode, table, field):
    """While the journal's transaction is open, deleting a row its new moves reference
    waits for it (here: runs into a lock timeout), as with Odoo's own triggers."""
    journal = psycopg2.connect(fast_db)
    other = psycopg2.connect(fast_db)
    try:
        move = _move(fast_db)
        _insert(journal, mode, move)
        with other.cursor() as cur:
            cur.execute("SET lock_timeout = '300ms'")
            with pytest.raises(psycopg2.errors.LockNotAvailable):
                cur.execute(f"DELETE FROM {table} WHERE id = %s", (move[field],))
        other.rollback()
        journal.commit()
        assert query(fast_db, "SELECT count(*) FROM stock_move_line WHERE move_id = %s",
                     (move["id"],)) == [(1,)]
    finally:
        journal.close()
        other.close()


def test_a_journal_falls_back_to_triggers_and_still_drains(fast_db):
    """Set to ``triggers`` (or where batched checks are not allowed), the journal writes
    the same done moves, through Odoo's triggers."""
    device_id, _token = create_device(fast_db, name="S01-SCN-TRIGGERS")
    _queue_sale(fast_db, device_id, "t-1", PRODUCT, 2, True)
    before = done_move_totals(fast_db)
    reference = ReferenceData(fast_db)
    journal = Journal(fast_db, reference, reference_checks="triggers")
    try:
        assert journal.run_once() == 1
        assert journal._references[1] is None
    finally:
        journal.stop(drain=False)
        reference.stop()
    after = done_move_totals(fast_db)
    assert {key: after[key] - before.get(key, 0.0) for key in after
            if after[key] != before.get(key, 0.0)} == {(PRODUCT, S01_STOCK): -2.0,
                                                       (PRODUCT, CUSTOMERS): 2.0}


def test_own_triggers_on_the_move_tables_keep_the_row_checks(fast_db):
    """A trigger someone added to ``stock_move`` would be skipped by a replica role:
    with one present, the set-wise check is not offered."""
    query(fast_db, """
        CREATE FUNCTION rrs_test_audit() RETURNS trigger LANGUAGE plpgsql
            AS $$ BEGIN RETURN NEW; END $$;
        CREATE TRIGGER rrs_test_audit AFTER INSERT ON stock_move
            FOR EACH ROW EXECUTE FUNCTION rrs_test_audit()""")
    connection = psycopg2.connect(fast_db)
    try:
        with connection.cursor() as cur:
            check, why_not = sql.reference_check(cur)
        assert check is None
        assert "rrs_test_audit" in why_not
    finally:
        connection.close()


def test_a_deferrable_unique_constraint_keeps_the_row_checks(fast_db):
    """Its check is an internal trigger too, and a replica role would skip it."""
    query(fast_db, "ALTER TABLE stock_move_line ADD CONSTRAINT rrs_test_unique "
                   "UNIQUE (id, move_id) DEFERRABLE INITIALLY DEFERRED")
    connection = psycopg2.connect(fast_db)
    try:
        with connection.cursor() as cur:
            check, why_not = sql.reference_check(cur)
        assert check is None
        assert "Unique_ConstraintTrigger" in why_not, why_not
    finally:
        connection.close()


def test_a_role_needs_the_right_to_set_the_replication_role(fast_db):
    """An ordinary role falls back to the triggers; granted SET on
    ``session_replication_role`` (PostgreSQL 15+), it may check set-wise."""
    role = "rrs_test_journal_role"
    granting = int(query(fast_db, "SHOW server_version_num")[0][0]) >= 150000
    query(fast_db, f"CREATE ROLE {role} LOGIN")
    try:
        def decide():
            connection = psycopg2.connect(make_dsn(fast_db, user=role))
            try:
                with connection.cursor() as cur:
                    result = sql.reference_check(cur)
                    cur.execute("SHOW session_replication_role")
                    assert cur.fetchone() == ("origin",), "the probe leaves the role as it was"
                return result
            finally:
                connection.close()

        check, why_not = decide()
        assert check is None and "session_replication_role" in why_not
        if not granting:
            pytest.skip("GRANT SET ON PARAMETER needs PostgreSQL 15")
        query(fast_db, f"GRANT SET ON PARAMETER session_replication_role TO {role}")
        check, why_not = decide()
        assert check is not None, why_not
        assert {fk.target for fk in check.foreign_keys} >= {
            "product_product", "stock_location", "stock_lot", "res_users", "uom_uom"}
    finally:
        if granting:
            query(fast_db, f"REVOKE ALL ON PARAMETER session_replication_role FROM {role}")
        query(fast_db, f"DROP ROLE {role}")
