# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

from .own_table import ensure_table
from .rrs_event import OPERATIONS

# ingest_core/odoo/tables.py, ADDON_TABLES["rrs_training_read"]: same columns, types,
# NOT NULL flags, no foreign key, and the named constraint.
TABLE_DDL = (
    """
    CREATE TABLE IF NOT EXISTS rrs_training_read (
        id serial PRIMARY KEY,
        device_id integer NOT NULL,
        read_key varchar NOT NULL,
        read_at timestamp,
        received_at timestamp,
        operation varchar NOT NULL,
        code varchar,
        product_id integer NOT NULL,
        lot_name varchar,
        quantity numeric,
        location_id integer NOT NULL,
        location_dest_id integer NOT NULL,
        warehouse_id integer,
        company_id integer NOT NULL,
        create_uid integer,
        create_date timestamp,
        write_uid integer,
        write_date timestamp,
        CONSTRAINT rrs_training_read_device_key_uniq UNIQUE (device_id, read_key)
    )
    """,
    "COMMENT ON TABLE rrs_training_read IS 'Retail Stock Training Read'",
)


class RrsTrainingRead(models.Model):
    """A read of a device in training: checked like any other, never applied.

    Written by the ingest with plain SQL instead of an event: no stock move, no
    quant, no lot and no figure of the analysis comes from it
    (``docs/decisions/training-mode.md``). Trainers read it to see what new
    staff scanned and what it would have done.
    """

    _name = "rrs.training.read"
    _description = "Retail Stock Training Read"
    _auto = False
    _order = "id desc"
    _rec_name = "read_key"

    device_id = fields.Many2one(comodel_name="rrs.device", required=True, readonly=True)
    read_key = fields.Char(required=True, readonly=True)
    read_at = fields.Datetime(readonly=True, help="When the device read the code.")
    received_at = fields.Datetime(readonly=True, help="When the ingest received the read.")
    operation = fields.Selection(selection=OPERATIONS, required=True, readonly=True)
    code = fields.Char(readonly=True, help="The code as the device read it.")
    product_id = fields.Many2one(comodel_name="product.product", required=True, readonly=True)
    lot_name = fields.Char(string="Lot", readonly=True)
    quantity = fields.Float(
        digits="Product Unit of Measure",
        readonly=True,
        help="What the read would have moved; for a count, the quantity counted.",
    )
    location_id = fields.Many2one(
        comodel_name="stock.location", string="Would move from", required=True, readonly=True
    )
    location_dest_id = fields.Many2one(
        comodel_name="stock.location", string="Would move to", required=True, readonly=True
    )
    warehouse_id = fields.Many2one(comodel_name="stock.warehouse", string="Store", readonly=True)
    company_id = fields.Many2one(comodel_name="res.company", required=True, readonly=True)

    def init(self):
        ensure_table(self.env.cr, self._table, TABLE_DDL)
