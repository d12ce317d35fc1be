# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.exceptions import AccessError

from ..models.rrs_replenish_request import DROP_SQL
from .common import (
    RrsCommon,
    create_threshold_orderpoint,
    set_quant_quantity,
)


class TestRrsAlert(RrsCommon):
    """Alerts raised by the stock_quant triggers, and the alert job on top of them.

    S01 is resupplied from a distribution centre (Odoo's *Resupply From*); the
    quants are changed in SQL as the ingest changes them.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dc = cls._create_warehouse("RRS Distribution Centre", "RDC")
        cls.store_s01.write({"resupply_wh_ids": [(6, 0, cls.dc.ids)]})
        cls.stock_s01 = cls.store_s01.lot_stock_id
        cls.stock_s02 = cls.store_s02.lot_stock_id
        cls.product_a = cls._create_stocked_product("RRS shampoo", "4012345000016")
        cls.product_b = cls._create_stocked_product("RRS shampoo twin", "4012345000023")
        cls.orderpoint_a = create_threshold_orderpoint(cls.env, cls.product_a, cls.store_s01)
        cls.orderpoint_b = create_threshold_orderpoint(cls.env, cls.product_b, cls.store_s01)
        cls.store_manager = cls._create_user(
            "rrs_store_manager_s01", "group_rrs_manager", cls.store_s01
        )
        cls.Alert = cls.env["rrs.alert"]
        cls.Request = cls.env["rrs.replenish.request"]

    @classmethod
    def _create_stocked_product(cls, name, barcode, store_quantity=10.0):
        product = cls._create_product(name, barcode)
        quants = cls.env["stock.quant"]
        quants._update_available_quantity(product, cls.dc.lot_stock_id, 100.0)
        quants._update_available_quantity(product, cls.store_s01.lot_stock_id, store_quantity)
        return product

    def _alerts(self, product, kind=None, state=None):
        domain = [("product_id", "=", product.id)]
        if kind:
            domain.append(("kind", "=", kind))
        if state:
            domain.append(("state", "=", state))
        return self.Alert.search(domain, order="id")

    def _store_moves(self, orderpoint):
        """The moves of a rule that bring stock into the rule's location."""
        return self.env["stock.move"].search(
            [
                ("orderpoint_id", "=", orderpoint.id),
                ("location_dest_id", "=", orderpoint.location_id.id),
            ]
        )

    def test_crossing_below_min_opens_an_alert_and_a_request(self):
        """A quant written below min in SQL opens one below_min alert and one pending request."""
        set_quant_quantity(self.env, self.product_a, self.stock_s01, 3.0)
        alert = self._alerts(self.product_a, "below_min", "open")
        self.assertEqual(len(alert), 1, "one open below_min alert")
        self.assertEqual(
            (alert.location_id, alert.warehouse_id, alert.orderpoint_id),
            (self.stock_s01, self.store_s01, self.orderpoint_a),
            "the alert names the rule's location, store and rule",
        )
        self.assertEqual((alert.quantity, alert.threshold), (3.0, 5.0), "on hand and min")
        self.assertIn("Below min", alert.display_name, "the name says the kind")
        request = self.Request.search([("orderpoint_id", "=", self.orderpoint_a.id)])
        self.assertEqual(
            (request.state, request.alert_id), ("pending", alert), "one pending request"
        )

    def test_job_orders_what_order_once_orders(self):
        """The job's transfer equals Odoo's own Order once on an identical rule; twice is once."""
        set_quant_quantity(self.env, self.product_a, self.stock_s01, 3.0)
        set_quant_quantity(self.env, self.product_b, self.stock_s01, 3.0)
        expected = self.orderpoint_a.qty_to_order
        self.assertEqual(expected, 17.0, "Odoo's quantity: max 20 - forecast 3")
        self.orderpoint_b.action_replenish()  # a buyer's "Order once" on the twin rule
        order_once = self._store_moves(self.orderpoint_b)
        self.assertEqual(sum(order_once.mapped("product_uom_qty")), expected)

        self.Alert._cron_alert_actions()

        request_a = self.Request.search([("orderpoint_id", "=", self.orderpoint_a.id)])
        self.assertEqual(request_a.state, "ordered", request_a.error)
        self.assertEqual(request_a.qty_ordered, expected, "Odoo's own quantity")
        moves = self._store_moves(self.orderpoint_a)
        self.assertEqual(
            sum(moves.mapped("product_uom_qty")),
            sum(order_once.mapped("product_uom_qty")),
            "the same quantity as Order once",
        )
        self.assertEqual(
            moves.picking_id.picking_type_id,
            order_once.picking_id.picking_type_id,
            "the same kind of transfer as Order once",
        )
        self.assertIn(moves.picking_id, request_a.picking_ids, "the request keeps its transfer")
        self.assertIn(moves.picking_id.name, request_a.result, "and names it")
        self.assertEqual(
            request_a.alert_id.picking_ids, moves.picking_id, "the alert shows the store's side"
        )
        request_b = self.Request.search([("orderpoint_id", "=", self.orderpoint_b.id)])
        self.assertEqual(request_b.state, "covered", "Order once already covered the twin")
        self.assertFalse(request_b.picking_ids, "nothing ordered twice")

        self.Alert._cron_alert_actions()
        self.assertEqual(len(self._store_moves(self.orderpoint_a)), len(moves), "second run")
        # A new crossing (stock back, then down again) is covered by the incoming transfer.
        set_quant_quantity(self.env, self.product_a, self.stock_s01, 10.0)
        set_quant_quantity(self.env, self.product_a, self.stock_s01, 3.0)
        self.Alert._cron_alert_actions()
        requests = self.Request.search(
            [("orderpoint_id", "=", self.orderpoint_a.id)], order="id"
        )
        self.assertEqual(requests.mapped("state"), ["ordered", "covered"], "not ordered twice")
        self.assertEqual(len(self._store_moves(self.orderpoint_a)), len(moves), "no new move")

    def test_a_burst_of_crossings_is_one_request(self):
        """Fifty crossings on one rule before the job runs give one request, one order."""
        for _crossing in range(50):
            set_quant_quantity(self.env, self.product_a, self.stock_s01, 3.0)
            set_quant_quantity(self.env, self.product_a, self.stock_s01, 10.0)
        set_quant_quantity(self.env, self.product_a, self.stock_s01, 3.0)
        alerts = self._alerts(self.product_a, "below_min")
        self.assertEqual(len(alerts), 51, "one alert per crossing")
        self.assertEqual(len(alerts.filtered(lambda a: a.state == "open")), 1, "one open")
        requests = self.Request.search([("orderpoint_id", "=", self.orderpoint_a.id)])
        self.assertEqual(len(requests), 1, "one pending request however many crossings")
        self.Alert._cron_alert_actions()
        self.assertEqual(requests.state, "ordered", requests.error)
        self.assertEqual(
            sum(self._store_moves(self.orderpoint_a).mapped("product_uom_qty")),
            17.0,
            "one procurement",
        )

    def test_alert_clears_when_stock_comes_back(self):
        """Stock back above min closes the alert by itself ('cleared')."""
        set_quant_quantity(self.env, self.product_a, self.stock_s01, 3.0)
        alert = self._alerts(self.product_a, "below_min", "open")
        set_quant_quantity(self.env, self.product_a, self.stock_s01, 12.0)
        self.assertEqual(
            (alert.state, alert.close_reason), ("closed", "cleared"), "closed by itself"
        )
        self.assertFalse(self._alerts(self.product_a, state="open"), "nothing left open")

    def test_store_user_sees_own_stores_alerts_only(self):
        """A store user reads the alerts of their stores, not another store's."""
        set_quant_quantity(self.env, self.product_a, self.stock_s01, 3.0)
        self.env["stock.quant"]._update_available_quantity(self.product, self.stock_s02, 1.0)
        set_quant_quantity(self.env, self.product, self.stock_s02, -1.0)
        alert_s02 = self._alerts(self.product, "negative_stock", "open")
        self.assertEqual(alert_s02.warehouse_id, self.store_s02)
        seen = self.Alert.with_user(self.user_s01).search([])
        self.assertTrue(seen, "the S01 user sees S01's alerts")
        self.assertEqual(seen.warehouse_id, self.store_s01, "and only S01's")
        with self.assertRaises(AccessError, msg="S02's alert is not the S01 user's"):
            alert_s02.with_user(self.user_s01).read(["kind"])
        self.assertIn(
            alert_s02, self.Alert.with_user(self.manager).search([]), "managers see all"
        )
        self.assertEqual(
            self.Alert.with_user(self.user_s01).get_systray_data()["warehouse_ids"],
            self.store_s01.ids,
            "the counter listens to the user's store channels",
        )

    def test_dispatch_tells_the_store_and_plans_the_manager_activity(self):
        """Negative stock: the store's users are told, the store manager gets an activity,
        which is done when the stock comes back."""
        set_quant_quantity(self.env, self.product_a, self.stock_s01, -2.0)
        alert = self._alerts(self.product_a, "negative_stock", "open")
        self.assertTrue(alert, "negative stock raises an alert")
        self.assertFalse(alert.dispatched)
        self.Alert._cron_alert_actions()
        self.assertTrue(alert.dispatched, "dispatched once")
        self.assertEqual(
            alert.activity_ids.user_id, self.store_manager, "the store manager's activity"
        )
        told = alert.message_ids.filtered(lambda m: self.user_s01.partner_id in m.partner_ids)
        self.assertTrue(told, "the store's user is told")
        below_min = self._alerts(self.product_a, "below_min", "open")
        self.assertTrue(below_min.dispatched, "below min is told too")
        self.assertFalse(below_min.activity_ids, "but needs no activity")

        self.Alert._cron_alert_actions()
        self.assertEqual(len(alert.activity_ids), 1, "no second activity")
        set_quant_quantity(self.env, self.product_a, self.stock_s01, 12.0)
        self.assertEqual(alert.close_reason, "cleared")
        self.Alert._cron_alert_actions()
        self.assertFalse(alert.activity_ids, "the activity is done")
        self.assertTrue(
            alert.message_ids.filtered(lambda m: "Cleared" in (m.body or "")),
            "with the reason in the chatter",
        )

    def test_the_job_sweeps_silent_devices_for_the_store_manager(self):
        """A device with no read for 30 minutes raises device_silent at the next job run,
        with the store manager's activity; its next read clears it at the run after."""
        device = self._create_device("RRS silent gate", self.store_s01)
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE rrs_device SET last_seen = now() AT TIME ZONE 'UTC' - interval '2 hours' "
            "WHERE id = %s",
            (device.id,),
        )
        self.Alert._cron_alert_actions()
        alert = self.Alert.search([("kind", "=", "device_silent"), ("device_id", "=", device.id)])
        self.assertEqual(alert.state, "open", "the sweep raised it")
        self.assertEqual(alert.warehouse_id, self.store_s01)
        self.assertEqual(
            alert.activity_ids.user_id, self.store_manager, "a person looks at the device"
        )
        self.Alert._cron_alert_actions()
        self.assertEqual(
            len(self.Alert.search([("kind", "=", "device_silent"), ("device_id", "=", device.id)])),
            1,
            "one alert however many runs",
        )
        self.env.cr.execute(
            "UPDATE rrs_device SET last_seen = now() AT TIME ZONE 'UTC' WHERE id = %s",
            (device.id,),
        )
        self.Alert._cron_alert_actions()
        self.assertEqual((alert.state, alert.close_reason), ("closed", "cleared"))

    def test_user_closes_an_alert_with_a_reason(self):
        """The Close wizard closes with the user's reason."""
        set_quant_quantity(self.env, self.product_a, self.stock_s01, 3.0)
        alert = self._alerts(self.product_a, "below_min", "open").with_user(self.user_s01)
        action = alert.action_close()
        wizard = (
            self.env[action["res_model"]]
            .with_user(self.user_s01)
            .with_context(**action["context"])
            .create({"close_note": "Shelf refilled from the back room"})
        )
        wizard.action_confirm()
        self.assertEqual(
            (alert.state, alert.close_reason, alert.closed_by),
            ("closed", "user", self.user_s01),
            "closed by the user",
        )
        self.assertEqual(alert.close_note, "Shelf refilled from the back room")

    def test_a_failing_rule_stops_no_other(self):
        """A rule Odoo cannot procure fails with Odoo's error; the others are still ordered."""
        # S02 receives from vendors (Odoo's reception rule): without it, no rule is found.
        self.store_s02.reception_route_id.rule_ids.filtered(
            lambda rule: rule.location_dest_id == self.stock_s02
        ).active = False
        product = self._create_product("RRS no route", "4012345000030")
        self.env["stock.quant"]._update_available_quantity(product, self.stock_s02, 10.0)
        orderpoint = self.env["stock.warehouse.orderpoint"].create(
            {
                "product_id": product.id,
                "warehouse_id": self.store_s02.id,
                "location_id": self.stock_s02.id,
                "trigger": "auto",
                "product_min_qty": 5.0,
                "product_max_qty": 20.0,
            }
        )
        set_quant_quantity(self.env, product, self.stock_s02, 3.0)
        set_quant_quantity(self.env, self.product_a, self.stock_s01, 3.0)
        self.Alert._cron_alert_actions()
        failed = self.Request.search([("orderpoint_id", "=", orderpoint.id)])
        self.assertEqual(failed.state, "failed", "no route: Odoo's procurement refuses")
        self.assertIn("No rule has been found", failed.error, "with Odoo's message")
        ordered = self.Request.search([("orderpoint_id", "=", self.orderpoint_a.id)])
        self.assertEqual(ordered.state, "ordered", "the other rule is ordered")

    def test_manual_rules_only_get_the_alert(self):
        """A manual reorder rule gets the alert but no request (people order those)."""
        self.orderpoint_a.trigger = "manual"
        set_quant_quantity(self.env, self.product_a, self.stock_s01, 3.0)
        self.assertTrue(self._alerts(self.product_a, "below_min", "open"))
        self.assertFalse(self.Request.search([("orderpoint_id", "=", self.orderpoint_a.id)]))

    def test_rule_switches_a_kind_off_for_a_store(self):
        """An alert rule with enabled off keeps the kind quiet in its store."""
        self.env["rrs.alert.rule"].create(
            {"kind": "below_min", "warehouse_id": self.store_s01.id, "enabled": False}
        )
        set_quant_quantity(self.env, self.product_a, self.stock_s01, 3.0)
        self.assertFalse(self._alerts(self.product_a, "below_min"), "switched off")

    def test_orderpoint_shows_its_last_request(self):
        """The reorder rule shows its last threshold request and opens the list."""
        set_quant_quantity(self.env, self.product_a, self.stock_s01, 3.0)
        self.Alert._cron_alert_actions()
        rule = self.orderpoint_a
        self.assertEqual(rule.rrs_last_request_state, "ordered")
        self.assertEqual(rule.rrs_request_count, 1)
        action = rule.action_rrs_view_requests()
        self.assertEqual(action["domain"], [("orderpoint_id", "in", rule.ids)])

    def test_uninstall_statements_remove_the_triggers(self):
        """The uninstall hook's statements leave stock_quant without the alert triggers."""
        with self.env.cr.savepoint(flush=False) as savepoint:
            for statement in DROP_SQL:
                self.env.cr.execute(statement)
            self.env.cr.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'rrs_alert_quant_%'"
            )
            self.assertEqual(self.env.cr.fetchone()[0], 0, "no trigger left")
            set_quant_quantity(self.env, self.product_a, self.stock_s01, 3.0)
            self.assertFalse(self._alerts(self.product_a), "stock changes still work")
            savepoint.rollback()
