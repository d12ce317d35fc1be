# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user

from .common import RrsCommon, create_resupplied_store, create_threshold_orderpoint


class TestRrsOrderpointLevel(RrsCommon):
    """The Replenishment list's forecast buttons: follow, keep manual, restore."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rule = cls.env["stock.warehouse.orderpoint"].create(
            {
                "product_id": cls.product.id,
                "warehouse_id": cls.store_s01.id,
                "location_id": cls.store_s01.lot_stock_id.id,
                "product_min_qty": 5.0,
                "product_max_qty": 9.0,
            }
        )
        # Reorder rules are Inventory Administrators' (Odoo's own access rights).
        cls.buyer = new_test_user(
            cls.env, login="rrs_buyer", groups="base.group_user,stock.group_stock_manager"
        )
        cls.level = cls.env["rrs.orderpoint.level"].create(
            {
                "orderpoint_id": cls.rule.id,
                "mode": "manual",
                "suggested_min": 3.0,
                "suggested_max": 7.0,
                "reason": "forecast 2.0 over 3 d + safety 1.0 (class A, service 98%)",
            }
        )

    def test_nightly_job_stores_odoo_lead_days(self):
        """The job stores each rule's lead days as Odoo computes them: here the delays of
        the resupply route's pull rules (DC stock to transit, transit to the store)."""
        store = create_resupplied_store(self.env, "RRS Lead Store", "RRSL", self.store_s02)
        rule = create_threshold_orderpoint(self.env, self.product, store)
        pulls = rule.rule_ids.filtered(lambda r: r.action in ("pull", "pull_push"))
        self.assertTrue(pulls, "the resupply route pulls")
        pulls.write({"delay": 2})
        self.env["stock.warehouse.orderpoint"]._cron_rrs_lead_days()
        level = self.env["rrs.orderpoint.level"].search([("orderpoint_id", "=", rule.id)])
        self.assertEqual(level.lead_days, 2.0 * len(pulls), "the sum of the pull delays")
        self.assertEqual(level.mode, "manual", "a rule the job meets first stays manual")
        self.assertEqual(self.level.lead_days, 0.0, "no route, no delay")

    def test_rule_shows_class_cover_and_demand_chart(self):
        """The rule shows its ABC and XYZ classes, days of cover from the forecast and the
        chart of its demand and forecast."""
        self.level.write({"abc_class": "A", "xyz_class": "Y"})
        today = fields.Date.context_today(self.rule)
        self.env["stock.quant"]._update_available_quantity(
            self.product, self.store_s01.lot_stock_id, 12
        )
        self.env["rrs.forecast"].create(
            [
                {
                    "product_id": self.product.id,
                    "warehouse_id": self.store_s01.id,
                    "company_id": self.store_s01.company_id.id,
                    "date": today + timedelta(days=offset),
                    "mean": 3.0,
                    "lo80": 1.0,
                    "hi80": 5.0,
                    "model": "CrostonSBA",
                    "made_at": fields.Datetime.now(),
                }
                for offset in range(1, 29)
            ]
        )
        self.env.flush_all()
        self.rule.invalidate_recordset()
        self.assertEqual((self.rule.rrs_abc_class, self.rule.rrs_xyz_class), ("A", "Y"))
        self.assertAlmostEqual(self.rule.rrs_days_of_cover, 12 / 3.0, 6, "12 on hand, 3 a day")
        chart = str(self.rule.rrs_demand_chart)
        self.assertIn("<svg", chart, "an SVG chart")
        self.assertIn("<polygon", chart, "the forecast's 80 % band")
        action = self.rule.action_rrs_demand_chart()
        self.assertEqual((action["res_model"], action["res_id"]), (self.rule._name, self.rule.id))
        tab = str(self.product.product_tmpl_id.with_user(self.user_s01).rrs_demand_charts)
        self.assertIn(f"{self.store_s01.name}: units per day", tab, "the product's Demand tab")
        self.assertEqual(tab.count("<svg"), 1, "one chart: S01's user sees S01 only")

    def test_manual_rule_shows_the_suggestion_only(self):
        """A manual rule keeps its typed min/max and shows what the forecast says."""
        self.assertEqual(self.rule.rrs_mode, "manual", "rules start manual")
        self.assertEqual(
            (self.rule.product_min_qty, self.rule.product_max_qty),
            (5.0, 9.0),
            "the typed values stay",
        )
        self.assertEqual(
            (self.rule.rrs_suggested_min, self.rule.rrs_suggested_max),
            (3.0, 7.0),
            "the suggestion is shown",
        )

    def test_follow_then_restore(self):
        """Following the forecast keeps the previous values; restoring puts them back."""
        with self.assertRaises(AccessError, msg="store users do not set reorder rules"):
            self.rule.with_user(self.user_s01).action_rrs_accept_suggestion()
        rule = self.rule.with_user(self.buyer)
        rule.action_rrs_accept_suggestion()
        self.assertEqual(
            (rule.product_min_qty, rule.product_max_qty), (3.0, 7.0), "forecast applied"
        )
        self.assertEqual(self.level.mode, "forecast", "later forecasts set the rule")
        self.assertEqual(
            (self.level.previous_min, self.level.previous_max), (5.0, 9.0), "kept for undo"
        )
        rule.action_rrs_restore_previous()
        self.assertEqual(
            (rule.product_min_qty, rule.product_max_qty), (5.0, 9.0), "previous restored"
        )
        self.assertEqual(self.level.mode, "manual", "and manual again")

    def test_keep_manual_creates_the_level_of_a_new_rule(self):
        """A rule the forecast never saw gets a manual level when a buyer keeps it."""
        other = self.env["stock.warehouse.orderpoint"].create(
            {
                "product_id": self.product.id,
                "warehouse_id": self.store_s02.id,
                "location_id": self.store_s02.lot_stock_id.id,
            }
        )
        other.with_user(self.buyer).action_rrs_keep_manual()
        level = self.env["rrs.orderpoint.level"].search([("orderpoint_id", "=", other.id)])
        self.assertEqual(level.mode, "manual", "one manual level")
