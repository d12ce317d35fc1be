# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models

from ..report import rrs_analysis_queries as queries
from ..report.rrs_demand_chart import demand_chart


class StockWarehouseOrderpoint(models.Model):
    """Reorder rules that follow the demand forecast (``rtstock forecast replenish``),
    and their replenishment requests raised at the threshold (``rrs.replenish.request``)."""

    _inherit = "stock.warehouse.orderpoint"

    rrs_level_id = fields.Many2one(
        comodel_name="rrs.orderpoint.level", compute="_compute_rrs_level_id"
    )
    rrs_mode = fields.Selection(
        selection=[("forecast", "From the forecast"), ("manual", "Manual")],
        string="Min/max",
        compute="_compute_rrs_level_id",
    )
    rrs_suggested_min = fields.Float(
        string="Suggested min", compute="_compute_rrs_level_id"
    )
    rrs_suggested_max = fields.Float(
        string="Suggested max", compute="_compute_rrs_level_id"
    )
    rrs_reason = fields.Char(string="Why", compute="_compute_rrs_level_id")
    rrs_abc_class = fields.Selection(
        selection=[("A", "A"), ("B", "B"), ("C", "C")],
        string="ABC",
        compute="_compute_rrs_level_id",
        help="The product's share of the store's revenue of 90 days (A: the first 80 %, "
        "B: the next 15 %, C: the rest), as the last forecast replenishment set it.",
    )
    rrs_xyz_class = fields.Selection(
        selection=[("X", "X"), ("Y", "Y"), ("Z", "Z")],
        string="XYZ",
        compute="_compute_rrs_level_id",
        help="How steady the weekly demand was over 13 weeks (X: steady, Y: variable, "
        "Z: erratic or none), as the last forecast replenishment set it.",
    )
    rrs_days_of_cover = fields.Float(
        string="Days of cover",
        compute="_compute_rrs_forecast",
        digits=(16, 1),
        help="On hand divided by the forecast's average daily demand.",
    )
    rrs_demand_chart = fields.Html(
        string="Demand and forecast",
        compute="_compute_rrs_forecast",
        sanitize=False,
        help="Net units sold per day over 13 weeks, then the forecast with its 80 % band.",
    )
    rrs_request_ids = fields.One2many(
        comodel_name="rrs.replenish.request",
        inverse_name="orderpoint_id",
        string="Threshold requests",
        groups="retail_realtime_stock.group_rrs_user",
    )
    rrs_request_count = fields.Integer(
        string="Threshold request count",
        compute="_compute_rrs_last_request",
        groups="retail_realtime_stock.group_rrs_user",
    )
    rrs_last_request_at = fields.Datetime(
        string="Threshold request",
        compute="_compute_rrs_last_request",
        groups="retail_realtime_stock.group_rrs_user",
        help="When the stock last crossed the min and asked for this rule's "
        "procurement (Real-time Stock).",
    )
    rrs_last_request_state = fields.Selection(
        selection=lambda self: self.env["rrs.replenish.request"]
        ._fields["state"]
        ._description_selection(self.env),
        string="Request state",
        compute="_compute_rrs_last_request",
        groups="retail_realtime_stock.group_rrs_user",
    )
    rrs_last_request_result = fields.Char(
        string="Request result",
        compute="_compute_rrs_last_request",
        groups="retail_realtime_stock.group_rrs_user",
    )
    rrs_last_request_read = fields.Char(
        string="Crossing read",
        compute="_compute_rrs_last_request",
        groups="retail_realtime_stock.group_rrs_user",
        help="The key of the device read that crossed the min (empty when the change "
        "was made in Odoo). A key, not a link: the read may be another store's.",
    )

    @api.depends("product_min_qty", "product_max_qty")
    def _compute_rrs_level_id(self):
        levels = self.env["rrs.orderpoint.level"].search(
            [("orderpoint_id", "in", self.ids)]
        )
        by_rule = {level.orderpoint_id.id: level for level in levels}
        for rule in self:
            level = by_rule.get(rule.id, self.env["rrs.orderpoint.level"])
            rule.rrs_level_id = level
            rule.rrs_mode = level.mode or "manual"
            rule.rrs_suggested_min = level.suggested_min
            rule.rrs_suggested_max = level.suggested_max
            rule.rrs_reason = level.reason
            rule.rrs_abc_class = level.abc_class
            rule.rrs_xyz_class = level.xyz_class

    @api.depends("product_id", "warehouse_id", "qty_on_hand")
    def _compute_rrs_forecast(self):
        today = fields.Date.context_today(self)
        for rule in self:
            if not rule.product_id or not rule.warehouse_id:
                rule.rrs_days_of_cover = 0.0
                rule.rrs_demand_chart = False
                continue
            products, stores = rule.product_id.ids, rule.warehouse_id.ids
            forecast = queries.forecast_by_day(self.env.cr, products, stores)
            daily = sum(row["mean"] for row in forecast) / len(forecast) if forecast else 0.0
            rule.rrs_days_of_cover = rule.qty_on_hand / daily if daily > 0 else 0.0
            rule.rrs_demand_chart = demand_chart(
                self.env.cr,
                products,
                stores,
                today,
                forecast,
                f"{rule.product_id.display_name} at {rule.warehouse_id.name}: units per day",
            )

    def _compute_rrs_last_request(self):
        # Read as superuser: the fields themselves are for Real-time Stock users only.
        requests = (
            self.env["rrs.replenish.request"]
            .sudo()
            .search([("orderpoint_id", "in", self.ids)], order="requested_at desc, id desc")
        )
        by_rule = {}
        for request in requests:
            by_rule.setdefault(request.orderpoint_id.id, request.browse())
            by_rule[request.orderpoint_id.id] |= request
        for rule in self:
            rule_requests = by_rule.get(rule.id, requests.browse())
            last = rule_requests[:1]
            rule.rrs_request_count = len(rule_requests)
            rule.rrs_last_request_at = last.requested_at
            rule.rrs_last_request_state = last.state
            rule.rrs_last_request_result = last.result or last.error
            rule.rrs_last_request_read = last.event_id.read_key

    def action_rrs_refresh_forecast(self):
        """Ask the ingest for a forecast + replenishment run now (the Replenishment list's
        *Refresh forecast*, whatever is selected)."""
        return self.env["rrs.job.run"].action_request_forecast()

    def action_rrs_demand_chart(self):
        """The rule's form, where its demand and forecast chart is."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "views": [(self.env.ref("stock.view_warehouse_orderpoint_form").id, "form")],
            "target": "new",
            "name": self.product_id.display_name,
        }

    def action_rrs_view_requests(self):
        """The rule's replenishment requests raised at the threshold."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "retail_realtime_stock.rrs_replenish_request_action"
        )
        action["domain"] = [("orderpoint_id", "in", self.ids)]
        action["context"] = {}
        return action

    @api.model
    def _cron_rrs_lead_days(self):
        """Store every active rule's lead days, as Odoo computes them for its own
        forecast (``_compute_lead_days``: the route's rule delays, the vendor's lead
        time, the days to order), for ``rtstock forecast replenish``, which reads SQL."""
        rules = self.search([("trigger", "in", ("auto", "manual"))])
        levels = {level.orderpoint_id: level for level in rules._rrs_levels()}
        for rule in rules.with_context(bypass_delay_description=True):
            if not rule.product_id or not rule.location_id:
                continue
            lead_days, _descriptions = rule.rule_ids._get_lead_days(
                rule.product_id, **rule._get_lead_days_values()
            )
            if levels[rule].lead_days != lead_days["total_delay"]:
                levels[rule].lead_days = lead_days["total_delay"]
        return True

    def _rrs_levels(self):
        """The rules' levels, created in mode ``manual`` where missing."""
        levels = self.env["rrs.orderpoint.level"].search(
            [("orderpoint_id", "in", self.ids)]
        )
        missing = self - levels.orderpoint_id
        return levels | levels.create(
            [{"orderpoint_id": rule.id, "mode": "manual"} for rule in missing]
        )

    def action_rrs_accept_suggestion(self):
        """Take the forecast's min/max and let later forecasts set them (undo: restore)."""
        for level in self._rrs_levels().filtered(
            lambda lv: lv.suggested_min or lv.suggested_max
        ):
            rule = level.orderpoint_id
            level.write(
                {
                    "mode": "forecast",
                    "previous_min": rule.product_min_qty,
                    "previous_max": rule.product_max_qty,
                }
            )
            rule.write(
                {
                    "product_min_qty": level.suggested_min,
                    "product_max_qty": max(level.suggested_max, level.suggested_min),
                }
            )
        return True

    def action_rrs_keep_manual(self):
        """Keep the typed min/max: later forecasts only suggest."""
        self._rrs_levels().write({"mode": "manual"})
        return True

    def action_rrs_restore_previous(self):
        """Back to the min/max before the forecast last set them, and to manual."""
        for level in self._rrs_levels().filtered(
            lambda lv: lv.previous_min or lv.previous_max
        ):
            level.orderpoint_id.write(
                {
                    "product_min_qty": level.previous_min,
                    "product_max_qty": level.previous_max,
                }
            )
            level.write({"mode": "manual"})
        return True
