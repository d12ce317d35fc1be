# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import HttpCase, tagged

from .common import create_done_picking


@tagged("post_install", "-at_install")
class TestAnalysisDashboardTour(HttpCase):
    """The dashboard in a browser: a figure opens its rollup rows, a row its moves."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.warehouse = cls.env["stock.warehouse"].create(
            {"name": "RRS Dashboard Store", "code": "RDS"}
        )
        cls.product = cls.env["product.product"].create(
            {"name": "RRS Dashboard Soap", "is_storable": True, "list_price": 2.0}
        )
        cls.env.flush_all()
        stock = cls.warehouse.lot_stock_id
        cls._validate(
            cls.warehouse.in_type_id, cls.env.ref("stock.stock_location_suppliers"), stock, 10
        )
        cls._validate(
            cls.warehouse.out_type_id, stock, cls.env.ref("stock.stock_location_customers"), 3
        )

    @classmethod
    def _validate(cls, picking_type, source, destination, quantity):
        create_done_picking(cls.env, picking_type, source, destination, quantity, cls.product)

    def test_dashboard_drills_to_moves(self):
        """Top mover -> its analysis rows -> the row's done moves, in the browser."""
        self.start_tour(
            "/web#action=retail_realtime_stock.rrs_analysis_dashboard_action",
            "rrs_analysis_dashboard",
            login="admin",
        )

    def test_analysis_guided_tour(self):
        """The managers' guided tour: store, today's sales, its rows, their moves."""
        self.start_tour(
            "/web#action=retail_realtime_stock.rrs_analysis_dashboard_action",
            "rrs_tour_analysis",
            login="admin",
        )
