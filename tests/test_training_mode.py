"""Training mode: a device in training has its reads checked, logged and shown, and the
stock never changes (``docs/decisions/training-mode.md``)."""

from __future__ import annotations

import json
import time

import pytest

from ingest_core.commit.journal import wait_drained
from ingest_core.odoo.catalog import ean13
from tests.support.ingest import IngestProcess, create_device, on_hand, post, query
from tests.test_rfid_ingest import call, epc_of, impinj, post_rfid, rfid_device

S01_STOCK, S02_STOCK, CUSTOMERS, VENDORS = 18, 24, 5, 4


@pytest.fixture(scope="module")
def ingest(module_db):
    with IngestProcess(module_db, rfid_dedupe_window_s=0) as process:
        yield process


def _stock_rows(dsn: str) -> tuple:
    """Everything a read could change: quants, events, the journal's queue, EPC states,
    lots and Odoo counts (after the journal caught up with the reads before)."""
    wait_drained(dsn, 30)
    return tuple(query(dsn, statement)[0][0] for statement in (
        "SELECT coalesce(sum(quantity), 0) FROM stock_quant",
        "SELECT count(*) FROM rrs_event",
        "SELECT count(*) FROM rrs_event_batch",
        "SELECT count(*) FROM rrs_epc",
        "SELECT count(*) FROM stock_lot",
        "SELECT count(*) FROM stock_quant WHERE inventory_quantity_set"))


def test_a_training_scanner_is_checked_and_logged_never_applied(ingest, module_db):
    """Sales and receipts of a scanner in training are answered ``training``, logged with
    what they would have moved and shown on the store's channel; bad reads are still
    rejected; nothing of the stock changes; a resend is a duplicate; the live scanner
    beside it applies as before."""
    _id, token = create_device(module_db, name="S01-TRAIN-1", training=True)
    _live, live_token = create_device(module_db, name="S01-LIVE-1")
    before, stock = on_hand(module_db, 12, S01_STOCK), _stock_rows(module_db)
    reads = [{"key": "t-1", "code": ean13(10), "op": "sale", "qty": 2},
             {"key": "t-2", "code": ean13(10), "op": "receipt", "qty": 5},
             {"key": "t-3", "code": "4012345000010", "op": "sale"},  # bad check digit
             {"key": "t-4", "code": ean13(10), "op": "count", "qty": 7}]
    answer = post(ingest.url, token, reads)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [r["status"] for r in body["results"]] == [
        "training", "training", "rejected", "training"], body
    assert (body["training"], body["applied"], body["rejected"]) == (3, 0, 1)
    assert body["results"][2]["reason_code"] == "bad_check_digit"
    assert _stock_rows(module_db) == stock, "a training read changes no stock row"
    logged = query(module_db, "SELECT read_key, operation, quantity, location_id, "
                              "location_dest_id FROM rrs_training_read WHERE device_id = %s "
                              "ORDER BY read_key", (_id,))
    assert [(k, op, float(q), src, dst) for k, op, q, src, dst in logged] == [
        ("t-1", "sale", 2.0, S01_STOCK, CUSTOMERS), ("t-2", "receipt", 5.0, VENDORS, S01_STOCK),
        ("t-4", "count", 7.0, S01_STOCK, S01_STOCK)]
    assert query(module_db, "SELECT count(*) FROM rrs_quarantine WHERE device_id = %s",
                 (_id,))[0][0] == 1, "a bad read of a trainee is quarantined like any"
    messages = [json.loads(message) for (message,) in query(
        module_db, "SELECT message FROM bus_bus WHERE message::jsonb->>'type' = "
                   "'rrs_stock/training'")]
    shown = [read for message in messages for read in message["payload"]["reads"]]
    assert [_id, 12, "sale", 2.0, S01_STOCK] in shown, shown
    again = post(ingest.url, token, reads).json()
    assert [r["status"] for r in again["results"]] == [
        "duplicate", "duplicate", "rejected", "duplicate"], again
    live = post(ingest.url, live_token, [{"key": "t-1", "code": ean13(10), "op": "sale"}])
    assert live.json()["applied"] == 1, "the same key from a working device applies"
    assert on_hand(module_db, 12, S01_STOCK) == before - 1


def test_a_training_exit_gate_moves_no_tag(ingest, module_db):
    """An exit gate in training: tags answered ``training``, no EPC changes state, and the
    same tags through the working gate are sold."""
    _id, token = rfid_device(module_db, "S01-EXIT-TRAIN", "exit", training=True)
    _live, live_token = rfid_device(module_db, "S01-EXIT-LIVE", "exit")
    product = 140
    epcs = [epc_of(product, 70_000 + n) for n in range(4)]
    before = on_hand(module_db, product, S01_STOCK)
    first = post_rfid(ingest.url, token, "impinj", impinj(epcs))
    assert (first["training"], first["applied"]) == (4, 0), first
    assert query(module_db, "SELECT count(*) FROM rrs_epc WHERE epc = ANY(%s)", (epcs,)) == [(0,)]
    assert on_hand(module_db, product, S01_STOCK) == before
    sold = post_rfid(ingest.url, live_token, "impinj", impinj(epcs))
    assert sold["applied"] == 4, sold
    assert on_hand(module_db, product, S01_STOCK) == before - 4


def test_a_training_count_is_compared_never_applied(ingest, module_db):
    """A handheld in training counts in a training session of its own (never the store's
    shared one), even when it asks for auto-apply: the close compares, writes no Odoo
    count and registers no EPC, and the session stays ``closed``."""
    _shared_device, shared_token = rfid_device(module_db, "S02-HH-LIVE", "count",
                                               warehouse_id=3, location_id=S02_STOCK)
    shared = call("POST", f"{ingest.url}/v1/count-sessions", shared_token, {})
    _id, token = rfid_device(module_db, "S02-HH-TRAIN", "count", warehouse_id=3,
                             location_id=S02_STOCK, training=True)
    stock = _stock_rows(module_db)
    session = call("POST", f"{ingest.url}/v1/count-sessions", token, {"auto_apply": True})
    assert (session["training"], session["auto_apply"], session["device_id"]) == (
        True, False, _id), session
    epcs = [epc_of(150, 80_000 + n) for n in range(5)]
    answer = post_rfid(ingest.url, token, "impinj", impinj(epcs))
    assert (answer["session_id"], answer["counted"]) == (session["id"], 5), answer
    assert query(module_db, "SELECT count(*) FROM rrs_count_epc WHERE session_id = %s",
                 (shared["id"],)) == [(0,)], "the store's session got no training tag"
    report = call("POST", f"{ingest.url}/v1/count-sessions/{session['id']}/close", token)
    assert report["state"] == "closed" and report["training"], report
    counted = {line["product_id"]: line["counted"] for line in report["lines"]}
    assert counted[150] == 5, report["lines"]
    assert _stock_rows(module_db) == stock, "no quant, event, EPC or Odoo count changed"


def _status_within(url: str, token: str, wanted: str, prefix: str) -> int:
    """Post a fresh sale every 0.2 s until it is answered ``wanted`` (10 s at most): the
    reads posted before the change was seen; fails when it never is."""
    for attempt in range(50):
        answer = post(url, token, [{"key": f"{prefix}-{attempt}", "code": ean13(20),
                                    "op": "sale"}]).json()
        if answer["results"][0]["status"] == wanted:
            return attempt
        time.sleep(0.2)
    raise AssertionError(f"no read was answered {wanted!r} within 10 s")


def test_a_device_put_in_training_stops_applying_at_once(ingest, module_db):
    """The flag is read like the rest of a device (the reference data's poll, twice a
    second): set in Odoo, the device's next reads are training reads; cleared, they apply
    again."""
    _id, token = create_device(module_db, name="S01-FLIP")
    assert _status_within(ingest.url, token, "applied", "f-a") == 0
    query(module_db, "UPDATE rrs_device SET training = true, write_date = now() "
                     "WHERE id = %s", (_id,))
    _status_within(ingest.url, token, "training", "f-b")
    query(module_db, "UPDATE rrs_device SET training = false, write_date = now() "
                     "WHERE id = %s", (_id,))
    _status_within(ingest.url, token, "applied", "f-c")
