# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError

REPORTS = {
    "sales": "retail_realtime_stock.action_report_sales_summary",
    "shrink": "retail_realtime_stock.action_report_shrink",
}


class RrsPeriodReportWizard(models.TransientModel):
    """Print the *Sales summary* or *Shrink* PDF of stores over a period."""

    _name = "rrs.period.report.wizard"
    _description = "Retail Stock Period Report"

    report = fields.Selection(
        selection=[("sales", "Sales summary"), ("shrink", "Shrink")],
        required=True,
        default="sales",
    )
    warehouse_ids = fields.Many2many(
        comodel_name="stock.warehouse",
        string="Stores",
        required=True,
        default=lambda self: self.env.user._rrs_store_warehouses(),
    )
    date_from = fields.Date(
        string="From",
        required=True,
        default=lambda self: fields.Date.context_today(self) - timedelta(days=27),
    )
    date_to = fields.Date(string="To", required=True, default=fields.Date.context_today)

    @api.constrains("date_from", "date_to")
    def _check_period(self):
        for wizard in self:
            if wizard.date_to < wizard.date_from:
                raise UserError(_("The period ends before it starts."))

    def action_print(self):
        self.ensure_one()
        return self.env.ref(REPORTS[self.report]).report_action(
            self.warehouse_ids,
            data={
                "date_from": fields.Date.to_string(self.date_from),
                "date_to": fields.Date.to_string(self.date_to),
            },
        )
