# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models
from odoo.tools import SQL

from .rollup_tables import ensure_rollups
from .rrs_sales_analysis import WEEKDAYS

HOURS = [(str(hour), f"{hour:02d}:00") for hour in range(24)]


class RrsSalesHourAnalysis(models.Model):
    """Intraday sales: the hourly rollup with its local day, weekday and hour of day.

    The rollup's ``hour`` is already local time (the rollups' zone); Odoo
    would shift a Datetime once more into the user's zone, so the pivot groups
    by these plain columns instead: hour of day × weekday is the store's
    traffic heatmap.
    """

    _name = "rrs.sales.hour.analysis"
    _description = "Retail Intraday Sales Analysis"
    _auto = False
    _order = "day desc, hour_of_day desc, id desc"
    _rec_name = "day"

    day = fields.Date(readonly=True)
    weekday = fields.Selection(selection=WEEKDAYS, readonly=True)
    hour_of_day = fields.Selection(selection=HOURS, string="Hour", readonly=True)
    warehouse_id = fields.Many2one(comodel_name="stock.warehouse", string="Store", readonly=True)
    company_id = fields.Many2one(comodel_name="res.company", readonly=True)
    qty_sold = fields.Float(string="Units sold", readonly=True, aggregator="sum")
    qty_returned = fields.Float(string="Units returned", readonly=True, aggregator="sum")
    qty_net_sold = fields.Float(string="Net units sold", readonly=True, aggregator="sum")
    value_sold = fields.Float(string="Sales (list price)", readonly=True, aggregator="sum")
    value_returned = fields.Float(string="Returns (list price)", readonly=True, aggregator="sum")
    value_net_sold = fields.Float(string="Net sales", readonly=True, aggregator="sum")

    def init(self):
        cr = self.env.cr
        cr.execute("SELECT to_regclass('rrs_sales_hourly') IS NULL")
        if cr.fetchone()[0]:
            ensure_rollups(cr)
        cr.execute(
            SQL(
                """
                CREATE OR REPLACE VIEW %s AS (
                    SELECT h.id, h.hour::date AS day,
                           extract(isodow FROM h.hour)::varchar AS weekday,
                           extract(hour FROM h.hour)::int::varchar AS hour_of_day,
                           h.warehouse_id, h.company_id,
                           h.qty_sold, h.qty_returned, h.qty_sold - h.qty_returned AS qty_net_sold,
                           h.value_sold, h.value_returned,
                           h.value_sold - h.value_returned AS value_net_sold
                      FROM rrs_sales_hourly h
                )
                """,
                SQL.identifier(self._table),
            )
        )
