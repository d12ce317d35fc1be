# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

from .own_table import ensure_table

OPERATIONS = [
    ("sale", "Sale"),
    ("return", "Return"),
    ("receipt", "Receipt"),
    ("transfer_out", "Transfer out"),
    ("transfer_in", "Transfer in"),
    ("scrap", "Scrap"),
    ("count", "Count"),
]


# ingest_core/odoo/tables.py, ADDON_TABLES["rrs_event"]: same columns, types,
# NOT NULL flags, no foreign key, and the two named objects.
TABLE_DDL = (
    """
    CREATE TABLE IF NOT EXISTS rrs_event (
        id serial PRIMARY KEY,
        device_id integer NOT NULL,
        read_key varchar NOT NULL,
        read_at timestamp,
        received_at timestamp,
        operation varchar NOT NULL,
        code varchar,
        product_id integer NOT NULL,
        lot_id integer,
        quantity numeric,
        location_id integer NOT NULL,
        location_dest_id integer NOT NULL,
        picking_type_id integer,
        warehouse_id integer,
        company_id integer NOT NULL,
        move_id integer,
        create_uid integer,
        create_date timestamp,
        write_uid integer,
        write_date timestamp,
        CONSTRAINT rrs_event_device_key_uniq UNIQUE (device_id, read_key)
    )
    """,
    "COMMENT ON TABLE rrs_event IS 'Retail Stock Event'",
    # The ingest journal scans the events that have no move yet.
    """
    CREATE INDEX IF NOT EXISTS rrs_event_move_id_null_idx ON rrs_event (id)
        WHERE move_id IS NULL AND quantity <> 0
    """,
)


class RrsEvent(models.Model):
    """One applied device read.

    Rows are written by the ingest service with plain SQL (see
    ``docs/architecture.md``, "Add-on tables the ingest uses"): keep the
    columns in step with ``ingest_core/odoo/tables.py``.

    The table is not Odoo's (``_auto = False``): it is created by ``init``
    with exactly the ingest's declaration, where no reference is an enforced
    foreign key (``docs/decisions/event-log.md``). The references stay
    ``Many2one`` fields for search, group by and links, without the
    constraints Odoo would otherwise add back on every upgrade; a device that
    has events cannot be deleted (``rrs.device``), only archived.
    """

    _name = "rrs.event"
    _description = "Retail Stock Event"
    _auto = False
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
        # The whole table, as ingest_core/odoo/tables.py declares it. Idempotent:
        # every statement is a no-op on a database that already has the object.
        ensure_table(self.env.cr, self._table, TABLE_DDL)
        # An earlier version indexed the journal's events without the quantity.
        self.env.cr.execute("SELECT pg_get_indexdef(to_regclass('rrs_event_move_id_null_idx'))")
        definition = self.env.cr.fetchone()[0]
        if definition and "quantity" not in definition:
            self.env.cr.execute("DROP INDEX rrs_event_move_id_null_idx")
            self.env.cr.execute(TABLE_DDL[-1])
