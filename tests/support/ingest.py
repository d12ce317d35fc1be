"""A real ingest service for tests: ``rtstock serve`` in a subprocess on a free loopback port.

Also device provisioning (a device row with a token, as the add-on's
"Generate token" would make it) and small SQL readers for assertions.
"""

from __future__ import annotations

import httpx
import psycopg2

from ingest_core.bench.process import IngestProcess, free_port  # noqa: F401 - re-exported
from ingest_core.resolve.devices import ALL_OPERATIONS, provision  # noqa: F401 - re-exported


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
