"""RFID over real HTTP into a real PostgreSQL: EPC movements exactly once, counts as Odoo counts."""

from __future__ import annotations

import asyncio
import json
import random
import socket
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from hardware.simulators import catalog
from hardware.simulators.vendor import alien_notification, impinj_r700_event, zebra_iot_event
from ingest_core.commit.journal import wait_drained
from ingest_core.decode import epc as epc_codec
from ingest_core.odoo import count_comparison
from tests.support.addon_source import constant
from tests.support.ingest import IngestProcess, create_device, free_port, on_hand, query
from tests.test_mqtt_bridge import broker  # noqa: F401 - the real mosquitto fixture

S01_STOCK, S02_STOCK, CUSTOMERS, VENDORS, INVENTORY = 18, 24, 5, 4, 14
NOT_GS1 = [f"000000000000000000000{n:03d}" for n in range(1, 4)]


def test_addon_and_ingest_compare_a_count_by_the_same_function():
    """The add-on's rrs_count_comparison.sql is count_comparison.FUNCTION_DDL after its
    header (up to the first blank line): Stop in Odoo and the ingest's close compare alike."""
    sql_file = (Path(__file__).resolve().parents[1] / "addons" / "retail_realtime_stock"
                / "models" / "rrs_count_comparison.sql")
    _header, _blank, body = sql_file.read_text(encoding="utf-8").partition("\n\n")
    assert body.strip() == count_comparison.FUNCTION_DDL.strip()
    assert constant(sql_file.with_name("rrs_count_line.py"), "COMPARISON_DROP_SQL") == \
        count_comparison.DROP_DDL, "the add-on's uninstall must drop what the ingest drops"


def epc_of(product_id: int, serial: int) -> str:
    """SGTIN-96 (GS1 company prefix 4012345) of unit ``serial`` of a product (id = index + 2)."""
    return catalog.sgtin96(product_id - 2, serial)


def impinj(epcs: list[str], repeats: int = 3, host: str = "r700") -> bytes:
    rng = random.Random(1)
    events = [impinj_r700_event(rng, code, n * 0.01, host)
              for n, code in enumerate(c for c in epcs for _ in range(repeats))]
    return json.dumps(events).encode()


def zebra(epcs: list[str], repeats: int = 3) -> bytes:
    rng = random.Random(2)
    events = [zebra_iot_event(rng, code, n * 0.01, n)
              for n, code in enumerate(c for c in epcs for _ in range(repeats))]
    return json.dumps(events).encode()


def post_rfid(url: str, token: str, vendor: str, body: bytes) -> dict:
    response = httpx.post(f"{url}/v1/rfid/{vendor}", content=body, timeout=60,
                          headers={"Authorization": f"Bearer {token}",
                                   "Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    return response.json()


def call(method: str, url: str, token: str, body: dict | None = None) -> dict:
    response = httpx.request(method, url, json=body, timeout=60,
                             headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()


def rfid_device(dsn: str, name: str, role: str, **options) -> tuple[int, str]:
    kind = {"count": "rfid_handheld", "pos_gate": "pos_gate"}.get(role, "rfid_fixed")
    return create_device(dsn, name=name, kind=kind, rfid_role=role, **options)


@pytest.fixture(scope="module")
def ingest(module_db):
    # window 0: the deduplicator lets every re-read through, so the writer's EPC gate is tested
    with IngestProcess(module_db, rfid_dedupe_window_s=0) as process:
        yield process


def test_vendor_payload_replayed_moves_stock_once(ingest, module_db):
    """An exit gate's Impinj and Zebra payloads, each replayed 5 times, sell each tag once."""
    _id, token = rfid_device(module_db, "S01-EXIT-1", "exit")
    product = 102
    epcs = [epc_of(product, 10_000 + n) for n in range(10)]
    before = on_hand(module_db, product, S01_STOCK)
    first = post_rfid(ingest.url, token, "impinj", impinj(epcs))
    assert (first["reads"], first["applied"], first["movement"]) == (30, 10, "sale"), first
    for _ in range(5):
        again = post_rfid(ingest.url, token, "impinj", impinj(epcs))
        assert again["applied"] == 0 and again["duplicate"] == 10, again
        again = post_rfid(ingest.url, token, "zebra", zebra(epcs))
        assert again["applied"] == 0, again
    assert on_hand(module_db, product, S01_STOCK) == before - 10
    events = query(module_db, "SELECT count(*) FROM rrs_event WHERE read_key LIKE %s",
                   (f"epc:{epcs[0][:20]}%",))[0][0]
    assert events == 10, "one sale event per EPC"
    states = query(module_db, "SELECT state, location_id FROM rrs_epc WHERE epc = ANY(%s)",
                   (epcs,))
    assert sorted(set(states)) == [("sold", CUSTOMERS)]


def test_neighbouring_gates_sell_a_tag_once(ingest, module_db):
    """Two POS gates seeing the same tags (and replays of both) sell each tag once."""
    _a, token_a = rfid_device(module_db, "S01-GATE-A", "pos_gate")
    _b, token_b = rfid_device(module_db, "S01-GATE-B", "pos_gate")
    product = 103
    epcs = [epc_of(product, 20_000 + n) for n in range(5)]
    before = on_hand(module_db, product, S01_STOCK)
    assert post_rfid(ingest.url, token_a, "impinj", impinj(epcs))["applied"] == 5
    second = post_rfid(ingest.url, token_b, "zebra", zebra(epcs))
    assert second["applied"] == 0 and second["duplicate"] == 5, second
    assert post_rfid(ingest.url, token_a, "zebra", zebra(epcs))["applied"] == 0
    assert on_hand(module_db, product, S01_STOCK) == before - 5
    wait_drained(module_db)  # the customers side moves with the done moves
    assert on_hand(module_db, product, S01_STOCK) == before - 5
    assert on_hand(module_db, product, CUSTOMERS) >= 5


def test_dock_receives_once_then_gate_sells(ingest, module_db):
    """A dock reader receives new tags once; later an exit gate sells them once."""
    _d, dock = rfid_device(module_db, "S01-DOCK", "dock")
    _g, gate = rfid_device(module_db, "S01-EXIT-2", "exit")
    product = 104
    epcs = [epc_of(product, 30_000 + n) for n in range(4)]
    before = on_hand(module_db, product, S01_STOCK)
    assert post_rfid(ingest.url, dock, "zebra", zebra(epcs))["applied"] == 4
    assert post_rfid(ingest.url, dock, "impinj", impinj(epcs))["applied"] == 0
    assert on_hand(module_db, product, S01_STOCK) == before + 4
    assert query(module_db, "SELECT DISTINCT state FROM rrs_epc WHERE epc = ANY(%s)",
                 (epcs,)) == [("received",)]
    assert post_rfid(ingest.url, gate, "impinj", impinj(epcs[:3]))["applied"] == 3
    assert post_rfid(ingest.url, dock, "impinj", impinj(epcs))["applied"] == 0, \
        "a sold tag seen at the dock again is not received again"
    assert on_hand(module_db, product, S01_STOCK) == before + 1


def test_unknown_tags_are_counted_per_device_not_stock(ingest, module_db):
    """Non-GS1 tags raise the device's unknown-tag count; foreign GTINs are quarantined."""
    device_id, token = rfid_device(module_db, "S01-EXIT-3", "exit")
    foreign = catalog.sgtin96(7, 1, prefix=catalog.FOREIGN_PREFIX)
    answer = post_rfid(ingest.url, token, "impinj", impinj([*NOT_GS1, foreign], repeats=2))
    assert answer["unknown_tags"] == 3 and answer["applied"] == 0, answer
    assert answer["rejected"] == 1, "a GS1 tag of no product is rejected, not sold"
    assert query(module_db, "SELECT unknown_tags FROM rrs_device WHERE id = %s",
                 (device_id,)) == [(3,)]
    assert query(module_db, "SELECT reason_code FROM rrs_quarantine WHERE device_id = %s",
                 (device_id,)) == [("unknown_product",)]


def _impinj_at(moments: dict[str, datetime]) -> bytes:
    """Impinj R700 events of these tags, each stamped with its own time."""
    rng = random.Random(3)
    events = []
    for code, moment in moments.items():
        event = impinj_r700_event(rng, code, 0.0, "clock-r700")
        stamp = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        event["timestamp"] = event["tagInventoryEvent"]["lastSeenTime"] = stamp
        events.append(event)
    return json.dumps(events).encode()


def test_reads_off_the_clock_are_quarantined_not_moved(ingest, module_db):
    """A dock reader's tags stamped an hour ahead or 40 days back are rejected with the
    scans' reason codes and quarantined; the well-timed tag of the same post is received,
    and a count reader still counts a tag whatever its reader's clock says."""
    device_id, token = rfid_device(module_db, "S01-DOCK-CLOCK", "dock", allowed=["receipt"])
    now = datetime.now(UTC)
    good, ahead, old = (epc_of(311, serial) for serial in (1, 2, 3))
    answer = post_rfid(ingest.url, token, "impinj", _impinj_at({
        good: now, ahead: now + timedelta(hours=1), old: now - timedelta(days=40)}))
    assert (answer["applied"], answer["rejected"]) == (1, 2), answer
    assert sorted(query(module_db, "SELECT reason_code, raw->>'epc' FROM rrs_quarantine "
                                   "WHERE device_id = %s", (device_id,))) == [
        ("ancient_timestamp", old), ("future_timestamp", ahead)]
    assert query(module_db, "SELECT epc, state FROM rrs_epc WHERE epc = ANY(%s) ORDER BY epc",
                 ([good, ahead, old],)) == [(good, "received")]
    _id, counter = rfid_device(module_db, "S01-HH-CLOCK", "count", allowed=["count"])
    call("POST", f"{ingest.url}/v1/count-sessions", counter, {"per_device": True})
    counted = post_rfid(ingest.url, counter, "impinj", _impinj_at({
        epc_of(311, 9): now + timedelta(hours=2)}))
    assert counted["counted"] == 1, counted


def test_count_without_session_is_refused_and_resend_is_not_lost(ingest, module_db):
    """A count reader without an open session gets 409; after opening, the resend counts."""
    _id, token = rfid_device(module_db, "S02-HH-9", "count", warehouse_id=3, location_id=S02_STOCK)
    body = impinj([epc_of(300, 1), epc_of(300, 2)])
    response = httpx.post(f"{ingest.url}/v1/rfid/impinj", content=body,
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 409, response.text
    session = call("POST", f"{ingest.url}/v1/count-sessions", token, {"per_device": True})
    answer = post_rfid(ingest.url, token, "impinj", body)
    assert (answer["session_id"], answer["counted"]) == (session["id"], 2), answer


def test_auto_apply_count_moves_quants_through_the_writer(ingest, module_db):
    """An auto-apply session sets on-hand to the count through count events, once."""
    # store S02: the other tests leave EPCs known in stock at S01, which a count there includes
    _id, token = rfid_device(module_db, "S02-HH-AUTO", "count", warehouse_id=3,
                             location_id=S02_STOCK)
    product = 110
    before = on_hand(module_db, product, S02_STOCK)
    counted = int(before) - 3 if before >= 3 else 7
    session = call("POST", f"{ingest.url}/v1/count-sessions", token,
                   {"auto_apply": True, "per_device": True})
    epcs = [epc_of(product, 40_000 + n) for n in range(counted)]
    assert post_rfid(ingest.url, token, "zebra", zebra(epcs))["counted"] == counted
    report = call("POST", f"{ingest.url}/v1/count-sessions/{session['id']}/close", token)
    assert report["state"] == "applied", report
    assert on_hand(module_db, product, S02_STOCK) == counted
    events = query(module_db, "SELECT operation, quantity FROM rrs_event WHERE read_key LIKE %s",
                   (f"count:{session['id']}:%",))
    assert [(op, float(qty)) for op, qty in events] == [("count", abs(before - counted))]
    again = call("POST", f"{ingest.url}/v1/count-sessions/{session['id']}/close", token)
    assert again["state"] == "applied"
    assert on_hand(module_db, product, S02_STOCK) == counted, "closing again moves nothing"


def test_mqtt_reads_reach_stock(module_db, broker):  # noqa: F811 - pytest fixture
    """A Zebra message on rtstock/zebra/<device>/data sells its tags, once."""
    import aiomqtt

    _id, _token = rfid_device(module_db, "S01-EXIT-MQTT", "exit")
    product = 120
    epcs = [epc_of(product, 50_000 + n) for n in range(3)]
    before = on_hand(module_db, product, S01_STOCK)
    with IngestProcess(module_db, mqtt_host="127.0.0.1", mqtt_port=broker.port):
        async def publish():
            async with aiomqtt.Client("127.0.0.1", broker.port) as client:
                for _ in range(3):
                    await client.publish("rtstock/zebra/S01-EXIT-MQTT/data", zebra(epcs), qos=1)

        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and on_hand(module_db, product, S01_STOCK) != before - 3:
            asyncio.run(publish())
            time.sleep(0.5)
    assert on_hand(module_db, product, S01_STOCK) == before - 3


def test_mqtt_exactly_once_across_an_ingest_kill(module_db, broker):  # noqa: F811 - fixture
    """60 messages of 20 tags published while the ingest commits; it is SIGKILLed with
    messages received but not committed, and started again (same client id): every tag
    is sold exactly once. (With paho's acknowledgement on receipt, the messages in the
    bridge's queue at the kill were lost.)"""
    import aiomqtt

    _id, _token = rfid_device(module_db, "S01-EXIT-MQTT-KILL", "exit")
    product = 122
    messages = [[epc_of(product, 70_000 + 20 * m + n) for n in range(20)] for m in range(60)]
    tags = [code for message in messages for code in message]
    before = on_hand(module_db, product, S01_STOCK)

    def sold() -> int:
        return query(module_db, "SELECT count(*) FROM rrs_epc WHERE epc = ANY(%s) "
                                "AND state = 'sold'", (tags,))[0][0]

    async def publish(bodies) -> None:
        async with aiomqtt.Client("127.0.0.1", broker.port) as client:
            for body in bodies:
                await client.publish("rtstock/zebra/S01-EXIT-MQTT-KILL/data", body, qos=1)

    port = free_port()
    options = {"mqtt_host": "127.0.0.1", "mqtt_port": broker.port}
    first = IngestProcess(module_db, port, **options).start()
    try:
        asyncio.run(publish([zebra(messages[0], repeats=1)]))  # the bridge's session exists
        deadline = time.monotonic() + 20
        while sold() < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        asyncio.run(publish([zebra(message, repeats=1) for message in messages[1:]]))
        while sold() < 40 and time.monotonic() < deadline:
            time.sleep(0.01)
        first.kill()  # mid-stream: messages received, acknowledged or not, some committed
    finally:
        first.stop()
    at_kill = sold()
    assert 0 < at_kill < len(tags), f"the kill came mid-stream ({at_kill} of {len(tags)})"
    with IngestProcess(module_db, port, **options):
        deadline = time.monotonic() + 60
        while sold() < len(tags) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)  # anything sent twice would be committed by now
    assert sold() == len(tags), f"{len(tags) - sold()} tags lost across the kill"
    assert on_hand(module_db, product, S01_STOCK) == before - len(tags), "each tag sold once"


# ------------------------------------------------------------------ genuine Odoo 18 database

QUANT_COLUMNS = ("id", "product_id", "location_id", "lot_id", "quantity", "reserved_quantity",
                 "inventory_quantity", "inventory_diff_quantity", "inventory_quantity_set",
                 "inventory_date", "user_id", "in_date", "company_id", "package_id", "owner_id")
COUNT_FIELDS = {"inventory_quantity", "inventory_diff_quantity", "inventory_quantity_set",
                "inventory_date", "user_id"}


def quants(dsn: str) -> dict[int, dict]:
    rows = query(dsn, f"SELECT {', '.join(QUANT_COLUMNS)} FROM stock_quant")
    return {row[0]: dict(zip(QUANT_COLUMNS, row, strict=True)) for row in rows}


def test_cycle_count_on_genuine_odoo_writes_exactly_the_discrepancies(real_addon_db):
    """A count with deliberate discrepancies writes exactly those into Odoo's count fields."""
    dsn = real_addon_db
    picked = query(dsn, """
        SELECT q.product_id, q.quantity FROM stock_quant q
          JOIN product_product p ON p.id = q.product_id
          JOIN product_template t ON t.id = p.product_tmpl_id
         WHERE q.location_id = %s AND q.lot_id IS NULL AND q.package_id IS NULL
           AND t.tracking = 'none' AND q.quantity BETWEEN 5 AND 200
           AND q.quantity = round(q.quantity) AND p.barcode LIKE '40123450%%'
           AND NOT coalesce(q.inventory_quantity_set, false)
         ORDER BY q.product_id LIMIT 5""", (S01_STOCK,))
    assert len(picked) == 5, picked
    (p0, q0), (p1, q1), (p2, q2), (p3, q3), (p4, q4) = [(p, int(q)) for p, q in picked]
    handheld_id, handheld = rfid_device(dsn, "S01-HH-1", "count")
    _g, gate = rfid_device(dsn, "S01-EXIT-G", "exit")
    _d, dock = rfid_device(dsn, "S01-DOCK-G", "dock")
    with IngestProcess(dsn) as ingest:
        sold = epc_of(p0, 0)
        assert post_rfid(ingest.url, gate, "impinj", impinj([sold]))["applied"] == 1
        received = [epc_of(p4, 900_000), epc_of(p4, 900_001)]
        assert post_rfid(ingest.url, dock, "zebra", zebra(received))["applied"] == 2
        session = call("POST", f"{ingest.url}/v1/count-sessions", handheld,
                       {"name": "S01 weekly RFID count"})
        assert session["state"] == "open" and session["location_id"] == S01_STOCK
        seen = ([epc_of(p0, s) for s in range(q0)]           # includes the sold tag: +1
                + [epc_of(p1, s) for s in range(q1)]         # exact
                + [epc_of(p2, s) for s in range(q2 - 2)]     # 2 missing
                + [epc_of(p3, s) for s in range(q3 + 3)]     # 3 extra
                + [epc_of(p4, s) for s in range(q4)] + received[:1])  # one received tag missing
        random.Random(3).shuffle(seen)
        half = len(seen) // 2
        post_rfid(ingest.url, handheld, "impinj", impinj(seen[:half] + NOT_GS1, repeats=4))
        post_rfid(ingest.url, handheld, "zebra", zebra(seen[half:], repeats=4))
        post_rfid(ingest.url, handheld, "zebra", zebra(seen, repeats=1))  # a second pass
        wait_drained(dsn)  # the gate's and dock's moves (and their virtual quants) are done
        before = quants(dsn)
        report = call("POST", f"{ingest.url}/v1/count-sessions/{session['id']}/close", handheld)
        replay = call("POST", f"{ingest.url}/v1/count-sessions/{session['id']}/close", handheld)
    after = quants(dsn)
    expected_counts = {p0: (q0 - 1, q0), p1: (q1, q1), p2: (q2, q2 - 2), p3: (q3, q3 + 3),
                       p4: (q4 + 2, q4 + 1)}
    lines = {line["product_id"]: (line["expected"], line["counted"]) for line in report["lines"]}
    assert lines == expected_counts, report["lines"]
    assert report["state"] == "closed" and replay["lines"] == report["lines"]
    assert report["missing_epcs"] == [received[1]]
    assert report["unexpected_epcs"] == [{"epc": sold, "why": "sold"}]
    low = sum(min(e, c) for e, c in expected_counts.values())
    high = sum(max(e, c) for e, c in expected_counts.values())
    assert report["accuracy_pct"] == round(100 * low / high, 2)
    assert report["epcs_counted"] == len(seen)
    assert query(dsn, "SELECT unknown_tags FROM rrs_device WHERE id = %s",
                 (handheld_id,)) == [(3,)]
    changed = {quant_id: {k for k in row if row[k] != before.get(quant_id, {}).get(k)}
               for quant_id, row in after.items() if row != before.get(quant_id)}
    by_product = {after[quant_id]["product_id"]: fields for quant_id, fields in changed.items()}
    assert set(by_product) == {p0, p2, p3, p4}, changed
    for product, fields in by_product.items():
        assert fields <= COUNT_FIELDS, (product, fields)
    today = datetime.now(UTC).date()
    for product, (expected, counted) in expected_counts.items():
        if expected == counted:
            continue
        (row,) = [r for r in after.values()
                  if r["product_id"] == product and r["location_id"] == S01_STOCK]
        assert float(row["inventory_quantity"]) == counted
        assert float(row["inventory_diff_quantity"]) == counted - float(row["quantity"])
        assert row["inventory_quantity_set"] is True
        assert row["inventory_date"] == today
        assert row["user_id"] == 1
        assert float(row["quantity"]) == expected, "the count is not applied: Odoo applies it"


def test_exit_gate_configured_for_shrink(module_db):
    """With rfid_exit_movement=shrink an exit read is an inventory loss, once."""
    _id, token = rfid_device(module_db, "S01-EXIT-SHRINK", "exit")
    product = 130
    epcs = [epc_of(product, 60_000 + n) for n in range(2)]
    before = on_hand(module_db, product, S01_STOCK)
    loss_before = on_hand(module_db, product, INVENTORY)
    with IngestProcess(module_db, rfid_exit_movement="shrink") as ingest:
        answer = post_rfid(ingest.url, token, "impinj", impinj(epcs))
        assert (answer["movement"], answer["applied"]) == ("shrink", 2), answer
        assert post_rfid(ingest.url, token, "zebra", zebra(epcs))["applied"] == 0
    assert on_hand(module_db, product, S01_STOCK) == before - 2
    assert on_hand(module_db, product, INVENTORY) == loss_before + 2
    assert query(module_db, "SELECT DISTINCT state FROM rrs_epc WHERE epc = ANY(%s)",
                 (epcs,)) == [("shrink",)]


def test_open_session_report_and_access(ingest, module_db):
    """An open session reports live; another store's device gets 403, a bad id 404."""
    _id, token = rfid_device(module_db, "S02-HH-REPORT", "count", warehouse_id=3,
                             location_id=S02_STOCK)
    _other, other = rfid_device(module_db, "S01-HH-OTHER", "count")
    session = call("POST", f"{ingest.url}/v1/count-sessions", token, {"per_device": True})
    post_rfid(ingest.url, token, "impinj", impinj([epc_of(140, n) for n in range(3)]))
    report = call("GET", f"{ingest.url}/v1/count-sessions/{session['id']}", token)
    assert report["state"] == "open" and report["epcs_counted"] == 3
    assert [line["counted"] for line in report["lines"] if line["product_id"] == 140] == [3]
    headers = {"Authorization": f"Bearer {other}"}
    assert httpx.get(f"{ingest.url}/v1/count-sessions/{session['id']}",
                     headers=headers).status_code == 403
    assert httpx.get(f"{ingest.url}/v1/count-sessions/999999",
                     headers=headers).status_code == 404
    assert httpx.post(f"{ingest.url}/v1/count-sessions", json={"location_id": S02_STOCK},
                      headers=headers).status_code == 403, "a location of another store"


def test_reader_without_movement_role_only_records_sightings(ingest, module_db):
    """A reader of role none updates last_seen of known EPCs and moves no stock."""
    device_id, token = rfid_device(module_db, "S01-AISLE-1", "none")
    _g, gate = rfid_device(module_db, "S01-EXIT-4", "exit")
    product = 150
    epcs = [epc_of(product, 70_000 + n) for n in range(2)]
    post_rfid(ingest.url, gate, "impinj", impinj(epcs[:1]))
    before = on_hand(module_db, product, S01_STOCK)
    answer = post_rfid(ingest.url, token, "zebra", zebra(epcs))
    assert answer["role"] == "none" and "applied" not in answer, answer
    assert on_hand(module_db, product, S01_STOCK) == before
    assert query(module_db, "SELECT epc, last_device_id FROM rrs_epc WHERE epc = ANY(%s)",
                 (epcs,)) == [(epcs[0], device_id)], "only known EPCs are touched"


def test_antenna_zones_dedupe_each_door_of_one_reader_apart(module_db):
    """One reader watching two doors (antennas 1-2 and 3, 4): a tag seen at both doors
    within the dedupe window is a sighting at each; seen twice at one door, one. An
    antenna in no group (5) is the reader's own zone; a reader without zones is one."""
    _z, zoned = rfid_device(module_db, "S01-DOORS-2", "none", rfid_antenna_zones="1-2;3,4")
    _w, whole = rfid_device(module_db, "S01-DOORS-1", "none")
    rng = random.Random(3)
    events = []
    for n, antenna in enumerate((1, 2, 3, 4, 5, 1)):
        event = impinj_r700_event(rng, epc_of(160, 71_000), n * 0.01, "r700")
        event["tagInventoryEvent"]["antennaPort"] = antenna
        events.append(event)
    body = json.dumps(events).encode()
    with IngestProcess(module_db) as process:  # the default dedupe window (30 s)
        assert post_rfid(process.url, whole, "impinj", body)["accepted"] == 1
        assert post_rfid(process.url, zoned, "impinj", body)["accepted"] == 3


def test_zebra_concatenated_body_in_http_chunks_sells_each_tag(ingest, module_db):
    """The IoT Connector's POST body as it sends it: JSON objects back to back with no
    separator, arriving in HTTP chunks that cut objects in half; every tag is sold once."""
    _id, token = rfid_device(module_db, "S01-EXIT-CHUNKED", "exit")
    product = 108
    epcs = [epc_of(product, 50_000 + n) for n in range(6)]
    rng = random.Random(5)
    body = b"".join(json.dumps(zebra_iot_event(rng, code, n * 0.01, n),
                               separators=(",", ":")).encode()
                    for n, code in enumerate(epcs))
    assert b"}{" in body
    before = on_hand(module_db, product, S01_STOCK)

    def chunks():
        for start in range(0, len(body), 97):  # 97 bytes: never on an object's boundary
            yield body[start:start + 97]

    response = httpx.post(f"{ingest.url}/v1/rfid/zebra", content=chunks(), timeout=60,
                          headers={"Authorization": f"Bearer {token}",
                                   "Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    assert response.json()["applied"] == 6, response.text
    assert on_hand(module_db, product, S01_STOCK) == before - 6


@pytest.mark.parametrize(("vendor", "body", "named"), [
    ("zebra", b"", "Zebra IoT Connector"),
    ("zebra", b'{"foo": 1}', "Zebra IoT Connector"),
    ("zebra", impinj([epc_of(110, 1)]), "Zebra IoT Connector"),  # the other vendor's body
    ("impinj", b"not json at all", "Impinj IoT device interface"),
    ("impinj", b"  \n", "Impinj IoT device interface"),
])
def test_a_body_that_is_not_the_vendors_format_is_a_400_naming_it(ingest, module_db, vendor,
                                                                   body, named):
    """Nothing in the body is the vendor's: 400 with what was expected, and nothing moves;
    a body with one bad event among good ones is still answered 200 (per-read errors)."""
    _id, token = rfid_device(module_db, f"S01-EXIT-FORMAT-{vendor}-{len(body)}", "exit")
    response = httpx.post(f"{ingest.url}/v1/rfid/{vendor}", content=body, timeout=60,
                          headers={"Authorization": f"Bearer {token}",
                                   "Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert named in response.json()["error"], response.text
    good = zebra([epc_of(110, 100 + len(body) + len(vendor))], repeats=1)[:-1] + b', {"foo": 1}]'
    answer = post_rfid(ingest.url, token, "zebra", good)
    assert (answer["applied"], answer["errors"]) == (1, 1)


def test_speedway_and_fx_connect_posts_sell_each_tag_once(ingest, module_db):
    """A Speedway Connect post (numbers) and the same tags in FX Connect's legacy post
    (strings) from a neighbouring gate: each tag is sold once."""
    _a, speedway = rfid_device(module_db, "S01-EXIT-SPEEDWAY", "exit")
    _b, fx = rfid_device(module_db, "S01-EXIT-FX", "exit")
    product = 112
    epcs = [epc_of(product, 60_000 + n) for n in range(3)]
    before = on_hand(module_db, product, S01_STOCK)
    now_us = int(time.time() * 1_000_000)  # read times are checked as the scans' are

    def post(strings: bool) -> bytes:
        reads = [{"epc": code, "antennaPort": 1, "peakRssi": -50,
                  "firstSeenTimestamp": now_us + n, "isHeartBeat": False}
                 for n, code in enumerate(epcs)]
        if strings:
            reads = [{key: str(value).lower() if isinstance(value, bool) else str(value)
                      for key, value in read.items()} for read in reads]
        return json.dumps({"reader_name": "gate", "mac_address": "00:16:25:00:00:01",
                           "tag_reads": reads}).encode()

    assert post_rfid(ingest.url, speedway, "speedway", post(False))["applied"] == 3
    assert post_rfid(ingest.url, fx, "speedway", post(True))["applied"] == 0
    assert on_hand(module_db, product, S01_STOCK) == before - 3


def test_edgex_llrp_inventory_arrivals_at_a_dock_are_received_once(ingest, module_db):
    """An AddEventRequest from EdgeX app-rfid-llrp-inventory (objectValue readings) posted
    for a dock: Arrived and Moved tags are received once, Departed moves nothing."""
    _id, token = rfid_device(module_db, "S01-DOCK-EDGEX", "dock")
    product = 114
    epcs = [epc_of(product, 80_000 + n) for n in range(3)]
    before = on_hand(module_db, product, S01_STOCK)
    now_ms = int(time.time() * 1000)

    def reading(kind: str, value: dict) -> dict:
        return {"resourceName": f"InventoryEvent{kind}", "valueType": "Object", "value": "",
                "deviceName": "app-rfid-llrp-inventory", "objectValue": value}

    readings = [reading("Arrived", {"epc": epcs[0].lower(), "tid": "",
                                    "timestamp": now_ms, "location": "Dock_1"}),
                reading("Arrived", {"epc": epcs[1].lower(), "tid": "",
                                    "timestamp": now_ms + 1, "location": "Dock_2"}),
                reading("Moved", {"epc": epcs[2].lower(), "tid": "",
                                  "timestamp": now_ms + 2, "old_location": "Dock_1",
                                  "new_location": "Dock_2"}),
                reading("Departed", {"epc": epcs[0].lower(), "tid": "",
                                     "timestamp": now_ms + 3, "last_read": 1,
                                     "last_known_location": "Dock_1"})]
    body = json.dumps({"apiVersion": "v3", "requestId": "r1", "event": {
        "apiVersion": "v3", "deviceName": "app-rfid-llrp-inventory", "readings": readings}})
    answer = post_rfid(ingest.url, token, "edgex", body.encode())
    assert (answer["applied"], answer["events"]) == (3, 1), answer
    assert post_rfid(ingest.url, token, "edgex", body.encode())["applied"] == 0
    assert on_hand(module_db, product, S01_STOCK) == before + 3


def test_alien_readers_pushing_text_over_tcp_sell_each_tag_once(module_db):
    """An Alien exit reader pushes notifications over a TCP connection, cut anywhere by
    the network: each tag is sold once, the re-read in the next notification and the
    same tags posted over HTTP change nothing; a reader of no device, and a count reader
    with no open session (HTTP's 409), move nothing and hold nothing up."""
    port = free_port()
    _id, token = rfid_device(module_db, "S01-EXIT-ALIEN", "exit")
    rfid_device(module_db, "S01-HH-ALIEN", "count", allowed=["count"])
    product = 116
    epcs = [epc_of(product, 90_000 + n) for n in range(4)]
    stray = epc_of(product, 91_000)
    before = on_hand(module_db, product, S01_STOCK)
    now = datetime.now(UTC)
    stream = (alien_notification("S01-HH-ALIEN", [stray], now)
              + alien_notification("S01-EXIT-ALIEN", epcs[:3], now)
              + alien_notification("NOT-A-DEVICE", [stray], now)
              + alien_notification("S01-EXIT-ALIEN", epcs[2:], now))
    with IngestProcess(module_db, alien_port=port) as process:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
            for start in range(0, len(stream), 97):  # the network cuts where it likes
                connection.sendall(stream[start:start + 97])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and on_hand(
                module_db, product, S01_STOCK) != before - len(epcs):
            time.sleep(0.2)
        assert on_hand(module_db, product, S01_STOCK) == before - len(epcs)
        again = post_rfid(process.url, token, "alien",
                          alien_notification("S01-EXIT-ALIEN", epcs, now))
        assert again["applied"] == 0, again  # repeats (dedupe) or sold already (EPC state)
        assert on_hand(module_db, product, S01_STOCK) == before - len(epcs)
        outcomes = {line.split('"')[1]: float(line.rsplit(" ", 1)[1])
                    for line in httpx.get(f"{process.url}/metrics").text.splitlines()
                    if line.startswith("rtstock_alien_messages_total{")}
        assert outcomes == {"committed": 2.0, "unknown_device": 1.0, "refused": 1.0}, outcomes
    assert query(module_db, "SELECT count(*) FROM rrs_epc WHERE epc = %s", (stray,)) == [(0,)]
    assert query(module_db, "SELECT state, count(*) FROM rrs_epc WHERE epc = ANY(%s) "
                            "GROUP BY state", (epcs,)) == [("sold", len(epcs))]


def test_quarantined_rfid_reads_replay_from_odoo_once(ingest, module_db):
    """A gate's tag of a GTIN no product had is quarantined; once a product has that
    GTIN and the row is marked for replay (Odoo's *Replay*), the tag is sold, once: a
    second replay is a duplicate. A tag still stamped in the future goes back to 'new'
    with that reason."""
    device_id, token = rfid_device(module_db, "S01-EXIT-REPLAY", "exit")
    unknown = catalog.sgtin96(9, 77, prefix=catalog.FOREIGN_PREFIX)
    ahead = epc_of(118, 77)
    now = datetime.now(UTC)
    answer = post_rfid(ingest.url, token, "impinj", _impinj_at({
        unknown: now, ahead: now + timedelta(hours=2)}))
    assert (answer["applied"], answer["rejected"]) == (0, 2), answer
    product = 117
    before = on_hand(module_db, product, S01_STOCK)
    gtin = epc_codec.decode(unknown).gtin
    query(module_db, "UPDATE product_product SET barcode = %s, write_date = now() "
                     "WHERE id = %s", (gtin[1:], product))
    time.sleep(1.5)  # the catalog refresh picks the new barcode up

    def replay() -> dict:
        query(module_db, "UPDATE rrs_quarantine SET state = 'replay' WHERE device_id = %s",
              (device_id,))
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and query(
                module_db, "SELECT count(*) FROM rrs_quarantine WHERE state = 'replay'")[0][0]:
            time.sleep(0.2)
        return {epc: (state, reason, bool(event)) for epc, state, reason, event in query(
            module_db, "SELECT raw->>'epc', state, reason_code, event_id FROM rrs_quarantine "
                       "WHERE device_id = %s", (device_id,))}

    assert replay() == {unknown: ("replayed", "unknown_product", True),
                        ahead: ("new", "future_timestamp", False)}
    assert on_hand(module_db, product, S01_STOCK) == before - 1
    assert query(module_db, "SELECT state FROM rrs_epc WHERE epc = %s", (unknown,)) == [
        ("sold",)]
    assert replay()[unknown] == ("replayed", "epc_state", True), "its event kept"
    assert on_hand(module_db, product, S01_STOCK) == before - 1, "a second replay moves nothing"


def test_alien_notification_is_retried_until_the_database_takes_it(module_db):
    """A notification whose commit fails (here: a constraint refusing one of its tags)
    is retried, in order, while nothing else is read from the connection; once the
    database takes it, its tags are sold once. Alien readers never resend."""
    port = free_port()
    rfid_device(module_db, "S01-EXIT-ALIEN-RETRY", "exit")
    product = 119
    blocked, other = epc_of(product, 95_000), epc_of(product, 95_001)
    before = on_hand(module_db, product, S01_STOCK)
    query(module_db, "ALTER TABLE rrs_epc ADD CONSTRAINT rrs_test_refuse "
                     "CHECK (epc <> %s) NOT VALID", (blocked,))
    try:
        with IngestProcess(module_db, alien_port=port, fail_on_fallback=False) as process:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
                connection.sendall(alien_notification("S01-EXIT-ALIEN-RETRY",
                                                      [blocked, other], datetime.now(UTC)))
                time.sleep(3)
                assert on_hand(module_db, product, S01_STOCK) == before, "not taken yet"
                query(module_db, "ALTER TABLE rrs_epc DROP CONSTRAINT rrs_test_refuse")
                deadline = time.monotonic() + 40
                while time.monotonic() < deadline and on_hand(
                        module_db, product, S01_STOCK) != before - 2:
                    time.sleep(0.3)
            assert on_hand(module_db, product, S01_STOCK) == before - 2
            metrics = httpx.get(f"{process.url}/metrics").text
            retried = [line for line in metrics.splitlines()
                       if line.startswith('rtstock_alien_messages_total{outcome="retried"}')]
            assert retried and float(retried[0].rsplit(" ", 1)[1]) >= 1, retried
    finally:
        query(module_db, "ALTER TABLE rrs_epc DROP CONSTRAINT IF EXISTS rrs_test_refuse")
