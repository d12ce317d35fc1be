# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from unittest.mock import patch

from odoo import api
from odoo.tests import HttpCase, tagged

#: Tags of the product the count tour's handheld reads (the shelf holds 3, the records 5).
HANDHELD_TAGS = ("3034257BF400B7800004CB2F", "3034257BF400B7800004CB30", "3034257BF400B7800004CB31")


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
        cls.product = cls.env["product.product"].create(
            {"name": "RRS Guided Candle", "is_storable": True, "barcode": "4012345000023"}
        )
        cls.env["stock.quant"]._update_available_quantity(
            cls.product, cls.warehouse.lot_stock_id, 5
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

    def test_count_tour(self):
        """The count tour opens a count, the handheld reads 3 of the 5 units on record,
        and the tour stops, compares and applies it: the stock becomes 3."""
        product = self.product

        @api.model
        def rrs_test_handheld_reads(model):
            # What the ingest writes for a handheld's tags in the open count.
            session = model.search([("state", "=", "open")], order="id desc", limit=1)
            model.env["rrs.count.epc"].sudo().create(
                [
                    {"session_id": session.id, "epc": epc, "product_id": product.id}
                    for epc in HANDHELD_TAGS
                ]
            )
            return session.id

        with patch.object(
            type(self.env["rrs.count.session"]),
            "rrs_test_handheld_reads",
            rrs_test_handheld_reads,
            create=True,
        ):
            self.start_tour(
                "/web#action=retail_realtime_stock.rrs_count_session_action",
                "rrs_tour_count",
                login="admin",
            )
        session = self.env["rrs.count.session"].search(
            [("warehouse_id", "=", self.warehouse.id)], order="id desc", limit=1
        )
        self.assertEqual(session.state, "applied", "the tour should apply the count")
        self.assertEqual(session.line_ids.mapped("counted"), [3.0])
        self.assertEqual(
            product.with_context(location=self.warehouse.lot_stock_id.id).qty_available, 3.0
        )

    def test_tours_are_not_onboarding(self):
        """The staff tours do not join the administrator's onboarding."""
        tours = self.env["web_tour.tour"].search([("name", "like", "rrs_tour_")])
        self.assertEqual(len(tours), 6)
        self.assertTrue(all(tours.mapped("custom")), "started from the menu only")
