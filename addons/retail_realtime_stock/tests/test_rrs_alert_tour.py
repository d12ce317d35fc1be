# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import HttpCase, new_test_user, tagged

from .common import create_resupplied_store, create_threshold_orderpoint, set_quant_quantity


@tagged("post_install", "-at_install")
class TestRrsAlertTour(HttpCase):
    """The store manager's alert tour: an alert arrives, it opens, its transfer shows."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        dc = cls.env["stock.warehouse"].create({"name": "RRS Tour DC", "code": "RTDC"})
        cls.store = create_resupplied_store(cls.env, "RRS Tour Store", "RTST", dc)
        cls.product = cls.env["product.product"].create(
            {"name": "RRS tour conditioner", "is_storable": True}
        )
        quants = cls.env["stock.quant"]
        quants._update_available_quantity(cls.product, dc.lot_stock_id, 50.0)
        quants._update_available_quantity(cls.product, cls.store.lot_stock_id, 10.0)
        create_threshold_orderpoint(cls.env, cls.product, cls.store)
        cls.store_manager = new_test_user(
            cls.env,
            login="rrs_tour_store_manager",
            groups="base.group_user,retail_realtime_stock.group_rrs_user",
        )
        cls.store_manager.rrs_warehouse_ids = [(6, 0, cls.store.ids)]
        # A device read takes the shelf below its min; the alert job runs.
        set_quant_quantity(cls.env, cls.product, cls.store.lot_stock_id, 3.0)
        cls.env["rrs.alert"]._cron_alert_actions()

    def test_alert_tour(self):
        """The tour opens the alert from the counter and its transfer to the store."""
        alert = self.env["rrs.alert"].search([("product_id", "=", self.product.id)])
        self.assertEqual(len(alert.picking_ids), 1, "the alert has its transfer")
        self.start_tour(
            "/web#action=retail_realtime_stock.rrs_alert_action",
            "rrs_tour_alert",
            login="rrs_tour_store_manager",
        )
