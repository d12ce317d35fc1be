"""The EPCIS buttons of Odoo's forms against the real ingest, on a live Odoo 18.

What it is: the add-on's product, move and RFID tag buttons
(``action_rrs_epcis_events``) run in ``odoo-bin shell`` on a database where
the add-on is installed and stock moved three ways: Odoo's own inventory
adjustment, barcode scans and RFID dock and exit-gate reads through the fast
path (``rtstock serve``). Each button asks the ingest running on that database,
as the back-office partner Odoo makes for itself; what the wizard shows must be
exactly the events ``rtstock epcis export`` writes for that product, move or tag.

How it works: the live Odoo comes from the environment (``docs/live-odoo.md``);
the chain (two stores, products with GTINs, opening stock) is the equivalence
test's. The ingest's address reaches Odoo through the system parameter
``retail_realtime_stock.ingest_url``.

Caveats: without the live-Odoo variables every test here is skipped, loudly.
"""

from __future__ import annotations

import io
import json
import os
import random
from datetime import UTC, datetime, timedelta

import pytest

from ingest_core.bench import odoo_chain
from ingest_core.bench.odoo_live import LiveOdoo
from ingest_core.commit.journal import wait_drained
from ingest_core.decode import epc as epc_codec
from ingest_core.epcis.export import export
from tests.support.ingest import IngestProcess, query
from tests.support.live_odoo import live_odoo_or_skip
from tests.test_epcis import _impinj_now
from tests.test_equivalence_live import apply_through_fast_path, build_chain_database
from tests.test_rfid_ingest import post_rfid, rfid_device

pytestmark = pytest.mark.live_odoo

BUTTONS = r'''
params = json.loads(PARAMS)
def shown(action):
    wizard = env["rrs.epcis.event.wizard"].browse(action["res_id"])
    ids = [line.event_id for line in wizard.line_ids]
    while wizard.next_page_token:
        wizard.action_next_page()
        ids += [line.event_id for line in wizard.line_ids]
    return ids
result = {
    "product": shown(env["product.product"].browse(params["product"])
                     .action_rrs_epcis_events()),
    "moves": {str(move): shown(env["stock.move"].browse(move).action_rrs_epcis_events())
              for move in params["moves"]},
    "tag": shown(env["rrs.epc"].search([("epc", "=", params["tag"])])
                 .action_rrs_epcis_events()),
}
print(RESULT_MARKER + json.dumps(result))
'''


@pytest.fixture(scope="module")
def live() -> LiveOdoo:
    return live_odoo_or_skip("EPCIS FORMS TEST")


def _sgtin(barcode: str, serial: int) -> str:
    """The SGTIN-96 of one unit of a GTIN-13 of company prefix 4012345."""
    return epc_codec.encode_sgtin96(barcode[:7], f"0{barcode[7:12]}", serial)


@pytest.fixture(scope="module")
def stocked(live: LiveOdoo):
    """The chain with the add-on, stock moved by Odoo, scans and RFID; dropped after."""
    name = f"rrs_epcis_forms_{os.getpid()}"
    try:
        since = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=2)
        chain = build_chain_database(live, name)
        dsn = live.db_dsn(name)
        apply_through_fast_path(dsn, chain, odoo_chain.generate_movements(
            chain, count=60, chunk_size=30, seed=random.randrange(1 << 20)))
        product = next(p for p in chain["products"] if not p["lots"])
        store = chain["warehouses"]["S01"]
        tags = [_sgtin(product["barcode"], 7000 + n) for n in range(3)]
        with IngestProcess(dsn) as ingest:
            _, dock = rfid_device(dsn, "forms-dock", "dock", allowed=["receipt"],
                                  warehouse_id=store["id"], location_id=store["stock"])
            _, gate = rfid_device(dsn, "forms-gate", "exit", allowed=["sale"],
                                  warehouse_id=store["id"], location_id=store["stock"])
            post_rfid(ingest.url, dock, "impinj", _impinj_now(tags))
            post_rfid(ingest.url, gate, "impinj", _impinj_now(tags[:1]))
            wait_drained(dsn, 60)
            until = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=2)
            query(dsn, "UPDATE ir_config_parameter SET value = %s WHERE key = "
                       "'retail_realtime_stock.ingest_url'", (ingest.url,))
            yield live, name, dsn, product, tags[0], since, until
    finally:
        live.drop_db(name)


def _exported(dsn: str, since: datetime, until: datetime) -> list[dict]:
    buffer = io.BytesIO()
    export(dsn, since, until, buffer, "jsonld")
    return json.loads(buffer.getvalue())["epcisBody"]["eventList"]


def test_forms_show_the_exported_events_of_their_product_move_and_tag(stocked):
    """Product: the export's events of the product (scans, RFID, Odoo's own moves);
    each done move: events of its product, all in the export, together every event of
    those moves' movements; tag: the events that list its EPC."""
    live, name, dsn, product, tag, since, until = stocked
    moves = [move for (move,) in query(
        dsn, "SELECT id FROM stock_move WHERE state = 'done' AND product_id = %s "
             "ORDER BY id", (product["id"],))]
    assert len(moves) >= 3, "the product moved by Odoo, scans and RFID"
    params = json.dumps({"product": product["id"], "moves": moves, "tag": tag})
    shown = live.shell(name, f"PARAMS = {json.dumps(params)}\n" + BUTTONS)
    gtin = product["barcode"].zfill(14)
    exported = _exported(dsn, since - timedelta(days=1), until)
    of_product = [e["eventID"] for e in exported
                  if any(gtin in uri for uri in _identifiers(e))]
    assert of_product, "the export holds the product's events"
    assert sorted(shown["product"]) == sorted(of_product)
    by_moves = [event for ids in shown["moves"].values() for event in ids]
    assert all(shown["moves"].values()), "every done move has its events"
    assert set(by_moves) <= set(of_product)
    movements = {e["eventID"] for e in exported
                 if any(gtin in uri for uri in _identifiers(e))
                 and not (e["bizStep"] == "cycle_counting" and e["epcList"])}
    assert set(by_moves) == movements, "the moves' events are the product's movements"
    urn = epc_codec.decode(tag).uri
    assert sorted(shown["tag"]) == sorted(e["eventID"] for e in exported
                                          if urn in e["epcList"])
    assert len(shown["tag"]) == 2, "received at the dock, sold at the gate"


def _identifiers(event: dict) -> list[str]:
    return [*(epc_codec.decode(u).gtin or "" for u in event["epcList"]),
            *(q["epcClass"] for q in event.get("quantityList", ()))]
