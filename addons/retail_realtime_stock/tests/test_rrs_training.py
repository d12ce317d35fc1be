# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.exceptions import UserError

from .common import RrsCommon


class TestRrsTraining(RrsCommon):
    """Training mode in Odoo: the store's flag reaches its devices, a training count is
    never applied, the live screen names the devices in training, store users see their
    stores' training reads only."""

    def test_store_flag_puts_its_devices_in_training_and_back(self):
        """Ticking Training store puts every device of the store in training (a device of
        another store stays at work); unticking puts them back."""
        other = self._create_device("S02 scanner", self.store_s02)
        self.store_s01.rrs_training = True
        self.assertTrue(self.device_s01.training)
        self.assertFalse(other.training)
        added = self._create_device("S01 new scanner", self.store_s01)
        self.assertTrue(added.training, "a device added to a training store trains")
        self.store_s01.rrs_training = False
        self.assertFalse(self.device_s01.training)
        self.device_s01.training = True
        self.assertTrue(self.device_s01.training, "one device can train on its own")

    def test_a_training_count_compares_and_is_never_applied(self):
        """Stop compares the tags with the stock but writes no Odoo count; Apply refuses,
        even with Apply at once."""
        location = self.store_s01.lot_stock_id
        self.env["stock.quant"]._update_available_quantity(self.product, location, 3)
        reader = self._create_device("S01 handheld", self.store_s01, kind="rfid_handheld")
        reader.training = True
        session = self.env["rrs.count.session"].create(
            {
                "name": "practice",
                "warehouse_id": self.store_s01.id,
                "device_id": reader.id,
                "auto_apply": True,
            }
        )
        self.assertTrue(session.training)
        self.env["rrs.count.epc"].create(
            [
                {
                    "session_id": session.id,
                    "epc": f"3034257BF400B7800000010{i}",
                    "product_id": self.product.id,
                }
                for i in range(5)
            ]
        )
        session.action_stop()
        self.assertEqual(session.state, "closed", "stopped, not applied")
        line = session.line_ids.filtered(lambda line: line.product_id == self.product)
        self.assertEqual((line.expected, line.counted), (3.0, 5.0))
        quant = self.env["stock.quant"].search(
            [("product_id", "=", self.product.id), ("location_id", "=", location.id)]
        )
        self.assertFalse(quant.inventory_quantity_set, "no Odoo count written")
        with self.assertRaisesRegex(UserError, "practice"):
            session.action_apply()
        self.assertEqual(quant.quantity, 3.0)

    def test_live_screen_names_the_devices_in_training(self):
        self.device_s01.training = True
        snapshot = self.env["rrs.live.stock"].get_snapshot(self.store_s01.id)
        self.assertEqual(snapshot["training_devices"], [self.device_s01.name])
        other = self.env["rrs.live.stock"].get_snapshot(self.store_s02.id)
        self.assertEqual(other["training_devices"], [])

    def test_store_users_see_their_stores_training_reads_only(self):
        """Training reads follow the event log's rule: a store user reads their stores'."""
        other = self._create_device("S02 trainee scanner", self.store_s02)
        reads = self.env["rrs.training.read"]
        for device in (self.device_s01, other):
            self.env.cr.execute(
                """INSERT INTO rrs_training_read (device_id, read_key, operation,
                       product_id, quantity, location_id, location_dest_id, warehouse_id,
                       company_id)
                   VALUES (%s, 'k-1', 'sale', %s, 1, %s, %s, %s, %s)""",
                [
                    device.id,
                    self.product.id,
                    device.location_id.id,
                    self.env.ref("stock.stock_location_customers").id,
                    device.warehouse_id.id,
                    device.company_id.id,
                ],
            )
        seen = reads.with_user(self.user_s01).search([])
        self.assertEqual(seen.device_id, self.device_s01)
