# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models
from odoo.tools.sql import create_index

OPERATIONS = [
    ("sale", "Sale"),
    ("return", "Return"),
    ("receipt", "Receipt"),
    ("transfer_out", "Transfer out"),
    ("transfer_in", "Transfer in"),
    ("scrap", "Scrap"),
    ("count", "Count"),
]


class RrsEvent(models.Model):
    """One applied device read.

    Rows are written by the ingest service with plain SQL (see
    ``docs/architecture.md``, "Add-on tables the ingest uses"): keep the
    columns in step with ``ingest_core/odoo/tables.py``.
    """

    _name = "rrs.event"
    _description = "Retail Stock Event"
    _order = "id desc"
    _rec_name = "read_key"

    device_id = fields.Many2one(
        comodel_name="rrs.device", required=True, ondelete="restrict", readonly=True
    )
    read_key = fields.Char(required=True, readonly=True)
    read_at = fields.Datetime(readonly=True, help="When the device read the code.")
    received_at = fields.Datetime(
        default=fields.Datetime.now, readonly=True, help="When the ingest received the read."
    )
    operation = fields.Selection(selection=OPERATIONS, required=True, readonly=True)
    code = fields.Char(readonly=True, help="The code as the device read it.")
    product_id = fields.Many2one(
        comodel_name="product.product", required=True, ondelete="restrict", readonly=True
    )
    lot_id = fields.Many2one(comodel_name="stock.lot", ondelete="restrict", readonly=True)
    quantity = fields.Float(digits="Product Unit of Measure", readonly=True)
    location_id = fields.Many2one(
        comodel_name="stock.location",
        string="From",
        required=True,
        ondelete="restrict",
        readonly=True,
    )
    location_dest_id = fields.Many2one(
        comodel_name="stock.location",
        string="To",
        required=True,
        ondelete="restrict",
        readonly=True,
    )
    picking_type_id = fields.Many2one(
        comodel_name="stock.picking.type", ondelete="restrict", readonly=True
    )
    warehouse_id = fields.Many2one(
        comodel_name="stock.warehouse", string="Store", ondelete="restrict", readonly=True
    )
    company_id = fields.Many2one(
        comodel_name="res.company", required=True, ondelete="restrict", readonly=True
    )
    move_id = fields.Many2one(
        comodel_name="stock.move",
        string="Stock move",
        ondelete="set null",
        readonly=True,
        help="Empty until the ingest journal has turned the read into a stock move.",
    )

    _sql_constraints = [
        (
            "device_key_uniq",
            "unique(device_id, read_key)",
            "A device read is applied only once.",
        ),
    ]

    def init(self):
        # The ingest journal scans the events that have no move yet.
        create_index(
            self._cr,
            "rrs_event_move_id_null_idx",
            self._table,
            ["id"],
            where="move_id IS NULL",
        )
