# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo import fields, models

from .own_table import MAGIC_COLUMNS, ensure_table

TABLE_DDL = (
    f"""
    CREATE TABLE IF NOT EXISTS rrs_epc (
        id serial PRIMARY KEY,
        epc varchar NOT NULL,
        product_id integer,
        lot_id integer,
        state varchar NOT NULL,
        location_id integer,
        last_seen timestamp,
        last_device_id integer
            CONSTRAINT rrs_epc_last_device_id_fkey REFERENCES rrs_device (id)
            ON DELETE SET NULL,{MAGIC_COLUMNS},
        CONSTRAINT rrs_epc_epc_uniq UNIQUE (epc)
    )
    """,
    "COMMENT ON TABLE rrs_epc IS 'Retail Stock RFID Tag'",
    "CREATE INDEX IF NOT EXISTS rrs_epc_location_state_idx ON rrs_epc (location_id, state)",
)


class RrsEpc(models.Model):
    """An RFID tag (EPC) and where it is: the ingest moves each tag exactly once by state."""

    _name = "rrs.epc"
    _description = "Retail Stock RFID Tag"
    _auto = False
    _order = "last_seen desc, id desc"
    _rec_name = "epc"

    epc = fields.Char(string="EPC", required=True, readonly=True)
    product_id = fields.Many2one(comodel_name="product.product", readonly=True)
    lot_id = fields.Many2one(comodel_name="stock.lot", readonly=True)
    state = fields.Selection(
        selection=[
            ("in_stock", "In stock"),
            ("received", "Received"),
            ("sold", "Sold"),
            ("shrink", "Written off"),
        ],
        required=True,
        readonly=True,
    )
    location_id = fields.Many2one(comodel_name="stock.location", readonly=True)
    last_seen = fields.Datetime(readonly=True)
    last_device_id = fields.Many2one(
        comodel_name="rrs.device", string="Last reader", ondelete="set null", readonly=True
    )

    _sql_constraints = [
        ("epc_uniq", "unique(epc)", "An EPC is known once."),
    ]

    def init(self):
        ensure_table(self.env.cr, self._table, TABLE_DDL, keep=["rrs_epc_last_device_id_fkey"])

    def action_rrs_epcis_events(self):
        """The EPCIS events of the tag: its reads, and what the counts saw of it.

        The window is the 31 days up to a day after the tag was last seen (a count
        that saw it closes after the read), or up to now.
        """
        self.ensure_one()
        now = fields.Datetime.now()
        until = min(now, (self.last_seen or now) + timedelta(days=1)) + timedelta(seconds=1)
        query = {"MATCH_epc": self.epc}
        if self.product_id:
            query["EQ_rtstock_product"] = str(self.product_id.id)
        return self.env["rrs.epcis.event.wizard"]._rrs_open(
            self.epc, query, until - timedelta(days=31), until
        )
