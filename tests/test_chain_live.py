"""Odoo itself takes a generated chain: its stores open and move stock through the ORM.

``rtstock chain generate`` copies a store Odoo's ORM made (the equivalence
test's S01, created with ``stock.warehouse.create`` on the live harness). In
``odoo-bin shell`` the generated stores are read whole (every field of the
warehouse, its locations and picking types, as the forms do), a receipt and a
delivery are validated on one of them through Odoo's own ``button_validate``,
numbered from the store's own sequences, and the store's on-hand follows.

Caveats: without the live-Odoo variables the test is skipped, loudly
(``docs/live-odoo.md``).
"""

from __future__ import annotations

import os

import psycopg2
import pytest

from ingest_core.bench.odoo_live import LiveOdoo
from ingest_core.chain.generate import ChainSpec, generate
from tests.support.live_odoo import live_odoo_or_skip
from tests.test_equivalence_live import build_chain_database

pytestmark = pytest.mark.live_odoo

STORES = 3

ORM_CODE = r'''
stores = env["stock.warehouse"].search([("code", "=like", "C0%")], order="code")
for store in stores:
    store.read()
    store.view_location_id.child_ids.read()
    env["stock.picking.type"].search([("warehouse_id", "=", store.id)]).read()
    env["stock.route"].search([("warehouse_ids", "in", store.ids)]).read()
store = stores[1]
product = env["product.product"].search([("default_code", "=", "CH00001")])
def on_hand():
    return product.with_context(warehouse_id=store.id).qty_available
def move(picking_type, source, destination, quantity):
    picking = env["stock.picking"].create({
        "picking_type_id": picking_type.id, "location_id": source.id,
        "location_dest_id": destination.id,
        "move_ids": [(0, 0, {"name": product.name, "product_id": product.id,
                              "product_uom_qty": quantity, "product_uom": product.uom_id.id,
                              "location_id": source.id, "location_dest_id": destination.id})]})
    picking.action_confirm()
    picking.action_assign()
    picking.move_ids.quantity = quantity
    picking.button_validate()
    return picking
opening = on_hand()
receipt = move(store.in_type_id, store.in_type_id.default_location_src_id, store.lot_stock_id, 5)
delivery = move(store.out_type_id, store.lot_stock_id,
                store.out_type_id.default_location_dest_id, 2)
print(RESULT_MARKER + json.dumps({
    "codes": stores.mapped("code"), "names": stores.mapped("name"),
    "types": len(env["stock.picking.type"].with_context(active_test=False).search(
        [("warehouse_id", "in", stores.ids)])),
    "receipt": [receipt.name, receipt.state], "delivery": [delivery.name, delivery.state],
    "opening": opening, "after": on_hand()}))
'''


@pytest.fixture(scope="module")
def live() -> LiveOdoo:
    return live_odoo_or_skip("CHAIN TEST")


def test_odoo_opens_generated_stores_and_moves_their_stock(live):
    name = f"rrs_chain_{os.getpid()}"
    try:
        build_chain_database(live, name)
        connection = psycopg2.connect(live.db_dsn(name))
        try:
            made = generate(connection, ChainSpec(stores=STORES, skus=20))
        finally:
            connection.close()
        result = live.shell(name, ORM_CODE)
    finally:
        live.drop_db(name)
    assert made["stores"] == STORES
    assert result["codes"] == ["C001", "C002", "C003"]
    assert result["names"] == ["Chain store C001", "Chain store C002", "Chain store C003"]
    assert result["types"] == 9 * STORES
    assert result["receipt"] == ["C002/IN/00001", "done"]
    assert result["delivery"] == ["C002/OUT/00001", "done"]
    assert result["after"] == result["opening"] + 5 - 2 and result["opening"] > 0
