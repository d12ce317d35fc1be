# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from .common import RrsCommon, create_fast_path_move


class TestValuationCron(RrsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product.standard_price = 10.0
        cls.supplier_location = cls.env.ref("stock.stock_location_suppliers")

    def _create_fast_path_move(self, source, destination, quantity, state="done"):
        return create_fast_path_move(
            self.env, self.product, source, destination, quantity, state=state
        )

    def _run_cron(self):
        self.env["stock.move"]._cron_value_fast_path_moves()

    def test_sale_move_gets_out_layer(self):
        """A done fast-path sale gets one outgoing valuation layer."""
        stock = self.store_s01.lot_stock_id
        move = self._create_fast_path_move(stock, self.customer_location, 2.0)
        self.event_s01.move_id = move
        self.assertFalse(move.stock_valuation_layer_ids, "fast path writes no layer")
        self._run_cron()
        layer = move.stock_valuation_layer_ids
        self.assertEqual(len(layer), 1, "one layer for the move")
        self.assertEqual(layer.quantity, -2.0, "layer takes 2 units out")
        self.assertEqual(layer.value, -20.0, "valued at the standard price")

    def test_receipt_move_gets_in_layer(self):
        """A done fast-path receipt gets one incoming valuation layer."""
        stock = self.store_s01.lot_stock_id
        move = self._create_fast_path_move(self.supplier_location, stock, 5.0)
        self._create_event(
            self.device_s01, "S01-SCN-1:000010", operation="receipt", move_id=move.id
        )
        self._run_cron()
        layer = move.stock_valuation_layer_ids
        self.assertEqual(len(layer), 1, "one layer for the move")
        self.assertEqual((layer.quantity, layer.value), (5.0, 50.0), "5 units at 10 in")

    def test_cron_is_idempotent(self):
        """Running the cron twice creates nothing the second time."""
        stock = self.store_s01.lot_stock_id
        self.event_s01.move_id = self._create_fast_path_move(stock, self.customer_location, 1.0)
        self._run_cron()
        layers = self.env["stock.valuation.layer"].search_count([])
        self._run_cron()
        self.assertEqual(self.env["stock.valuation.layer"].search_count([]), layers, "no new layer")

    def test_moves_without_event_or_not_done_are_ignored(self):
        """Only done moves linked from an event are valued."""
        stock = self.store_s01.lot_stock_id
        unlinked = self._create_fast_path_move(stock, self.customer_location, 1.0)
        not_done = self._create_fast_path_move(stock, self.customer_location, 1.0, state="assigned")
        self.event_s01.move_id = not_done
        self._run_cron()
        self.assertFalse(unlinked.stock_valuation_layer_ids, "move without event ignored")
        self.assertFalse(not_done.stock_valuation_layer_ids, "move not done ignored")

    def test_internal_transfers_are_not_candidates(self):
        """Moves between two internal locations are never picked for valuation."""
        internal = self._create_fast_path_move(
            self.store_s01.lot_stock_id, self.store_s02.lot_stock_id, 1.0
        )
        self.event_s01.move_id = internal
        candidates = self.env["stock.move"].search(
            self.env["stock.move"]._rrs_unvalued_fast_path_domain()
        )
        self.assertNotIn(internal, candidates, "internal transfer is not a candidate")

    def test_cron_is_scheduled_every_minute(self):
        """The valuation cron runs every minute."""
        cron = self.env.ref("retail_realtime_stock.ir_cron_value_fast_path_moves")
        self.assertEqual((cron.interval_number, cron.interval_type), (1, "minutes"), "1 min")
        self.assertTrue(cron.active, "cron should be active")
