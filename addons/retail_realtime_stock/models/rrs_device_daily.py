# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

from .own_table import MAGIC_COLUMNS, ensure_table

# ingest_core/odoo/tables.py, ADDON_TABLES["rrs_device_daily"]: same columns, no foreign key.
TABLE_DDL = (
    f"""
    CREATE TABLE IF NOT EXISTS rrs_device_daily (
        id serial PRIMARY KEY,
        device_id integer NOT NULL,
        day date NOT NULL,
        applied integer NOT NULL,
        duplicate integer NOT NULL,
        rejected integer NOT NULL,{MAGIC_COLUMNS},
        CONSTRAINT rrs_device_daily_device_day_uniq UNIQUE (device_id, day)
    )
    """,
    "COMMENT ON TABLE rrs_device_daily IS 'Retail Stock Device Reads per Day'",
)


class RrsDeviceDaily(models.Model):
    """A device's reads of one day (UTC) by what became of them: the device health report's
    figures. The ingest adds to them every few seconds, outside its stock transaction;
    a replayed read counts again on the day of its replay."""

    _name = "rrs.device.daily"
    _description = "Retail Stock Device Reads per Day"
    _auto = False
    _order = "day desc, device_id"
    _rec_name = "day"

    device_id = fields.Many2one(comodel_name="rrs.device", readonly=True)
    day = fields.Date(readonly=True)
    applied = fields.Integer(readonly=True)
    duplicate = fields.Integer(readonly=True)
    rejected = fields.Integer(readonly=True)

    def init(self):
        ensure_table(self.env.cr, self._table, TABLE_DDL)
