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

    def _rrs_store_warehouses(self):
        """Stores this user works for in Real-time Stock (managers: every store)."""
        self.ensure_one()
        warehouses = self.env["stock.warehouse"].sudo()
        if self.has_group("retail_realtime_stock.group_rrs_manager"):
            return warehouses.search([("company_id", "in", self.company_ids.ids)])
        return self.sudo().rrs_warehouse_ids.filtered(
            lambda warehouse: warehouse.company_id in self.company_ids
        )

    def _rrs_live_stock_warehouses(self):
        """Stores whose live stock bus channel this user may listen to.

        The user's Real-time Stock stores, plus, for POS users, the stores
        their points of sale sell from (a till shows the live stock of its shop).
        """
        self.ensure_one()
        warehouses = self._rrs_store_warehouses()
        if self.has_group("point_of_sale.group_pos_user"):
            configs = (
                self.env["pos.config"].sudo().search([("company_id", "in", self.company_ids.ids)])
            )
            warehouses |= configs.picking_type_id.warehouse_id
        return warehouses
