"""Fast path and Odoo's own quant writers on the same hot quants at the same time."""

from __future__ import annotations

import random
import threading
import time

import pytest

from ingest_core.odoo.catalog import ean13
from tests.support import odoo_orm_like
from tests.support.ingest import IngestProcess, create_device, post, quants_by_key, query

S01_STOCK, CUSTOMERS, VENDORS = 18, 5, 4
HOT = [0, 1, 2, 3]  # catalog indexes: product id = index + 2


@pytest.mark.parametrize("writer_threads", [1, 2])
def test_fast_path_and_orm_writers_lose_no_update(fast_db, writer_threads):
    """Concurrent fast-path batches, ORM-style moves and quant merges: sums stay exact."""
    opening = quants_by_key(fast_db)
    expected: dict[tuple[int, int], float] = {}
    lock = threading.Lock()
    errors: list[BaseException] = []
    stop = threading.Event()
    orm_moves: list[int] = []

    def book(product_id, source, destination, quantity):
        with lock:
            expected[(product_id, source)] = expected.get((product_id, source), 0) - quantity
            expected[(product_id, destination)] = expected.get((product_id, destination),
                                                               0) + quantity

    def fast_client(token: str, seed: int):
        rng = random.Random(seed)
        try:
            for batch in range(40):
                reads = []
                for i in range(25):
                    index = rng.choice(HOT)
                    op = rng.choice(["sale", "receipt"])
                    reads.append({"key": f"{seed}-{batch}-{i}", "code": ean13(index), "op": op})
                response = post(ingest.url, token, reads)
                assert response.status_code == 200, response.text
                for read, fate in zip(reads, response.json()["results"], strict=True):
                    assert fate["status"] == "applied", fate
                    product_id = int(read["code"][8:12]) + 2
                    if read["op"] == "sale":
                        book(product_id, S01_STOCK, CUSTOMERS, 1)
                    else:
                        book(product_id, VENDORS, S01_STOCK, 1)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
            errors.append(exc)

    def orm_client(seed: int):
        rng = random.Random(seed)
        connection = odoo_orm_like.connect(fast_db)
        try:
            while not stop.is_set():
                product_id = rng.choice(HOT) + 2
                odoo_orm_like.orm_move(connection, product_id, S01_STOCK, CUSTOMERS, 1)
                book(product_id, S01_STOCK, CUSTOMERS, 1)
                orm_moves.append(product_id)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
            errors.append(exc)
        finally:
            connection.close()

    def merger():
        connection = odoo_orm_like.connect(fast_db)
        while not stop.is_set():
            odoo_orm_like.merge_quants(connection)
            time.sleep(0.05)
        connection.close()

    with IngestProcess(fast_db, writer_threads=writer_threads) as ingest:
        tokens = [create_device(fast_db, name=f"conc-{n}")[1] for n in range(2)]
        fast = [threading.Thread(target=fast_client, args=(token, n))
                for n, token in enumerate(tokens)]
        others = [threading.Thread(target=orm_client, args=(100 + n,)) for n in range(3)]
        others.append(threading.Thread(target=merger))
        for thread in fast + others:
            thread.start()
        for thread in fast:
            thread.join(300)
        stop.set()
        for thread in others:
            thread.join(60)
    assert not errors, errors
    assert len(orm_moves) > 20, "the ORM-style writers must really have run alongside"
    odoo_orm_like.merge_quants(odoo_orm_like.connect(fast_db))
    final = quants_by_key(fast_db)
    for key, delta in expected.items():
        assert final.get(key, 0) == opening.get(key, 0) + delta, (key, final.get(key), delta)
    dupes = query(fast_db, "SELECT product_id, location_id, count(*) FROM stock_quant "
                           "GROUP BY product_id, company_id, location_id, lot_id, package_id, "
                           "owner_id HAVING count(*) > 1")
    assert dupes == [], f"quants Odoo could not merge: {dupes}"
