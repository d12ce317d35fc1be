# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import HttpCase, tagged

from .live_stock_common import LiveStockTourMixin


@tagged("post_install", "-at_install")
class TestLiveStockTour(LiveStockTourMixin, HttpCase):
    """The back-office Live stock action follows the store's bus channel."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.warehouse = cls.env["stock.warehouse"].create({"name": "RRS Tour Store", "code": "RTS"})
        cls.product = cls.env["product.product"].create(
            {"name": "RRS Live Soap", "barcode": "4012345000016", "is_storable": True}
        )
        cls.env["stock.quant"]._update_available_quantity(
            cls.product, cls.warehouse.lot_stock_id, 10
        )
        shampoo = cls.env["product.product"].create(
            {"name": "RRS Live Shampoo", "is_storable": True}
        )
        cls.env["stock.quant"]._update_available_quantity(
            shampoo, cls.warehouse.lot_stock_id, 50
        )
        cls.device = cls.env["rrs.device"].create(
            {"name": "RTS checkout scanner", "warehouse_id": cls.warehouse.id}
        )
        cls._start_live_stock_patchers(cls.device, cls.product, 3)

    def test_dashboard_quantity_follows_fast_path(self):
        """The dashboard shows 10, 7 after a fast-path sale of 3, then a negative-stock
        alert; the server sorts the page by on hand both ways, and the pager counts."""
        self.start_tour(
            "/web#action=retail_realtime_stock.rrs_live_stock_action",
            "rrs_live_stock_dashboard",
            login="admin",
        )
        self.env.invalidate_all()
        quants = self.env["stock.quant"].search(
            [
                ("product_id", "=", self.product.id),
                ("location_id", "=", self.warehouse.lot_stock_id.id),
            ]
        )
        self.assertEqual(
            sum(quants.mapped("quantity")),
            -2,
            "the emulated ingest should have sold 3, then 9",
        )
