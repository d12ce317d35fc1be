# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import tagged

from odoo.addons.stock_account.tests.test_anglo_saxon_valuation_reconciliation_common import (
    ValuationReconciliationTestCommon,
)

from .common import create_fast_path_move


@tagged("post_install", "-at_install")
class TestValuationEquivalence(ValuationReconciliationTestCommon):
    """Automated (real-time) valuation: the fast path plus the cron gives
    the same layers and journal items as Odoo's own _action_done."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.env.company.id)], limit=1
        )
        cls.stock = cls.warehouse.lot_stock_id
        cls.supplier = cls.env.ref("stock.stock_location_suppliers")
        cls.customer = cls.env.ref("stock.stock_location_customers")
        cls.device = (
            cls.env["rrs.device"]
            .sudo()
            .create({"name": "Equivalence scanner", "warehouse_id": cls.warehouse.id})
        )

    def _create_valued_product(self, name, cost_method):
        category = self.stock_account_product_categ.copy(
            {"name": f"RRS {cost_method}", "property_cost_method": cost_method}
        )
        return self.env["product.product"].create(
            {
                "name": name,
                "is_storable": True,
                "standard_price": 7.0,
                "categ_id": category.id,
            }
        )

    def _orm_move(self, product, source, destination, quantity, price_unit=0.0):
        move = self.env["stock.move"].create(
            {
                "name": "ORM move",
                "product_id": product.id,
                "product_uom": product.uom_id.id,
                "product_uom_qty": quantity,
                "price_unit": price_unit,
                "location_id": source.id,
                "location_dest_id": destination.id,
            }
        )
        move._action_confirm()
        move._action_assign()
        move.quantity = quantity
        move.picked = True
        move._action_done()
        return move

    def _fast_move(self, product, source, destination, quantity, key, price_unit=0.0):
        move = create_fast_path_move(
            self.env, product, source, destination, quantity, price_unit=price_unit
        )
        self.env["rrs.event"].sudo().create(
            {
                "device_id": self.device.id,
                "read_key": key,
                "operation": "receipt" if source.usage == "supplier" else "sale",
                "product_id": product.id,
                "quantity": quantity,
                "location_id": source.id,
                "location_dest_id": destination.id,
                "warehouse_id": self.warehouse.id,
                "company_id": self.env.company.id,
                "move_id": move.id,
            }
        )
        return move

    def _valuation_of(self, moves):
        layers = moves.stock_valuation_layer_ids.sorted("id")
        journal_items = layers.account_move_id.line_ids
        return (
            [(layer.quantity, layer.value, layer.remaining_qty) for layer in layers],
            sorted(
                (line.account_id.id, line.debit, line.credit, line.quantity)
                for line in journal_items
            ),
        )

    def _check_equivalence(self, cost_method, movements=None):
        product_orm = self._create_valued_product(f"{cost_method} via ORM", cost_method)
        product_fast = self._create_valued_product(f"{cost_method} via fast path", cost_method)
        movements = movements or [
            (self.supplier, self.stock, 10.0, 5.0),
            (self.supplier, self.stock, 4.0, 6.0),
            (self.stock, self.customer, 12.0, 0.0),
        ]
        orm_moves = self.env["stock.move"]
        fast_moves = self.env["stock.move"]
        for number, (source, destination, quantity, price) in enumerate(movements):
            orm_moves |= self._orm_move(product_orm, source, destination, quantity, price)
            fast_moves |= self._fast_move(
                product_fast, source, destination, quantity, f"{cost_method}:{number}", price
            )
        self.assertFalse(fast_moves.stock_valuation_layer_ids, "fast path writes no layer")
        self.env["stock.move"]._cron_value_fast_path_moves()
        orm_layers, orm_items = self._valuation_of(orm_moves)
        fast_layers, fast_items = self._valuation_of(fast_moves)
        self.assertGreaterEqual(len(orm_layers), 3, f"{cost_method}: a layer per ORM move")
        self.assertEqual(fast_layers, orm_layers, f"{cost_method}: same layers as the ORM")
        self.assertTrue(orm_items, f"{cost_method}: real-time valuation posts journal items")
        self.assertEqual(fast_items, orm_items, f"{cost_method}: same journal items")
        self.assertEqual(
            (product_fast.value_svl, product_fast.standard_price),
            (product_orm.value_svl, product_orm.standard_price),
            f"{cost_method}: same stock value and cost",
        )

    def test_fifo_valuation_equals_orm(self):
        """FIFO receipts and sales valued by the cron match Odoo's own valuation."""
        self._check_equivalence("fifo")

    def test_average_valuation_equals_orm(self):
        """AVCO receipts and sales valued by the cron match Odoo's own valuation."""
        self._check_equivalence("average")

    def test_standard_valuation_equals_orm(self):
        """Standard-price receipts and sales valued by the cron match Odoo's own valuation."""
        self._check_equivalence("standard")

    def test_sale_before_receipt_equals_orm(self):
        """Selling into negative stock then receiving is valued as Odoo does, in order."""
        for cost_method in ("fifo", "average"):
            self._check_equivalence(
                cost_method,
                [
                    (self.stock, self.customer, 3.0, 0.0),
                    (self.supplier, self.stock, 10.0, 5.0),
                    (self.stock, self.customer, 2.0, 0.0),
                    (self.supplier, self.stock, 5.0, 8.0),
                ],
            )
