"""Whose quants: the writer moves stock locations at ack, the journal the virtual ones.

A sale moves the store's quant when it is acknowledged and the customers quant
with its done move; a batch queued by an earlier version (``virtual_by_journal``
null: its writer moved both sides) must not move the customers quant a second time.
"""

from __future__ import annotations

from ingest_core.commit.journal import drain, wait_drained
from ingest_core.odoo.catalog import ean13
from tests.support.ingest import (
    IngestProcess,
    create_device,
    done_move_totals,
    on_hand,
    post,
    quants_by_key,
    query,
)

S01_STOCK, CUSTOMERS, VENDORS = 18, 5, 4


def _queue_sale(dsn: str, device_id: int, key: str, product: int, quantity: float,
                virtual_by_journal: bool | None) -> None:
    """One sale event and its batch, as a writer of that version leaves them."""
    (picking_type,) = query(dsn, "SELECT id FROM stock_picking_type WHERE code = 'outgoing' "
                                 "AND warehouse_id = 2 ORDER BY id LIMIT 1")[0]
    query(dsn, """
        WITH b AS (SELECT nextval(pg_get_serial_sequence('rrs_event_batch', 'id')) AS id),
        e AS (
            INSERT INTO rrs_event (device_id, read_key, operation, product_id, quantity,
                                   location_id, location_dest_id, picking_type_id,
                                   warehouse_id, company_id, received_at, batch_id)
            SELECT %s, %s, 'sale', %s, %s, %s, %s, %s, 2, 1, now() AT TIME ZONE 'UTC', b.id
              FROM b RETURNING id, batch_id)
        INSERT INTO rrs_event_batch (id, event_ids, received_at, virtual_by_journal)
        SELECT batch_id, ARRAY[id], now() AT TIME ZONE 'UTC', %s FROM e""",
          (device_id, key, product, quantity, S01_STOCK, CUSTOMERS, picking_type,
           virtual_by_journal))


def test_the_journal_moves_customers_only_for_batches_it_owns(fast_db):
    """New batch (true): the journal moves the customers quant (creating it as Odoo would);
    old batch (null): its writer already moved it, the journal leaves it."""
    device_id, _token = create_device(fast_db, name="S01-SCN-UPGRADE")
    product = 42
    customers_before = on_hand(fast_db, product, CUSTOMERS)
    _queue_sale(fast_db, device_id, "new-1", product, 3, True)
    drain(fast_db)
    assert on_hand(fast_db, product, CUSTOMERS) == customers_before + 3
    # The 18.0.1.1.0 writer moved both quants in the transaction that queued the batch.
    query(fast_db, "UPDATE stock_quant SET quantity = quantity + 2 WHERE id = ("
                   "SELECT min(id) FROM stock_quant WHERE product_id = %s AND location_id = %s)",
          (product, CUSTOMERS))
    _queue_sale(fast_db, device_id, "old-1", product, 2, None)
    drain(fast_db)
    assert on_hand(fast_db, product, CUSTOMERS) == customers_before + 3 + 2, \
        "a batch whose writer moved both sides must not move the customers quant again"
    assert query(fast_db, "SELECT count(*) FROM rrs_event_batch WHERE move_ids IS NULL") == \
        [(0,)], "both batches have their moves"
    assert query(fast_db, "SELECT count(*) FROM stock_quant WHERE product_id = %s "
                          "AND location_id = %s", (product, CUSTOMERS)) == [(1,)]


def test_store_quants_at_ack_customers_with_the_moves(fast_db):
    """After a burst of sales and receipts, the store moved at ack; once drained every quant
    (virtual ones included) equals its opening plus its done move lines."""
    _id, token = create_device(fast_db, name="S01-SCN-SPLIT")
    opening = quants_by_key(fast_db)
    moves_before = done_move_totals(fast_db)
    with IngestProcess(fast_db) as ingest:
        reads = [{"key": f"split-{n}", "code": ean13(n % 7), "op": "sale" if n % 3 else "receipt",
                  "qty": 1 + n % 2} for n in range(60)]
        assert post(ingest.url, token, reads).json()["applied"] == 60
        store = {n % 7 + 2: 0.0 for n in range(60)}
        for n in range(60):
            store[n % 7 + 2] += (1 + n % 2) * (-1 if n % 3 else 1)
        acknowledged = quants_by_key(fast_db)
        for product, change in store.items():
            assert acknowledged.get((product, S01_STOCK), 0) - opening.get(
                (product, S01_STOCK), 0) == change, product
        wait_drained(fast_db, 30)
    after = quants_by_key(fast_db)
    moves = done_move_totals(fast_db)
    for key in set(after) | set(moves):
        if key[0] in store:
            assert after.get(key, 0) - opening.get(key, 0) == moves.get(key, 0) - \
                moves_before.get(key, 0), key
    customers = sum(after.get((p, CUSTOMERS), 0) - opening.get((p, CUSTOMERS), 0) for p in store)
    vendors = sum(after.get((p, VENDORS), 0) - opening.get((p, VENDORS), 0) for p in store)
    assert customers == sum(1 + n % 2 for n in range(60) if n % 3)
    assert vendors == -sum(1 + n % 2 for n in range(60) if not n % 3)
