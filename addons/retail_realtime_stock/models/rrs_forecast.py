# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

from .own_table import MAGIC_COLUMNS, ensure_table

# ingest_core/odoo/tables.py, ADDON_TABLES["rrs_forecast"]: same columns, no foreign key.
TABLE_DDL = (
    f"""
    CREATE TABLE IF NOT EXISTS rrs_forecast (
        id serial PRIMARY KEY,
        product_id integer NOT NULL,
        warehouse_id integer NOT NULL,
        company_id integer NOT NULL,
        date date NOT NULL,
        mean numeric NOT NULL,
        lo80 numeric,
        hi80 numeric,
        lo95 numeric,
        hi95 numeric,
        model varchar NOT NULL,
        made_at timestamp NOT NULL,{MAGIC_COLUMNS}
    )
    """,
    "COMMENT ON TABLE rrs_forecast IS 'Retail Stock Demand Forecast'",
    "CREATE INDEX IF NOT EXISTS rrs_forecast_series_idx ON rrs_forecast "
    "(product_id, warehouse_id, date)",
)


class RrsForecast(models.Model):
    """Daily demand forecast of a product in a store, written by ``rtstock forecast run``.

    One forecast per product and store: a new run replaces the previous one.
    """

    _name = "rrs.forecast"
    _description = "Retail Stock Demand Forecast"
    _auto = False
    _order = "warehouse_id, product_id, date"
    _rec_name = "date"

    product_id = fields.Many2one(comodel_name="product.product", readonly=True)
    warehouse_id = fields.Many2one(
        comodel_name="stock.warehouse", string="Store", readonly=True
    )
    company_id = fields.Many2one(comodel_name="res.company", readonly=True)
    date = fields.Date(readonly=True)
    mean = fields.Float(string="Forecast", readonly=True)
    lo80 = fields.Float(string="Low (80 %)", readonly=True)
    hi80 = fields.Float(string="High (80 %)", readonly=True)
    lo95 = fields.Float(string="Low (95 %)", readonly=True)
    hi95 = fields.Float(string="High (95 %)", readonly=True)
    model = fields.Char(readonly=True)
    made_at = fields.Datetime(string="Made at", readonly=True)

    def init(self):
        ensure_table(self.env.cr, self._table, TABLE_DDL)
