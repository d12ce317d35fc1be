# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class ResUsers(models.Model):
    _inherit = "res.users"

    rrs_warehouse_ids = fields.Many2many(
        comodel_name="stock.warehouse",
        relation="rrs_res_users_warehouse_rel",
        column1="user_id",
        column2="warehouse_id",
        string="Retail stores",
        help="Stores whose devices, events and quarantined reads this user "
        "sees in Real-time Stock. Retail Stock managers see every store.",
    )

    def write(self, vals):
        res = super().write(vals)
        if "rrs_warehouse_ids" in vals:
            # Record rules read this field and Odoo caches their domains per user.
            self.env.registry.clear_cache()
        return res
