# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

from .rollup_tables import ensure_rollups


class RrsSalesHourly(models.Model):
    """One hour of one store's sales (local time), rolled up from the done moves."""

    _name = "rrs.sales.hourly"
    _description = "Retail Stock Hourly Sales Rollup"
    _auto = False
    _order = "hour desc, id desc"
    _rec_name = "hour"

    hour = fields.Datetime(required=True, readonly=True)
    warehouse_id = fields.Many2one(
        comodel_name="stock.warehouse", string="Store", readonly=True
    )
    company_id = fields.Many2one(comodel_name="res.company", readonly=True)
    qty_sold = fields.Float(string="Sold", readonly=True, aggregator="sum")
    qty_returned = fields.Float(string="Returned", readonly=True, aggregator="sum")
    value_sold = fields.Float(string="Sales (list price)", readonly=True, aggregator="sum")
    value_returned = fields.Float(
        string="Returns (list price)", readonly=True, aggregator="sum"
    )

    def init(self):
        ensure_rollups(self.env.cr)
