# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

from .own_table import MAGIC_COLUMNS, ensure_table

TABLE_DDL = (
    f"""
    CREATE TABLE IF NOT EXISTS rrs_count_epc (
        id serial PRIMARY KEY,
        session_id integer NOT NULL,
        epc varchar NOT NULL,
        product_id integer,
        lot_id integer,
        seen_at timestamp,{MAGIC_COLUMNS},
        CONSTRAINT rrs_count_epc_session_epc_uniq UNIQUE (session_id, epc)
    )
    """,
    "COMMENT ON TABLE rrs_count_epc IS 'Retail Stock Counted Tag'",
)


class RrsCountEpc(models.Model):
    """A distinct EPC a count session read (written by the ingest, own DDL, no FK)."""

    _name = "rrs.count.epc"
    _description = "Retail Stock Counted Tag"
    _auto = False
    _order = "id"
    _rec_name = "epc"

    session_id = fields.Many2one(comodel_name="rrs.count.session", required=True, readonly=True)
    epc = fields.Char(string="EPC", required=True, readonly=True)
    product_id = fields.Many2one(
        comodel_name="product.product",
        readonly=True,
        help="Empty: a GS1 tag of no product (listed as unexpected).",
    )
    lot_id = fields.Many2one(comodel_name="stock.lot", readonly=True)
    seen_at = fields.Datetime(readonly=True)

    _sql_constraints = [
        ("session_epc_uniq", "unique(session_id, epc)", "A tag is counted once per session."),
    ]

    def init(self):
        ensure_table(self.env.cr, self._table, TABLE_DDL)
