# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, fields, models

from .rollup_tables import ensure_rollups


class RrsCategoryDaily(models.Model):
    """One day of one store's sales of one product category, rolled up from the moves.

    The pivot a buyer opens first (stores x weeks x categories over a quarter or
    a year) reads a few thousand of these rows instead of the tens of millions
    of daily product rows of a chain's year. Written only by the triggers
    (``rollup_tables``); the category is the product's current one, as in
    Odoo's own pivots over moves.
    """

    _name = "rrs.category.daily"
    _description = "Retail Category Daily Sales Rollup"
    _auto = False
    _order = "day desc, id desc"
    _rec_name = "day"

    day = fields.Date(required=True, readonly=True)
    warehouse_id = fields.Many2one(comodel_name="stock.warehouse", string="Store", readonly=True)
    categ_id = fields.Many2one(
        comodel_name="product.category", string="Product Category", readonly=True
    )
    company_id = fields.Many2one(comodel_name="res.company", readonly=True)
    qty_sold = fields.Float(string="Units sold", readonly=True, aggregator="sum")
    qty_returned = fields.Float(string="Units returned", readonly=True, aggregator="sum")
    value_sold = fields.Float(string="Sales (list price)", readonly=True, aggregator="sum")
    value_returned = fields.Float(string="Returns (list price)", readonly=True, aggregator="sum")
    cost_sold = fields.Float(string="Cost of sales", readonly=True, aggregator="sum")

    def init(self):
        ensure_rollups(self.env.cr)

    def action_view_products(self):
        """The product rows behind this store, category and day (the sales analysis)."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "retail_realtime_stock.rrs_sales_analysis_action"
        )
        title = _(
            "%(category)s at %(store)s, %(day)s",
            category=self.categ_id.display_name,
            store=self.warehouse_id.display_name,
            day=self.day,
        )
        action.update(
            name=title,
            display_name=title,
            domain=[
                ("warehouse_id", "=", self.warehouse_id.id),
                ("categ_id", "=", self.categ_id.id),
                ("day", "=", self.day),
                "|",
                ("qty_sold", "!=", 0),
                ("qty_returned", "!=", 0),
            ],
            context={"search_default_filter_this_week": 0},
        )
        return action
