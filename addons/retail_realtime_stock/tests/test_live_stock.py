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
