# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestGuidedTours(HttpCase):
    """The guided tours for store staff run to the end on a real screen."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.warehouse = cls.env["stock.warehouse"].create(
            {"name": "RRS Guided Store", "code": "RGS"}
        )
        device = cls.env["rrs.device"].create(
            {"name": "RGS checkout scanner", "warehouse_id": cls.warehouse.id}
        )
        cls.env["rrs.quarantine"].create(
            {
                "device_id": device.id,
                "read_key": "RGS-SCN-1:000001",
                "raw": {"key": "RGS-SCN-1:000001", "code": "4012345000001", "op": "sale"},
                "reason_code": "bad_check_digit",
                "reason": "GTIN check digit is 9, not 1",
            }
        )

    def test_device_setup_tour(self):
        """The device set-up tour registers a device and generates its token."""
        self.start_tour(
            "/web#action=retail_realtime_stock.rrs_device_action",
            "rrs_tour_device_setup",
            login="admin",
        )
        device = self.env["rrs.device"].search([("name", "=", "Tour checkout scanner")])
        self.assertTrue(device, "the tour should have created the device")
        self.assertTrue(device.token_hint, "the tour should have generated a token")

    def test_quarantine_tour(self):
        """The quarantine tour opens a refused read."""
        self.start_tour(
            "/web#action=retail_realtime_stock.rrs_quarantine_action",
            "rrs_tour_quarantine",
            login="admin",
        )

    def test_live_stock_tour(self):
        """The live stock tour walks through the dashboard."""
        self.start_tour(
            "/web#action=retail_realtime_stock.rrs_live_stock_action",
            "rrs_tour_live_stock",
            login="admin",
        )

    def test_tours_are_not_onboarding(self):
        """The staff tours do not join the administrator's onboarding."""
        tours = self.env["web_tour.tour"].search([("name", "like", "rrs_tour_")])
        self.assertEqual(len(tours), 4)
        self.assertTrue(all(tours.mapped("custom")), "started from the menu only")
