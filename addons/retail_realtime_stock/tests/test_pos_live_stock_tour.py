# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import tagged

from odoo.addons.point_of_sale.tests.test_frontend import TestPointOfSaleHttpCommon

from .live_stock_common import LiveStockTourMixin


@tagged("post_install", "-at_install")
class TestPosLiveStockTour(LiveStockTourMixin, TestPointOfSaleHttpCommon):
    """The POS product screen follows the shop's bus channel."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.warehouse = cls.main_pos_config.picking_type_id.warehouse_id
        cls.product = cls.env["product.product"].create(
            {
                "name": "RRS Live Soap",
                "barcode": "4012345000016",
                "is_storable": True,
                "available_in_pos": True,
                "list_price": 2.5,
                "taxes_id": False,
            }
        )
        cls.env["stock.quant"]._update_available_quantity(
            cls.product, cls.warehouse.lot_stock_id, 10
        )
        cls.device = (
            cls.env["rrs.device"]
            .sudo()
            .create({"name": "Shop checkout scanner", "warehouse_id": cls.warehouse.id})
        )
        cls._start_live_stock_patchers(cls.device, cls.product, 3)

    def test_pos_badge_follows_fast_path(self):
        """The product card shows 10, then 7 within a second of a fast-path sale of 3;
        selling the last 7 opens an out-of-stock alert that the cashier is told of."""
        self.main_pos_config.with_user(self.pos_user).open_ui()
        self.start_pos_tour("rrs_pos_live_stock", login="pos_user")

    def test_cashier_tour(self):
        """The cashier's guided tour is in the till's menu and runs to the payment screen;
        a training store is marked in the till."""
        self.warehouse.rrs_training = True
        self.main_pos_config.with_user(self.pos_user).open_ui()
        self.start_pos_tour("rrs_pos_cashier_tour", login="pos_user")

    def test_pos_session_loads_live_stock(self):
        """A POS session loads its warehouse and stock locations, not every quant; the
        till asks for the quantities of the products it shows."""
        self.main_pos_config.with_user(self.pos_user).open_ui()
        session = self.main_pos_config.current_session_id.with_user(self.pos_user)
        data = session.load_data([])["pos.session"]["data"][0]["_rrs_live_stock"]
        self.assertEqual(data["warehouse_id"], self.warehouse.id, "the shop's warehouse")
        self.assertIn(self.warehouse.lot_stock_id.id, data["location_ids"])
        self.assertNotIn("quants", data, "no quantities at session start")
        self.assertFalse(data["training"], "a working store")
        other = self.env["product.product"].create({"name": "RRS Other", "is_storable": True})
        self.env["stock.quant"]._update_available_quantity(
            other, self.warehouse.lot_stock_id, 4
        )
        self.assertEqual(
            session.rrs_live_quantities([self.product.id]),
            [[self.product.id, self.warehouse.lot_stock_id.id, None, 10.0]],
            "the quantities of the products asked for, and only those",
        )
