# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json

from odoo.exceptions import AccessError

from .common import RrsCommon


class TestLiveStock(RrsCommon):
    """Live stock: store access, bus channels, snapshot and ORM-side messages."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["stock.quant"]._update_available_quantity(
            cls.product, cls.store_s01.lot_stock_id, 10
        )

    def _channels_for(self, user, channels):
        # _build_bus_channel_list itself needs a websocket request (mail's guest
        # cookie): the filter it applies is tested directly.
        return self.env["ir.websocket"].with_user(user)._rrs_allowed_channels(list(channels))

    def test_channel_only_for_own_stores(self):
        """A store user is subscribed to their store's live stock channel only."""
        own, other = f"rrs_stock_{self.store_s01.id}", f"rrs_stock_{self.store_s02.id}"
        channels = self._channels_for(self.user_s01, [own, other, "rrs_stock_x"])
        self.assertIn(own, channels, "own store's channel should be kept")
        self.assertNotIn(other, channels, "another store's channel must be refused")
        self.assertIn("rrs_stock_x", channels, "names that are not store channels are left alone")
        self.assertIn(other, self._channels_for(self.manager, [other]), "managers see all")

    def test_stores_and_snapshot_access(self):
        """The store selector lists the user's stores; another store's snapshot is refused."""
        LiveStock = self.env["rrs.live.stock"].with_user(self.user_s01)
        self.assertEqual([s["id"] for s in LiveStock.get_stores()], [self.store_s01.id])
        snapshot = LiveStock.get_snapshot(self.store_s01.id)
        self.assertIn(
            [self.product.id, self.store_s01.lot_stock_id.id, None, 10.0],
            snapshot["quants"],
            "the snapshot should hold the store's quant",
        )
        self.assertIn(self.event_s01.id, [event["id"] for event in snapshot["events"]])
        with self.assertRaises(AccessError):
            LiveStock.get_snapshot(self.store_s02.id)

    def test_snapshot_search(self):
        """Searching filters the products of the snapshot."""
        LiveStock = self.env["rrs.live.stock"].with_user(self.user_s01)
        self.assertTrue(LiveStock.get_snapshot(self.store_s01.id, "RRS soap")["products"])
        self.assertFalse(LiveStock.get_snapshot(self.store_s01.id, "no such thing")["products"])

    def test_snapshot_pages_sorts_and_searches_any_number_of_products(self):
        """Paging, sorting and search run over every product of the store, not a capped
        set: 600 products, pages of 500 and of 80 by on hand, a search past the first
        500, and negative stock reported whatever page is shown."""
        Quant = self.env["stock.quant"]
        stock = self.store_s01.lot_stock_id
        products = self.env["product.product"].create(
            [{"name": f"RRS Paged {n:03d}", "is_storable": True} for n in range(600)]
        )
        for quantity, product in enumerate(products, start=1):
            Quant._update_available_quantity(product, stock, quantity)
        LiveStock = self.env["rrs.live.stock"].with_user(self.user_s01)
        first = LiveStock.get_snapshot(self.store_s01.id, "RRS Paged", 0, 500, "on_hand_desc")
        self.assertEqual(first["total"], 600)
        self.assertEqual(first["order"], products[100:].ids[::-1], "highest on hand first")
        self.assertEqual(set(first["products"]), set(products[100:].ids))
        last = LiveStock.get_snapshot(self.store_s01.id, "RRS Paged", 560, 80, "on_hand_desc")
        self.assertEqual(last["order"], products[:40].ids[::-1])
        self.assertEqual({row[0] for row in last["quants"]}, set(products[:40].ids))
        ascending = LiveStock.get_snapshot(self.store_s01.id, "RRS Paged", 0, 3, "on_hand_asc")
        self.assertEqual(ascending["order"], products[:3].ids)
        found = LiveStock.get_snapshot(self.store_s01.id, "RRS Paged 599")
        self.assertEqual(found["order"], [products[-1].id], "found beyond the first 500")
        self.assertIn([products[-1].id, stock.id, None, 600.0], found["quants"])
        Quant._update_available_quantity(products[0], stock, -5)
        page = LiveStock.get_snapshot(self.store_s01.id, "RRS Paged", 0, 10, "on_hand_desc")
        self.assertNotIn(products[0].id, page["order"])
        self.assertIn([products[0].id, stock.id, None, -4.0], page["negatives"])
        self.assertEqual(page["negative_products"][products[0].id], products[0].display_name)
        self.assertEqual(
            LiveStock.get_negatives(self.store_s01.id)["negatives"], page["negatives"]
        )

    def test_orm_move_sends_live_stock_message(self):
        """A done ORM move sends the new quantity on the store's channel, as the ingest does."""
        self.env["bus.bus"].search([]).unlink()
        move = self.env["stock.move"].create(
            {
                "name": "POS sale",
                "product_id": self.product.id,
                "product_uom": self.product.uom_id.id,
                "product_uom_qty": 4,
                "location_id": self.store_s01.lot_stock_id.id,
                "location_dest_id": self.customer_location.id,
            }
        )
        move._action_confirm()
        move._action_assign()
        move.picked = True
        move._action_done()
        self.env.cr.precommit.run()
        messages = self.env["bus.bus"].search(
            [
                (
                    "channel",
                    "=",
                    json.dumps(
                        [self.env.cr.dbname, f"rrs_stock_{self.store_s01.id}"],
                        separators=(",", ":"),
                    ),
                )
            ]
        )
        self.assertEqual(len(messages), 1, "one message for the store")
        body = json.loads(messages.message)
        self.assertEqual(body["type"], "rrs_stock/quants")
        self.assertEqual(
            body["payload"],
            {
                "warehouse_id": self.store_s01.id,
                "quants": [[self.product.id, self.store_s01.lot_stock_id.id, None, 6.0]],
            },
        )
