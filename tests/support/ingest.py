"""A real ingest service for tests: ``rtstock serve`` in a subprocess on a free loopback port.

Also device provisioning (a device row with a token, as the add-on's
"Generate token" would make it) and small SQL readers for assertions.
"""

from __future__ import annotations

import httpx
import psycopg2
import pytest

from ingest_core.bench.process import IngestProcess, free_port  # noqa: F401 - re-exported
from ingest_core.resolve.devices import ALL_OPERATIONS, provision  # noqa: F401 - re-exported
from ingest_core.tools.faults import S01_STOCK, S02_STOCK, expected_deltas  # noqa: F401


def create_device(dsn: str, **options) -> tuple[int, str]:
    """A device of store S01 unless told otherwise; returns (device id, token)."""
    return provision(dsn, **options)


def query(dsn: str, statement: str, params=()) -> list[tuple]:
    connection = psycopg2.connect(dsn)
    try:
        with connection.cursor() as cur:
            cur.execute(statement, params)
            rows = cur.fetchall() if cur.description else []
        connection.commit()
        return rows
    finally:
        connection.close()


def on_hand(dsn: str, product_id: int, location_id: int) -> float:
    rows = query(
        dsn,
        "SELECT coalesce(sum(quantity), 0) FROM stock_quant "
        "WHERE product_id = %s AND location_id = %s",
        (product_id, location_id),
    )
    return float(rows[0][0])


def quants_by_key(dsn: str) -> dict[tuple[int, int], float]:
    return {
        (p, loc): float(q)
        for p, loc, q in query(
            dsn,
            "SELECT product_id, location_id, sum(quantity) FROM stock_quant "
            "GROUP BY product_id, location_id",
        )
    }


def done_move_totals(dsn: str) -> dict[tuple[int, int], float]:
    """Per (product, location): incoming minus outgoing done move-line quantity."""
    totals: dict[tuple[int, int], float] = {}
    for product, source, destination, quantity in query(
        dsn,
        "SELECT product_id, location_id, location_dest_id, sum(quantity) "
        "FROM stock_move_line WHERE state = 'done' GROUP BY 1, 2, 3",
    ):
        totals[(product, source)] = totals.get((product, source), 0.0) - float(quantity)
        totals[(product, destination)] = totals.get((product, destination), 0.0) + float(quantity)
    return totals


def post(url: str, token: str, reads: list[dict], timeout: float = 30.0) -> httpx.Response:
    return httpx.post(
        f"{url}/v1/reads",
        json={"reads": reads},
        headers={"Authorization": f"Bearer {token}"},
        timeout=timeout,
    )



def assert_applied_once(dsn: str, sent: dict[int, dict[str, dict]],
                        location_of: dict[int, int],
                        opening: dict[tuple[int, int], float]) -> None:
    """Every read ``sent`` (and acked) is in the event log once, nothing else is, and the
    quants and the done move lines both equal the reads applied once."""
    stored = query(dsn, "SELECT device_id, read_key, count(*) FROM rrs_event "
                        "WHERE device_id = ANY(%s) GROUP BY 1, 2", (list(sent),))
    assert all(count == 1 for _d, _k, count in stored)
    assert {(device, key) for device, key, _n in stored} == {
        (device, key) for device, reads in sent.items() for key in reads}, \
        "every acked read is in the event log, and nothing else"
    expected = expected_deltas((read, location_of[device]) for device, reads in sent.items()
                               for read in reads.values())
    final = quants_by_key(dsn)
    for key, delta in expected.items():
        assert final.get(key, 0) == opening.get(key, 0) + delta, key
    moved = query(dsn, """
        SELECT l.product_id, l.location_id, l.location_dest_id, sum(l.quantity)
          FROM stock_move_line l WHERE l.move_id IN (SELECT move_id FROM rrs_event_move)
         GROUP BY 1, 2, 3""")
    from_moves: dict[tuple[int, int], float] = {}
    for product_id, source, destination, quantity in moved:
        from_moves[(product_id, source)] = from_moves.get((product_id, source), 0) - float(quantity)
        from_moves[(product_id, destination)] = (from_moves.get((product_id, destination), 0)
                                                 + float(quantity))
    assert from_moves == pytest.approx(expected), "done move lines equal the applied reads"
