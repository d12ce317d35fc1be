"""The scan fast path over real HTTP into a real PostgreSQL holding Odoo's schema."""

from __future__ import annotations

import json
import select
import time
from datetime import UTC, datetime, timedelta

import httpx
import psycopg2
import psycopg2.extensions
import pytest

from ingest_core.commit.journal import wait_drained
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

S01_STOCK, S02_STOCK, CUSTOMERS, VENDORS, TRANSIT, INVENTORY, SCRAP = 18, 24, 5, 4, 13, 14, 16


def product(index: int) -> int:
    return index + 2


def wait_journal(dsn: str, timeout: float = 20.0) -> None:
    wait_drained(dsn, timeout)


@pytest.fixture(scope="module")
def ingest(module_db):
    with IngestProcess(module_db) as process:
        yield process


@pytest.fixture(scope="module")
def device(module_db):
    return create_device(module_db, name="S01-SCN-1")


def test_reads_are_applied_once_and_replays_are_duplicates(ingest, device, module_db):
    """A batch applies each read once; the same batch resent changes nothing."""
    _id, token = device
    before = on_hand(module_db, product(10), S01_STOCK)
    reads = [{"key": f"once-{i}", "code": ean13(10), "op": "sale", "qty": 1} for i in range(5)]
    first = post(ingest.url, token, reads)
    assert first.status_code == 200, first.text
    assert first.json()["applied"] == 5, first.json()
    assert on_hand(module_db, product(10), S01_STOCK) == before - 5
    again = post(ingest.url, token, reads)
    assert again.json()["duplicate"] == 5, "a resent read must not be applied twice"
    assert on_hand(module_db, product(10), S01_STOCK) == before - 5


def test_every_operation_moves_stock_where_odoo_would(ingest, device, module_db):
    """Each operation moves stock between the locations Odoo 18 uses for it: the store's
    and transit quants when the read is acknowledged, the virtual locations' (customers,
    vendors, scrap) with the done moves the journal writes."""
    _id, token = device
    code = ean13(20)
    start = quants_by_key(module_db)
    reads = [
        {"key": "op-sale", "code": code, "op": "sale", "qty": 3},
        {"key": "op-return", "code": code, "op": "return", "qty": 1},
        {"key": "op-receipt", "code": code, "op": "receipt", "qty": 10},
        {"key": "op-out", "code": code, "op": "transfer_out", "qty": 2},
        {"key": "op-scrap", "code": code, "op": "scrap", "qty": 1},
    ]
    response = post(ingest.url, token, reads)
    assert response.json()["applied"] == 5, response.json()
    now = quants_by_key(module_db)
    p = product(20)

    def moved(location):
        return now.get((p, location), 0) - start.get((p, location), 0)

    assert moved(S01_STOCK) == -3 + 1 + 10 - 2 - 1
    assert moved(TRANSIT) == 2
    wait_journal(module_db)
    now = quants_by_key(module_db)
    assert moved(S01_STOCK) == -3 + 1 + 10 - 2 - 1, "the journal must not move stock again"
    assert moved(TRANSIT) == 2
    assert moved(CUSTOMERS) == 3 - 1
    assert moved(VENDORS) == -10
    assert moved(SCRAP) == 1


def test_count_sets_on_hand_through_inventory_adjustment(ingest, device, module_db):
    """A count read moves the difference to or from Inventory adjustment."""
    _id, token = device
    p = product(30)
    before = on_hand(module_db, p, S01_STOCK)
    adjustment_before = on_hand(module_db, p, INVENTORY)
    response = post(ingest.url, token, [{"key": "count-1", "code": ean13(30), "op": "count",
                                         "qty": before - 7}])
    assert response.json()["applied"] == 1, response.json()
    assert on_hand(module_db, p, S01_STOCK) == before - 7
    wait_journal(module_db)
    assert on_hand(module_db, p, S01_STOCK) == before - 7
    assert on_hand(module_db, p, INVENTORY) == adjustment_before + 7
    replay = post(ingest.url, token, [{"key": "count-1", "code": ean13(30), "op": "count",
                                       "qty": 0}])
    assert replay.json()["duplicate"] == 1, "a replayed count must not recount"
    assert on_hand(module_db, p, S01_STOCK) == before - 7


def test_journal_writes_done_moves_matching_quants(ingest, device, module_db):
    """After the journal drains, quants equal opening stock plus done move lines."""
    _id, token = device
    post(ingest.url, token, [{"key": f"j-{i}", "code": ean13(40 + i % 3), "op": "sale"}
                             for i in range(30)])
    wait_journal(module_db)
    rows = query(module_db, """
        SELECT m.state, m.product_qty, m.picking_type_id, p.name, p.state, l.quantity, l.state
          FROM rrs_event e JOIN rrs_event_move em ON em.event_id = e.id
          JOIN stock_move m ON m.id = em.move_id
          JOIN stock_picking p ON p.id = m.picking_id
          JOIN stock_move_line l ON l.move_id = m.id
         WHERE e.read_key LIKE 'j-%%'""")
    assert len(rows) == 30, "every event is linked to its move"
    assert {row[0] for row in rows} == {"done"} and {row[4] for row in rows} == {"done"}
    assert {row[2] for row in rows} == {11}, "sales in S01 use S01's Delivery Orders type"
    assert all(row[3].startswith("S01/OUT/") for row in rows), rows[0]
    moves = query(module_db, "SELECT count(DISTINCT em.move_id) FROM rrs_event e "
                             "JOIN rrs_event_move em ON em.event_id = e.id "
                             "WHERE e.read_key LIKE 'j-%%'")[0][0]
    assert moves <= 3 * 30, moves
    opening = opening_quants(module_db)
    current, moved = quants_by_key(module_db), done_move_totals(module_db)
    for key, quantity in current.items():
        assert quantity == pytest.approx(opening.get(key, 0) + moved.get(key, 0)), key


def opening_quants(dsn: str) -> dict:
    """Quants before any fast-path move: current minus the fast path's done moves."""
    moved = {}
    for product_id, source, destination, quantity in query(dsn, """
            SELECT l.product_id, l.location_id, l.location_dest_id, l.quantity
              FROM stock_move_line l JOIN rrs_event_move e ON e.move_id = l.move_id
             GROUP BY l.id"""):
        moved[(product_id, source)] = moved.get((product_id, source), 0) - float(quantity)
        moved[(product_id, destination)] = moved.get((product_id, destination), 0) + float(
            quantity)
    baseline = done_move_totals(dsn)
    current = quants_by_key(dsn)
    return {key: current.get(key, 0) - baseline.get(key, 0)
            for key in set(current) | set(baseline)} | {}


def test_gs1_lot_reads_create_the_lot_and_lot_quants(ingest, device, module_db):
    """A GS1-128 read with AI 10 moves stock of that lot, creating the lot when new."""
    _id, token = device
    index = 1960  # lot-tracked in the catalog
    gtin = "0" + ean13(index)
    code = f"]C101{gtin}10LOT-FAST-1\x1d17261231"
    response = post(ingest.url, token, [{"key": "lot-1", "code": code, "op": "receipt",
                                         "qty": 4}])
    assert response.json()["applied"] == 1, response.json()
    rows = query(module_db, """
        SELECT q.quantity FROM stock_quant q JOIN stock_lot l ON l.id = q.lot_id
         WHERE l.name = 'LOT-FAST-1' AND q.location_id = %s""", (S01_STOCK,))
    assert rows and float(rows[0][0]) == 4.0, rows
    missing_lot = post(ingest.url, token, [{"key": "lot-2", "code": ean13(index), "op": "sale"}])
    assert missing_lot.json()["results"][0]["reason_code"] == "lot_required"


def test_packaging_barcode_moves_its_quantity(ingest, device, module_db):
    """A packaging barcode counts as its packaging's quantity of units."""
    _id, token = device
    query(module_db, "INSERT INTO product_packaging (name, product_id, barcode, qty, company_id)"
                     " VALUES ('Box of 12', %s, '14012345000501', 12, 1)", (product(50),))
    before = on_hand(module_db, product(50), S01_STOCK)
    deadline = time.monotonic() + 5
    while True:
        response = post(ingest.url, token, [{"key": f"pack-{time.monotonic()}",
                                             "code": "14012345000501", "op": "receipt"}])
        if response.json()["applied"] or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert response.json()["applied"] == 1, "a new packaging is picked up without a restart"
    assert on_hand(module_db, product(50), S01_STOCK) == before + 12


def test_catalog_changes_are_seen_without_restart(ingest, device, module_db):
    """A barcode changed in Odoo resolves to the product within a second or so."""
    _id, token = device
    query(module_db, "UPDATE product_product SET barcode = '2000000000008', "
                     "write_date = now() WHERE id = %s", (product(60),))
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        result = post(ingest.url, token, [{"key": f"new-bc-{time.monotonic()}",
                                           "code": "2000000000008", "op": "sale"}]).json()
        if result["applied"]:
            break
        time.sleep(0.2)
    assert result["applied"] == 1, result
    old = post(ingest.url, token, [{"key": "old-bc", "code": ean13(60), "op": "sale"}]).json()
    assert old["results"][0]["reason_code"] == "unknown_barcode", old


def test_authentication(ingest, module_db):
    """Unknown or missing token: 401; disabled device: 403; revoked token stops working."""
    assert post(ingest.url, "not-a-token", [{"key": "a", "code": ean13(1), "op": "sale"}]
                ).status_code == 401
    missing = httpx.post(f"{ingest.url}/v1/reads", json={"reads": []})
    assert missing.status_code == 401
    device_id, token = create_device(module_db, name="to-disable")
    assert post(ingest.url, token, [{"key": "a", "code": ean13(1), "op": "sale"}]
                ).status_code == 200
    query(module_db, "UPDATE rrs_device SET active = false, write_date = now() WHERE id = %s",
          (device_id,))
    assert _eventually(lambda: post(ingest.url, token, [{"key": "b", "code": ean13(1),
                                                         "op": "sale"}]).status_code == 403)
    query(module_db, "UPDATE rrs_device SET token_hash = NULL, write_date = now() WHERE id = %s",
          (device_id,))
    assert _eventually(lambda: post(ingest.url, token, [{"key": "c", "code": ean13(1),
                                                         "op": "sale"}]).status_code == 401)


def _eventually(check, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def test_device_permissions(ingest, module_db):
    """Operations and locations outside the device's rights are rejected per read."""
    _id, token = create_device(module_db, name="sales-only", allowed=("sale",))
    response = post(ingest.url, token, [
        {"key": "p1", "code": ean13(70), "op": "receipt"},
        {"key": "p2", "code": ean13(70), "op": "sale", "location": S02_STOCK},
        {"key": "p3", "code": ean13(70), "op": "sale"},
    ]).json()
    codes = [r["reason_code"] for r in response["results"]]
    assert codes == ["operation_not_allowed", "location_not_allowed", None], codes
    assert response["applied"] == 1


def test_bad_input_is_rejected_per_read_and_quarantined(ingest, device, module_db):
    """Bad reads get a precise reason and a quarantine row; good reads of the batch apply."""
    device_id, token = device
    now = datetime.now(UTC)
    reads = [
        {"key": "bad-1", "code": "4012345000010", "op": "sale"},
        {"key": "bad-2", "code": "4099999000005", "op": "sale"},
        {"key": "bad-3", "code": ean13(80), "op": "steal"},
        {"key": "bad-4", "code": ean13(80), "op": "sale",
         "ts": (now + timedelta(days=2)).isoformat()},
        {"key": "bad-5", "code": ean13(80), "op": "sale",
         "ts": (now - timedelta(days=400)).isoformat()},
        {"key": "bad-6", "code": ean13(80), "op": "sale", "qty": -1},
        {"key": "bad-7", "code": ean13(80), "op": "sale", "ts": "yesterday"},
        {"key": "bad-8", "code": 4012345000009, "op": "sale"},
        {"key": "good", "code": ean13(80), "op": "sale"},
    ]
    response = post(ingest.url, token, reads)
    assert response.status_code == 200
    codes = [r["reason_code"] for r in response.json()["results"]]
    assert codes == ["bad_check_digit", "unknown_barcode", "unknown_operation",
                     "future_timestamp", "ancient_timestamp", "bad_quantity", "bad_timestamp",
                     "bad_read", None], codes
    quarantined = query(module_db, "SELECT read_key, reason_code, raw FROM rrs_quarantine "
                                   "WHERE device_id = %s AND read_key LIKE 'bad-%%' "
                                   "ORDER BY read_key", (device_id,))
    assert [row[1] for row in quarantined] == codes[:-1]
    assert quarantined[0][2]["code"] == "4012345000010", "the raw read is kept for replay"
    post(ingest.url, token, reads)
    again = query(module_db, "SELECT count(*) FROM rrs_quarantine WHERE read_key LIKE 'bad-%%'")
    assert again[0][0] == len(codes) - 1, "a resent bad read is not quarantined twice"


def test_a_read_with_an_unpaired_surrogate_is_rejected_alone(ingest, device, module_db):
    """JSON may escape a lone UTF-16 surrogate (a firmware that cut a pair in two);
    msgspec refuses the whole text, which made the batch a 422 and held its good reads
    back. Now only that read is rejected and quarantined, and a valid pair is text."""
    device_id, token = device
    before = on_hand(module_db, product(81), S01_STOCK)
    code = ean13(81)
    body = ('{"reads": [{"key": "sur-1", "code": "CODE", "op": "sale"},'
            ' {"key": "sur-2\\ud800", "code": "CODE", "op": "sale"},'
            ' {"key": "sur-3", "code": "CODE", "op": "sale", "note": "\\ud83d\\ude00"}]}'
            ).replace("CODE", code)
    assert "\\ud800" in body, "the escape itself goes over the wire"
    response = httpx.post(f"{ingest.url}/v1/reads", content=body.encode(),
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["applied", "rejected", "applied"], results
    assert results[1]["reason_code"] == "bad_read" and "surrogate" in results[1]["reason"]
    assert on_hand(module_db, product(81), S01_STOCK) == before - 2
    rows = query(module_db, "SELECT read_key, reason_code, raw FROM rrs_quarantine "
                            "WHERE device_id = %s AND read_key LIKE 'sur-%%'", (device_id,))
    assert rows == [("sur-2\ufffd", "bad_read",
                     {"key": "sur-2\ufffd", "code": code, "op": "sale"})], rows


@pytest.mark.parametrize("body, status", [
    (b"{not json", 422),
    (b'{"reads": 5}', 422),
    (b'{"reads": []}', 422),
    (b"[]", 422),
    (b'{"reads": [{"key": "x", "code": "4012345000009", "op": "sale"}] NaN', 422),
    (b'{"reads": "\\ud800"}', 422),
])
def test_malformed_requests_get_4xx(ingest, device, body, status):
    """Malformed bodies are answered with a 4xx and a message, never a 5xx."""
    _id, token = device
    response = httpx.post(f"{ingest.url}/v1/reads", content=body,
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == status, response.text
    assert response.json()["error"]


def test_oversized_batch_is_413(ingest, device):
    """A batch over request_max_reads is refused as a whole."""
    _id, token = device
    reads = [{"key": f"big-{i}", "code": ean13(1), "op": "sale"} for i in range(10001)]
    assert post(ingest.url, token, reads).status_code == 413


def test_bus_messages_in_odoo_format(ingest, device, module_db):
    """Quant changes go out as bus.bus rows shaped like Odoo 18's _sendone."""
    _id, token = device
    post(ingest.url, token, [{"key": "bus-1", "code": ean13(90), "op": "sale"}])
    channel, message = query(module_db, "SELECT channel, message FROM bus_bus "
                                        "ORDER BY id DESC LIMIT 1")[0]
    assert json.loads(channel)[1] == "rrs_stock_2"
    body = json.loads(message)
    assert body["type"] == "rrs_stock/quants"
    assert [product(90), S01_STOCK, None] in [row[:3] for row in body["payload"]["quants"]]


def module_db_name(dsn: str) -> str:
    return psycopg2.extensions.parse_dsn(dsn)["dbname"]


def test_bus_wake_up_reaches_odoo_dispatcher(ingest, device, module_db):
    """After the commit, ``imbus`` in the ``postgres`` database is notified with the
    store's channel, where Odoo 18's bus dispatcher LISTENs."""
    _id, token = device
    listener = psycopg2.connect(psycopg2.extensions.make_dsn(module_db, dbname="postgres"))
    listener.autocommit = True
    try:
        with listener.cursor() as cur:
            cur.execute("LISTEN imbus")
        post(ingest.url, token, [{"key": "bus-wake-1", "code": ean13(91), "op": "sale"}])
        deadline, channels = time.monotonic() + 10, []
        while time.monotonic() < deadline and not channels:
            if select.select([listener], [], [], 0.5)[0]:
                listener.poll()
                channels += [c for n in listener.notifies for c in json.loads(n.payload)]
                listener.notifies.clear()
        assert [module_db_name(module_db), "rrs_stock_2"] in channels, channels
    finally:
        listener.close()


def test_health_metrics_and_docs(ingest):
    """/healthz, /metrics and /docs answer."""
    health = httpx.get(f"{ingest.url}/healthz").json()
    assert health["status"] == "ok" and "journal" in health
    metrics = httpx.get(f"{ingest.url}/metrics").text
    assert "rtstock_reads_total" in metrics and "rtstock_commit_seconds" in metrics
    assert httpx.get(f"{ingest.url}/openapi.json").json()["paths"]["/v1/reads"]
    assert "openapi.json" in httpx.get(f"{ingest.url}/docs").text


def test_quarantine_replay_applies_fixed_reads_once(ingest, device, module_db):
    """A read quarantined for an unknown barcode is applied once the barcode exists and it is
    marked for replay; a read still bad goes back to 'new' with its reason."""
    device_id, token = device
    code = "2000000000015"
    bad = post(ingest.url, token, [{"key": "rq-1", "code": code, "op": "sale", "qty": 2},
                                   {"key": "rq-2", "code": "4012345000010", "op": "sale"}])
    assert [r["reason_code"] for r in bad.json()["results"]] == ["unknown_barcode",
                                                                 "bad_check_digit"]
    before = on_hand(module_db, product(95), S01_STOCK)
    query(module_db, "UPDATE product_product SET barcode = %s, write_date = now() "
                     "WHERE id = %s", (code, product(95)))
    time.sleep(1.5)  # the catalog refresh picks the new barcode up
    query(module_db, "UPDATE rrs_quarantine SET state = 'replay' WHERE device_id = %s "
                     "AND read_key IN ('rq-1', 'rq-2')", (device_id,))
    assert _eventually(lambda: query(module_db, "SELECT count(*) FROM rrs_quarantine WHERE "
                                                "state = 'replay'")[0][0] == 0, 10)
    rows = dict(((key, (state, event)) for key, state, event in query(
        module_db, "SELECT read_key, state, event_id FROM rrs_quarantine WHERE device_id = %s "
                   "AND read_key IN ('rq-1', 'rq-2')", (device_id,))))
    assert rows["rq-1"][0] == "replayed" and rows["rq-1"][1], rows
    assert rows["rq-2"] == ("new", None), rows
    assert on_hand(module_db, product(95), S01_STOCK) == before - 2
    again = post(ingest.url, token, [{"key": "rq-1", "code": code, "op": "sale", "qty": 2}])
    assert again.json()["duplicate"] == 1, "the replayed read is in the event log once"
    quarantined = query(module_db, "SELECT count(*) FROM rrs_quarantine WHERE read_key = 'rq-2'")
    assert quarantined[0][0] == 1, "a rejected replay is not quarantined a second time"


def test_journal_keeps_each_products_value_flow_in_read_order(ingest, device, module_db):
    """For a FIFO product, sales and receipts become moves in the order they were read (its
    value depends on it); reads of one direction in a row, and any standard-cost product's
    reads, still aggregate."""
    _id, token = device
    query(module_db, "INSERT INTO product_category (name, property_cost_method) "
                     "VALUES ('FIFO goods', '{\"1\": \"fifo\"}') RETURNING id")
    query(module_db, "UPDATE product_template SET write_date = now(), categ_id = "
                     "(SELECT id FROM product_category WHERE name = 'FIFO goods') "
                     "WHERE id = (SELECT product_tmpl_id FROM product_product WHERE id = %s)",
          (product(97),))
    time.sleep(1.5)  # the catalog refresh sees the template change
    ops = ["sale", "sale", "receipt", "sale"]
    reads = [{"key": f"flow-{n}", "code": ean13(97), "op": op} for n, op in enumerate(ops)]
    reads += [{"key": f"flow-std-{n}", "code": ean13(98), "op": op} for n, op in enumerate(ops)]
    assert post(ingest.url, token, reads).json()["applied"] == 8
    wait_journal(module_db)

    def moves(prefix):
        return [(src, dst, float(qty)) for src, dst, qty in query(module_db, """
            SELECT m.location_id, m.location_dest_id, m.product_qty FROM stock_move m
             WHERE m.id IN (SELECT em.move_id FROM rrs_event e
                             JOIN rrs_event_move em ON em.event_id = e.id
                            WHERE e.read_key LIKE %s)
             ORDER BY m.id""", (prefix,))]

    assert moves("flow-_") == [(S01_STOCK, CUSTOMERS, 2.0), (VENDORS, S01_STOCK, 1.0),
                               (S01_STOCK, CUSTOMERS, 1.0)]
    assert sorted(moves("flow-std-%")) == sorted([(S01_STOCK, CUSTOMERS, 3.0),
                                                  (VENDORS, S01_STOCK, 1.0)])


def test_a_quant_odoo_merged_away_is_found_again(ingest, device, module_db):
    """The writer remembers each key's quant; when Odoo merges it away, the next group
    notices (the row lock reads the key back), forgets it and retries: no error, no loss."""
    _id, token = device
    code, product_id = ean13(61), product(61)
    first = post(ingest.url, token, [{"key": "stale-1", "code": code, "op": "sale"}])
    assert first.json()["applied"] == 1, first.json()
    before = on_hand(module_db, product_id, S01_STOCK)
    # What Odoo's _merge_quants leaves: the quantity in another quant, the old one gone.
    query(module_db, """
        WITH old AS (DELETE FROM stock_quant
                      WHERE product_id = %s AND location_id = %s RETURNING *)
        INSERT INTO stock_quant (product_id, location_id, company_id, quantity,
                                 reserved_quantity, in_date, create_date, write_date)
        SELECT product_id, location_id, company_id, sum(quantity), 0, min(in_date),
               now(), now() FROM old GROUP BY product_id, location_id, company_id""",
          (product_id, S01_STOCK))
    assert on_hand(module_db, product_id, S01_STOCK) == before
    second = post(ingest.url, token, [{"key": "stale-2", "code": code, "op": "sale"}])
    assert second.status_code == 200 and second.json()["applied"] == 1, second.text
    assert on_hand(module_db, product_id, S01_STOCK) == before - 1
    assert query(module_db, "SELECT count(*) FROM stock_quant WHERE product_id = %s "
                            "AND location_id = %s", (product_id, S01_STOCK))[0][0] == 1
    metrics = httpx.get(f"{ingest.url}/metrics").text
    assert 'rtstock_commit_retries_total{error="StaleQuant"}' in metrics, "the stale id was met"


def test_device_daily_counts_follow_what_became_of_its_reads(module_db):
    """Applied, duplicate and rejected reads of a device are added to its row of the day
    (device health), outside the stock transaction; a clean stop writes the last ones."""
    device_id, token = create_device(module_db, name="health-scanner")
    reads = [{"key": f"health-{n}", "code": ean13(30), "op": "sale", "qty": 1}
             for n in range(3)]
    with IngestProcess(module_db) as process:
        assert post(process.url, token, reads).json()["applied"] == 3
        assert post(process.url, token, reads[:2]).json()["duplicate"] == 2
        bad = post(process.url, token, [{"key": "health-bad", "code": "4012345000010",
                                         "op": "sale"}])
        assert bad.json()["rejected"] == 1
    today = datetime.now(UTC).date()
    assert query(module_db, "SELECT day, applied, duplicate, rejected FROM rrs_device_daily "
                            "WHERE device_id = %s", (device_id,)) == [(today, 3, 2, 1)]
