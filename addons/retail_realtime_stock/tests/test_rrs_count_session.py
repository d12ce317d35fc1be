# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.exceptions import AccessError, UserError

from .common import RrsCommon


class TestRrsCountSession(RrsCommon):
    """RFID count sessions: stop compares, apply uses Odoo's inventory adjustment."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.location = cls.store_s01.lot_stock_id
        cls.other_product = cls._create_product("RRS shampoo", "4012345000023")
        Quant = cls.env["stock.quant"]
        Quant._update_available_quantity(cls.product, cls.location, 3)
        Quant._update_available_quantity(cls.other_product, cls.location, 2)
        cls.session = cls.env["rrs.count.session"].create(
            {"name": "S01 shelf count", "warehouse_id": cls.store_s01.id}
        )
        # What the ingest writes while the readers count: one row per distinct EPC.
        cls.env["rrs.count.epc"].create(
            [
                {"session_id": cls.session.id, "epc": f"3034257BF400B7800000000{i}"}
                | {"product_id": cls.product.id}
                for i in range(5)
            ]
            + [{"session_id": cls.session.id, "epc": "3034257BF400B7800000FFFF"}]
        )
        # A shampoo tag known in stock here, not read by the count.
        cls.env["rrs.epc"].create(
            {
                "epc": "3034257BF400B7C00000000A",
                "product_id": cls.other_product.id,
                "state": "in_stock",
                "location_id": cls.location.id,
            }
        )

    def test_session_defaults_to_store_stock(self):
        """A new session counts the store's stock location and starts counting."""
        self.assertEqual(self.session.location_id, self.location)
        self.assertEqual(self.session.state, "open")
        self.assertEqual(self.session.epc_count, 6, "tags read so far")

    def test_stop_compares_expected_and_counted(self):
        """Stopping stores expected vs counted per product, in scope, with the accuracy."""
        self.session.action_stop()
        lines = {line.product_id: (line.expected, line.counted) for line in self.session.line_ids}
        self.assertEqual(lines[self.product], (3.0, 5.0), "soap: 3 expected, 5 tags")
        self.assertEqual(lines[self.other_product], (2.0, 0.0), "shampoo known here, unread")
        self.assertEqual(self.session.state, "closed")
        # min: 3 + 0, max: 5 + 2
        self.assertAlmostEqual(self.session.accuracy_pct, 300 / 7, places=1)

    def test_stop_writes_odoo_counts_and_apply_applies_them(self):
        """Differences become Odoo counts on the quants; Apply moves the stock to them."""
        self.session.action_stop()
        quant = self.env["stock.quant"].search(
            [("product_id", "=", self.product.id), ("location_id", "=", self.location.id)]
        )
        self.assertTrue(quant.inventory_quantity_set, "the count is written on the quant")
        self.assertEqual(quant.inventory_quantity, 5)
        self.assertEqual(quant.quantity, 3, "stock unchanged before Apply")
        self.session.action_apply()
        self.assertEqual(self.session.state, "applied")
        self.assertEqual(quant.quantity, 5, "Apply sets the counted quantity")
        shampoo = self.env["stock.quant"]._get_available_quantity(self.other_product, self.location)
        self.assertEqual(shampoo, 0, "the unread shampoo is counted as missing")

    def test_count_report_lists_the_largest_differences_first(self):
        """The count's PDF report: totals, accuracy, the lines by size of difference."""
        self.other_product.standard_price = 4.0
        self.env["rrs.count.epc"].create(
            {
                "session_id": self.session.id,
                "epc": "3034257BF400B7800000000F",
                "product_id": self.product.id,
            }
        )
        self.session.action_stop()
        html, kind = self.env["ir.actions.report"]._render_qweb_html(
            "retail_realtime_stock.action_report_count_session", self.session.ids
        )
        self.assertEqual(kind, "html")
        text = html.decode()
        self.assertIn("S01 shelf count", text, "the session's name")
        self.assertIn("37.5", text, "its accuracy: 100 x (3 + 0) / (6 + 2) %")
        self.assertLess(
            text.index("RRS soap"), text.index("RRS shampoo"), "soap (+3) before shampoo (-2)"
        )
        self.assertIn("-8.00", text, "the missing shampoo at cost: -2 x 4.00")

    def test_auto_apply(self):
        """An auto-apply session is applied as soon as it stops."""
        self.session.auto_apply = True
        self.session.action_stop()
        self.assertEqual(self.session.state, "applied")

    def test_only_open_sessions_stop(self):
        """A stopped session cannot be stopped again, nor an open one applied."""
        with self.assertRaises(UserError):
            self.session.action_apply()
        self.session.action_stop()
        with self.assertRaises(UserError):
            self.session.action_stop()

    def test_other_store_cannot_read_session(self):
        """A user of another store cannot read the session."""
        self.session.with_user(self.user_s01).read(["name"])
        with self.assertRaises(AccessError):
            self.session.with_user(self.user_s02).read(["name"])

    def test_unlink_removes_tags_and_lines(self):
        """Deleting a session deletes its tags and lines (no cascading FK)."""
        self.session.action_stop()
        epcs, lines = self.session.epc_ids, self.session.line_ids
        self.session.unlink()
        self.assertFalse(epcs.exists() or lines.exists())
