# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

from .rollup_tables import ensure_rollups


class RrsStockDaily(models.Model):
    """One day of one product in one internal location, rolled up from the done moves.

    Written only by the triggers on ``stock_move`` (``rollup_tables``): the
    analysis reads it instead of scanning the moves.
    """

    _name = "rrs.stock.daily"
    _inherit = ["rrs.rollup.drill.mixin"]
    _description = "Retail Stock Daily Rollup"
    _auto = False
    _order = "day desc, id desc"
    _rec_name = "day"

    day = fields.Date(required=True, readonly=True)
    product_id = fields.Many2one(comodel_name="product.product", readonly=True)
    product_tmpl_id = fields.Many2one(
        comodel_name="product.template", related="product_id.product_tmpl_id"
    )
    categ_id = fields.Many2one(
        comodel_name="product.category", related="product_id.categ_id", string="Category"
    )
    location_id = fields.Many2one(comodel_name="stock.location", readonly=True)
    warehouse_id = fields.Many2one(
        comodel_name="stock.warehouse", string="Store", readonly=True
    )
    company_id = fields.Many2one(comodel_name="res.company", readonly=True)
    qty_sold = fields.Float(string="Sold", readonly=True, aggregator="sum")
    qty_returned = fields.Float(string="Returned", readonly=True, aggregator="sum")
    qty_received = fields.Float(string="Received", readonly=True, aggregator="sum")
    qty_transfer_in = fields.Float(string="Transferred in", readonly=True, aggregator="sum")
    qty_transfer_out = fields.Float(
        string="Transferred out", readonly=True, aggregator="sum"
    )
    qty_scrapped = fields.Float(string="Scrapped", readonly=True, aggregator="sum")
    qty_count_gain = fields.Float(string="Count gain", readonly=True, aggregator="sum")
    qty_count_loss = fields.Float(string="Count loss", readonly=True, aggregator="sum")
    qty_net = fields.Float(string="Net change", readonly=True, aggregator="sum")
    closing_qty = fields.Float(string="Closing on hand", readonly=True, aggregator="sum")
    value_sold = fields.Float(string="Sales (list price)", readonly=True, aggregator="sum")
    value_returned = fields.Float(
        string="Returns (list price)", readonly=True, aggregator="sum"
    )
    cost_sold = fields.Float(string="Cost of sales", readonly=True, aggregator="sum")
    value_count_diff = fields.Float(
        string="Count difference (cost)", readonly=True, aggregator="sum"
    )
    value_scrapped = fields.Float(string="Scrapped (cost)", readonly=True, aggregator="sum")

    def init(self):
        ensure_rollups(self.env.cr)
