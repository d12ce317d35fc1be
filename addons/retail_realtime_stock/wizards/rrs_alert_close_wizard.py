# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class RrsAlertCloseWizard(models.TransientModel):
    """Asks why before a user closes alerts (the reason stays on each alert)."""

    _name = "rrs.alert.close.wizard"
    _description = "Retail Stock Alert Close"

    alert_ids = fields.Many2many(comodel_name="rrs.alert", string="Alerts")
    close_note = fields.Text(
        string="Reason",
        required=True,
        help="What was found: a receipt not scanned, a wrong product scanned, "
        "stock moved to the shelf, a device replaced...",
    )

    def action_confirm(self):
        self.ensure_one()
        self.alert_ids._close_by_user(self.close_note)
        return {"type": "ir.actions.act_window_close"}
