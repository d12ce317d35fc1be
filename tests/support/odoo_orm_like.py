"""Odoo 18's own quant writers, reproduced at the SQL level for concurrency tests.

These are *not* product code: they replay what Odoo's ORM sends to PostgreSQL
when it moves stock (``stock.quant._update_available_quantity``) and when its
scheduler merges duplicate quants (``stock.quant._merge_quants``), with
Odoo's transaction isolation (REPEATABLE READ) and its retry of serialization
failures, so the fast path can be tested against them without a live Odoo.
Where a live Odoo is present, the live tests use the real ORM instead.
"""

from __future__ import annotations

import random
import time

import psycopg2
import psycopg2.errors
import psycopg2.extensions

RETRYABLE = (psycopg2.errors.SerializationFailure, psycopg2.errors.DeadlockDetected)

MERGE_QUANTS = """
WITH dupes AS (
    SELECT min(id) AS to_update_quant_id,
           (array_agg(id ORDER BY id))[2:array_length(array_agg(id), 1)] AS to_delete_quant_ids,
           SUM(reserved_quantity) AS reserved_quantity,
           SUM(inventory_quantity) AS inventory_quantity,
           SUM(quantity) AS quantity, MIN(in_date) AS in_date
      FROM stock_quant
     GROUP BY product_id, company_id, location_id, lot_id, package_id, owner_id
    HAVING count(id) > 1),
_up AS (
    UPDATE stock_quant q SET quantity = d.quantity, reserved_quantity = d.reserved_quantity,
           inventory_quantity = d.inventory_quantity, in_date = d.in_date
      FROM dupes d WHERE d.to_update_quant_id = q.id)
DELETE FROM stock_quant WHERE id IN (SELECT unnest(to_delete_quant_ids) FROM dupes)
"""


def connect(dsn: str):
    connection = psycopg2.connect(dsn)
    connection.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_REPEATABLE_READ)
    return connection


def _update_available_quantity(cur, product_id: int, location_id: int, quantity: float) -> None:
    cur.execute(
        "SELECT id FROM stock_quant WHERE product_id = %s AND location_id = %s "
        "AND lot_id IS NULL AND package_id IS NULL AND owner_id IS NULL "
        "ORDER BY in_date, id",
        (product_id, location_id),
    )
    ids = [row[0] for row in cur.fetchall()]
    quant_id = None
    if ids:
        cur.execute(
            "SELECT id FROM stock_quant WHERE id IN %s ORDER BY lot_id LIMIT 1 "
            "FOR NO KEY UPDATE SKIP LOCKED",
            (tuple(ids),),
        )
        row = cur.fetchone()
        quant_id = row[0] if row else None
    if quant_id is not None:
        cur.execute("SELECT quantity FROM stock_quant WHERE id = %s", (quant_id,))
        current = float(cur.fetchone()[0] or 0)
        cur.execute(
            "UPDATE stock_quant SET quantity = %s, write_date = now() WHERE id = %s",
            (current + quantity, quant_id),
        )
    else:
        cur.execute(
            """
            INSERT INTO stock_quant (product_id, location_id, company_id, quantity,
                                     reserved_quantity, in_date, create_date, write_date)
            SELECT %s, %s, company_id, %s, 0, now(), now(), now() FROM stock_location
             WHERE id = %s""",
            (product_id, location_id, quantity, location_id),
        )


def orm_move(
    connection, product_id: int, source: int, destination: int, quantity: float, attempts: int = 50
) -> int:
    """One done move's quant updates in one ORM transaction; returns tries used."""
    for attempt in range(1, attempts + 1):
        try:
            with connection.cursor() as cur:
                _update_available_quantity(cur, product_id, source, -quantity)
                _update_available_quantity(cur, product_id, destination, quantity)
            connection.commit()
            return attempt
        except RETRYABLE:
            connection.rollback()
            time.sleep(random.uniform(0.001, 0.01) * attempt)
    raise RuntimeError("ORM-like move kept failing")


def merge_quants(connection) -> None:
    """Odoo's scheduled quant merge (it swallows errors, as Odoo does in a savepoint)."""
    try:
        with connection.cursor() as cur:
            cur.execute(MERGE_QUANTS)
        connection.commit()
    except psycopg2.Error:
        connection.rollback()
