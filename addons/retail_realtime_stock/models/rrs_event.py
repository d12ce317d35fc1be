# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models

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


# ingest_core/odoo/tables.py, ADDON_TABLES["rrs_event"] and ["rrs_event_batch"]: same
# columns, types, NOT NULL flags, no foreign key, and the named objects.
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
        batch_id integer,
        create_uid integer,
        create_date timestamp,
        write_uid integer,
        write_date timestamp,
        CONSTRAINT rrs_event_device_key_uniq UNIQUE (device_id, read_key)
    )
    """,
    "COMMENT ON TABLE rrs_event IS 'Retail Stock Event'",
    "ALTER TABLE rrs_event ADD COLUMN IF NOT EXISTS batch_id integer",
    # 18.0.1.8.0: RFID exit reads booked as losses, for the dashboard's shrink figure.
    "CREATE INDEX IF NOT EXISTS rrs_event_rfid_shrink_idx ON rrs_event (warehouse_id, read_at) "
    "WHERE read_key ~ '^epc:.+:shrink$'",
    # The journal's queue and the events' links to their moves: one row per insert of
    # events, never an update of the event log (docs/decisions/event-log.md).
    """
    CREATE TABLE IF NOT EXISTS rrs_event_batch (
        id serial PRIMARY KEY,
        event_ids integer[] NOT NULL,
        move_ids integer[],
        received_at timestamp NOT NULL,
        done_at timestamp,
        valued_at timestamp,
        virtual_by_journal boolean
    )
    """,
    # 18.0.1.2.0: true when the journal, not the writer, moves the quants of the events'
    # virtual locations (null on older batches: the writer moved both sides).
    "ALTER TABLE rrs_event_batch ADD COLUMN IF NOT EXISTS virtual_by_journal boolean",
    """
    CREATE INDEX IF NOT EXISTS rrs_event_batch_pending_idx ON rrs_event_batch (id)
        WHERE move_ids IS NULL
    """,
    """
    CREATE INDEX IF NOT EXISTS rrs_event_batch_unvalued_idx ON rrs_event_batch (id)
        WHERE move_ids IS NOT NULL AND valued_at IS NULL
    """,
    """
    CREATE INDEX IF NOT EXISTS rrs_event_batch_move_ids_idx ON rrs_event_batch
        USING gin (move_ids)
    """,
    """
    CREATE OR REPLACE VIEW rrs_event_move AS
        SELECT x.event_id, x.move_id, b.id AS batch_id
          FROM rrs_event_batch b, unnest(b.event_ids, b.move_ids) AS x(event_id, move_id)
         WHERE b.move_ids IS NOT NULL
    """,
)

# Version 18.0.1.0.0 linked each event to its move in rrs_event.move_id, found
# pending events through a partial index, and updated every event once: the links
# become batch rows (pending events one pending batch), then the column goes.
MIGRATE_MOVE_ID = (
    """
    INSERT INTO rrs_event_batch (event_ids, move_ids, received_at, done_at)
    SELECT array_agg(id ORDER BY id), array_agg(move_id ORDER BY id),
           coalesce(min(received_at), now() AT TIME ZONE 'UTC'), now() AT TIME ZONE 'UTC'
      FROM rrs_event WHERE move_id IS NOT NULL GROUP BY id / 10000 ORDER BY id / 10000
    """,
    """
    INSERT INTO rrs_event_batch (event_ids, received_at)
    SELECT array_agg(id ORDER BY id), coalesce(min(received_at), now() AT TIME ZONE 'UTC')
      FROM rrs_event WHERE move_id IS NULL AND quantity <> 0
     GROUP BY id / 10000 ORDER BY id / 10000
    """,
    """
    UPDATE rrs_event e SET batch_id = x.batch
      FROM (SELECT b.id AS batch, unnest(b.event_ids) AS event FROM rrs_event_batch b) x
     WHERE e.id = x.event AND e.batch_id IS NULL
    """,
    "DROP INDEX IF EXISTS rrs_event_move_id_null_idx",
    "ALTER TABLE rrs_event DROP COLUMN move_id",
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
    batch_id = fields.Integer(
        readonly=True, help="The insert the event came with (journal queue and move link)."
    )
    move_id = fields.Many2one(
        comodel_name="stock.move",
        string="Stock move",
        compute="_compute_move_id",
        inverse="_inverse_move_id",
        search="_search_move_id",
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
        cr = self.env.cr
        ensure_table(cr, self._table, TABLE_DDL)
        cr.execute(
            """SELECT 1 FROM information_schema.columns
                WHERE table_name = 'rrs_event' AND column_name = 'move_id'"""
        )
        if cr.fetchone():
            for statement in MIGRATE_MOVE_ID:
                cr.execute(statement)

    def _compute_move_id(self):
        moves = {}
        if self.ids:
            self.env.cr.execute(
                "SELECT event_id, move_id FROM rrs_event_move WHERE batch_id IN "
                "(SELECT batch_id FROM rrs_event WHERE id = ANY(%s)) AND event_id = ANY(%s)",
                [self.ids, self.ids],
            )
            moves = dict(self.env.cr.fetchall())
        for event in self:
            event.move_id = moves.get(event.id, False)

    def _inverse_move_id(self):
        """Link events to a move by hand (tests, repairs): a journaled batch of their own."""
        self.flush_recordset()
        for move, events in self.grouped("move_id").items():
            if not move:
                continue
            self.env.cr.execute(
                """INSERT INTO rrs_event_batch (event_ids, move_ids, received_at, done_at)
                   VALUES (%s, %s, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')
                   RETURNING id""",
                [events.ids, [move.id] * len(events)],
            )
            batch = self.env.cr.fetchone()[0]
            self.env.cr.execute(
                "UPDATE rrs_event SET batch_id = %s WHERE id = ANY(%s)", [batch, events.ids]
            )
        self.invalidate_recordset(["batch_id"])

    def _search_move_id(self, operator, value):
        if operator in ("=", "!=") and not value:
            self.env.cr.execute("SELECT id FROM rrs_event_batch WHERE move_ids IS NULL")
            pending = [row[0] for row in self.env.cr.fetchall()]
            without = [
                "|",
                "|",
                ("batch_id", "=", False),
                ("batch_id", "in", pending),
                ("quantity", "=", 0),
            ]
            return without if operator == "=" else ["!", *without]
        if operator in ("=", "in"):
            move_ids = value if isinstance(value, list | tuple) else [value]
            events = self._events_by_move(move_ids).values()
            return [("id", "in", [event for ids in events for event in ids])]
        raise NotImplementedError(f"move_id {operator} {value!r} is not searchable")

    @api.model
    def _events_by_move(self, move_ids):
        """{move id: [event ids]} from the journaled batches (GIN index on ``move_ids``)."""
        if not move_ids:
            return {}
        self.env.cr.execute(
            """SELECT x.move_id, array_agg(x.event_id ORDER BY x.event_id)
                 FROM rrs_event_batch b,
                      unnest(b.event_ids, b.move_ids) AS x(event_id, move_id)
                WHERE b.move_ids && %s::int[] AND x.move_id = ANY(%s)
                GROUP BY x.move_id""",
            [list(move_ids), list(move_ids)],
        )
        return dict(self.env.cr.fetchall())
