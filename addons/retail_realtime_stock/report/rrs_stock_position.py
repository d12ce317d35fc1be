# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo import fields, models

from .rollup_tables import ensure_rollups


class RrsStockPosition(models.Model):
    """A product in an internal location now: on hand and the day it last sold.

    Kept by the same triggers as the daily rollup (the sum of a key's net
    changes, its latest day with a sale), so that dead stock, days of cover
    and out-of-stock read one row per key instead of a year of daily rows.
    """

    _name = "rrs.stock.position"
    _description = "Retail Stock Position"
    _auto = False
    _order = "warehouse_id, product_id, id"
    _rec_name = "product_id"

    product_id = fields.Many2one(comodel_name="product.product", readonly=True)
    categ_id = fields.Many2one(
        comodel_name="product.category", related="product_id.categ_id", string="Category"
    )
    location_id = fields.Many2one(comodel_name="stock.location", readonly=True)
    warehouse_id = fields.Many2one(comodel_name="stock.warehouse", string="Store", readonly=True)
    company_id = fields.Many2one(comodel_name="res.company", readonly=True)
    on_hand = fields.Float(string="On hand", readonly=True, aggregator="sum")
    last_sale_day = fields.Date(string="Last sale", readonly=True, aggregator="max")
    last_day = fields.Date(string="Last movement", readonly=True, aggregator="max")

    def init(self):
        ensure_rollups(self.env.cr)

    def action_view_days(self):
        """This key's daily rows of the last 90 days: how the stock got here."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "retail_realtime_stock.rrs_stock_daily_action"
        )
        since = fields.Date.context_today(self) - timedelta(days=90)
        action.update(
            name=self.product_id.display_name,
            display_name=self.product_id.display_name,
            domain=[
                ("product_id", "=", self.product_id.id),
                ("location_id", "=", self.location_id.id),
                ("day", ">", since),
            ],
            context={"search_default_filter_this_week": 0},
        )
        return action
