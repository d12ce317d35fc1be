# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models
from odoo.tools import SQL

from .rollup_tables import ensure_rollups

WEEKDAYS = [
    ("1", "Monday"),
    ("2", "Tuesday"),
    ("3", "Wednesday"),
    ("4", "Thursday"),
    ("5", "Friday"),
    ("6", "Saturday"),
    ("7", "Sunday"),
]


class RrsSalesAnalysis(models.Model):
    """Sales and stock analysis: the daily rollup with the product's template and category.

    An SQL view over ``rrs_stock_daily`` (as ``point_of_sale``'s
    ``report.pos.order`` is over the order lines): the columns the pivot groups
    by (category, template, weekday) and the derived measures (net sales,
    margin, shrink) are real columns of the view, so that grouping and summing
    happen in PostgreSQL. A row has the id of its ``rrs.stock.daily`` row.
    """

    _name = "rrs.sales.analysis"
    _inherit = ["rrs.rollup.drill.mixin"]
    _description = "Retail Sales and Stock Analysis"
    _auto = False
    _order = "day desc, id desc"
    _rec_name = "day"

    day = fields.Date(readonly=True)
    weekday = fields.Selection(selection=WEEKDAYS, readonly=True)
    product_id = fields.Many2one(comodel_name="product.product", readonly=True)
    product_tmpl_id = fields.Many2one(
        comodel_name="product.template", string="Product Template", readonly=True
    )
    categ_id = fields.Many2one(
        comodel_name="product.category", string="Product Category", readonly=True
    )
    location_id = fields.Many2one(comodel_name="stock.location", readonly=True)
    warehouse_id = fields.Many2one(comodel_name="stock.warehouse", string="Store", readonly=True)
    company_id = fields.Many2one(comodel_name="res.company", readonly=True)
    qty_sold = fields.Float(string="Units sold", readonly=True, aggregator="sum")
    qty_returned = fields.Float(string="Units returned", readonly=True, aggregator="sum")
    qty_net_sold = fields.Float(string="Net units sold", readonly=True, aggregator="sum")
    qty_received = fields.Float(string="Received", readonly=True, aggregator="sum")
    qty_transfer_in = fields.Float(string="Transferred in", readonly=True, aggregator="sum")
    qty_transfer_out = fields.Float(string="Transferred out", readonly=True, aggregator="sum")
    qty_scrapped = fields.Float(string="Scrapped", readonly=True, aggregator="sum")
    qty_count_gain = fields.Float(string="Count gain", readonly=True, aggregator="sum")
    qty_count_loss = fields.Float(string="Count loss", readonly=True, aggregator="sum")
    qty_net = fields.Float(string="Net stock change", readonly=True, aggregator="sum")
    closing_qty = fields.Float(
        string="Closing on hand",
        readonly=True,
        aggregator="sum",
        help="On hand at the end of the day. Summed over products and locations of "
        "one day; summed over several days it means nothing: group by day.",
    )
    value_sold = fields.Float(string="Sales (list price)", readonly=True, aggregator="sum")
    value_returned = fields.Float(string="Returns (list price)", readonly=True, aggregator="sum")
    value_net_sold = fields.Float(string="Net sales", readonly=True, aggregator="sum")
    cost_sold = fields.Float(string="Cost of sales", readonly=True, aggregator="sum")
    margin = fields.Float(readonly=True, aggregator="sum", help="Net sales minus their cost.")
    value_count_diff = fields.Float(
        string="Count difference (cost)", readonly=True, aggregator="sum"
    )
    value_scrapped = fields.Float(string="Scrapped (cost)", readonly=True, aggregator="sum")
    value_shrink = fields.Float(
        string="Shrink (cost)",
        readonly=True,
        aggregator="sum",
        help="Scrapped goods plus the day's net count loss, at cost.",
    )

    def _query(self):
        return SQL(
            """
            SELECT d.id, d.day, extract(isodow FROM d.day)::varchar AS weekday,
                   d.product_id, p.product_tmpl_id, t.categ_id,
                   d.location_id, d.warehouse_id, d.company_id,
                   d.qty_sold, d.qty_returned, d.qty_sold - d.qty_returned AS qty_net_sold,
                   d.qty_received, d.qty_transfer_in, d.qty_transfer_out, d.qty_scrapped,
                   d.qty_count_gain, d.qty_count_loss, d.qty_net, d.closing_qty,
                   d.value_sold, d.value_returned,
                   d.value_sold - d.value_returned AS value_net_sold, d.cost_sold,
                   d.value_sold - d.value_returned - d.cost_sold AS margin,
                   d.value_count_diff, d.value_scrapped,
                   d.value_scrapped + greatest(-d.value_count_diff, 0) AS value_shrink
              FROM rrs_stock_daily d
              JOIN product_product p ON p.id = d.product_id
              JOIN product_template t ON t.id = p.product_tmpl_id
            """
        )

    def init(self):
        cr = self.env.cr
        cr.execute("SELECT to_regclass('rrs_stock_daily') IS NULL")
        if cr.fetchone()[0]:
            ensure_rollups(cr)
        cr.execute(
            SQL(
                "CREATE OR REPLACE VIEW %s AS (%s)",
                SQL.identifier(self._table),
                self._query(),
            )
        )
