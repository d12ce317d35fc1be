# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.exceptions import AccessError
from odoo.tests import new_test_user

from .common import RrsCommon


class TestRrsJobRun(RrsCommon):
    """*Refresh forecast* asks the ingest for a run; only who may set reorder rules may."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.buyer = new_test_user(
            cls.env,
            login="rrs_job_buyer",
            groups="base.group_user,stock.group_stock_manager,"
            "retail_realtime_stock.group_rrs_manager",
        )
        cls.clerk = new_test_user(
            cls.env,
            login="rrs_job_clerk",
            groups="base.group_user,retail_realtime_stock.group_rrs_user",
        )
        cls.runs = cls.env["rrs.job.run"].sudo()

    def test_refresh_forecast_requests_one_run_until_it_is_served(self):
        """The Replenishment list's button inserts one requested run; pressing it again
        while that one waits or runs asks for nothing more."""
        orderpoints = self.env["stock.warehouse.orderpoint"].with_user(self.buyer)
        action = orderpoints.browse().action_rrs_refresh_forecast()
        self.assertEqual(action["tag"], "display_notification")
        orderpoints.browse().action_rrs_refresh_forecast()
        run = self.runs.search([])
        self.assertEqual(len(run), 1)
        self.assertEqual((run.job, run.state, run.scheduled_for), ("forecast", "requested", False))
        run.write({"state": "done"})
        self.env["rrs.job.run"].with_user(self.buyer).action_request_forecast()
        self.assertEqual(self.runs.search_count([("state", "=", "requested")]), 1)

    def test_only_who_may_set_reorder_rules_may_ask(self):
        """A store clerk can neither ask for a run nor read the runs."""
        with self.assertRaises(AccessError):
            self.env["rrs.job.run"].with_user(self.clerk).action_request_forecast()
        with self.assertRaises(AccessError):
            self.env["rrs.job.run"].with_user(self.clerk).search([])
        self.assertFalse(self.runs.search([]))
