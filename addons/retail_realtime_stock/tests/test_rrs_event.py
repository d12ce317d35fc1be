# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from psycopg2 import IntegrityError

from odoo.tools import mute_logger

from .common import RrsCommon

# The columns the ingest service writes with plain SQL (docs/architecture.md,
# "Add-on tables the ingest uses"): name -> information_schema data_type.
MAGIC = {
    "id": "integer",
    "create_uid": "integer",
    "create_date": "timestamp without time zone",
    "write_uid": "integer",
    "write_date": "timestamp without time zone",
}
EXPECTED_COLUMNS = {
    "rrs_device": {
        "name": "character varying",
        "kind": "character varying",
        "warehouse_id": "integer",
        "location_id": "integer",
        "company_id": "integer",
        "active": "boolean",
        "token_hash": "character varying",
        "token_hint": "character varying",
        "allow_sale": "boolean",
        "allow_return": "boolean",
        "allow_receipt": "boolean",
        "allow_transfer_out": "boolean",
        "allow_transfer_in": "boolean",
        "allow_scrap": "boolean",
        "allow_count": "boolean",
        "last_seen": "timestamp without time zone",
        "last_error": "character varying",
        "unknown_tags": "integer",
        "rfid_role": "character varying",
        "rfid_antenna_zones": "character varying",
        "training": "boolean",
    },
    "rrs_event": {
        "device_id": "integer",
        "read_key": "character varying",
        "read_at": "timestamp without time zone",
        "received_at": "timestamp without time zone",
        "operation": "character varying",
        "code": "character varying",
        "product_id": "integer",
        "lot_id": "integer",
        "quantity": "numeric",
        "location_id": "integer",
        "location_dest_id": "integer",
        "picking_type_id": "integer",
        "warehouse_id": "integer",
        "company_id": "integer",
        "batch_id": "integer",
    },
    "rrs_training_read": {
        "device_id": "integer",
        "read_key": "character varying",
        "read_at": "timestamp without time zone",
        "received_at": "timestamp without time zone",
        "operation": "character varying",
        "code": "character varying",
        "product_id": "integer",
        "lot_name": "character varying",
        "quantity": "numeric",
        "location_id": "integer",
        "location_dest_id": "integer",
        "warehouse_id": "integer",
        "company_id": "integer",
    },
    "rrs_quarantine": {
        "device_id": "integer",
        "read_key": "character varying",
        "raw": "jsonb",
        "reason_code": "character varying",
        "reason": "character varying",
        "received_at": "timestamp without time zone",
        "state": "character varying",
        "event_id": "integer",
    },
    "rrs_count_session": {
        "name": "character varying",
        "warehouse_id": "integer",
        "location_id": "integer",
        "company_id": "integer",
        "device_id": "integer",
        "state": "character varying",
        "started_at": "timestamp without time zone",
        "closed_at": "timestamp without time zone",
        "auto_apply": "boolean",
        "user_id": "integer",
        "training": "boolean",
    },
    "rrs_count_epc": {
        "session_id": "integer",
        "epc": "character varying",
        "product_id": "integer",
        "lot_id": "integer",
        "seen_at": "timestamp without time zone",
    },
    "rrs_epc": {
        "epc": "character varying",
        "product_id": "integer",
        "lot_id": "integer",
        "state": "character varying",
        "location_id": "integer",
        "last_seen": "timestamp without time zone",
        "last_device_id": "integer",
    },
    "rrs_count_line": {
        "session_id": "integer",
        "product_id": "integer",
        "lot_id": "integer",
        "location_id": "integer",
        "expected": "numeric",
        "counted": "numeric",
    },
}


class TestRrsEvent(RrsCommon):
    def test_tables_match_architecture(self):
        """The add-on tables have exactly the columns the ingest expects."""
        for table, columns in EXPECTED_COLUMNS.items():
            self.cr.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = %s",
                [table],
            )
            self.assertEqual(
                dict(self.cr.fetchall()),
                {**columns, **MAGIC},
                f"columns of {table} should match docs/architecture.md",
            )

    def test_duplicate_read_key_rejected(self):
        """A device read key is stored only once."""
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            self._create_event(self.device_s01, self.event_s01.read_key)
            self.env.flush_all()

    def test_same_key_on_other_device_accepted(self):
        """Read keys are unique per device, not globally."""
        event = self._create_event(self.device_s02, self.event_s01.read_key)
        self.env.flush_all()
        self.assertTrue(event.exists(), "same key on another device should be accepted")

    def test_journal_queue_index_exists(self):
        """The journal finds its pending batches through a partial index."""
        self.cr.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'rrs_event_batch_pending_idx'"
        )
        row = self.cr.fetchone()
        self.assertTrue(row, "rrs_event_batch_pending_idx should exist")
        self.assertIn("WHERE (move_ids IS NULL)", row[0], "index covers the pending batches")

    def _create_move(self):
        return self.env["stock.move"].create(
            {
                "name": "link",
                "product_id": self.product.id,
                "product_uom_qty": 1.0,
                "location_id": self.device_s01.location_id.id,
                "location_dest_id": self.customer_location.id,
            }
        )

    def test_upgrade_from_move_id_column_keeps_links(self):
        """18.0.1.0.0 linked events through rrs_event.move_id: the upgrade keeps the links."""
        move = self._create_move()
        self.cr.execute("ALTER TABLE rrs_event ADD COLUMN move_id integer")
        self.cr.execute(
            "UPDATE rrs_event SET move_id = %s WHERE id = %s", [move.id, self.event_s01.id]
        )
        self.env["rrs.event"].init()
        self.env.invalidate_all()
        self.assertEqual(self.event_s01.move_id, move, "the old link is a batch row now")
        self.assertFalse(self.event_s02.move_id, "an event without move still has none")
        self.assertIn(
            self.event_s02,
            self.env["rrs.event"].search([("move_id", "=", False)]),
            "and is in the journal's queue",
        )
        self.cr.execute(
            """SELECT 1 FROM information_schema.columns
                WHERE table_name = 'rrs_event' AND column_name = 'move_id'"""
        )
        self.assertFalse(self.cr.fetchone(), "the old column is dropped")

    def test_move_link_reads_and_searches_through_batches(self):
        """An event's move comes from its journaled batch; both ways of searching work."""
        move = self._create_move()
        event = self.event_s01
        Event = self.env["rrs.event"]
        self.assertFalse(event.move_id, "no move before the journal")
        self.assertIn(event, Event.search([("move_id", "=", False)]), "waiting for a move")
        self.cr.execute(
            """INSERT INTO rrs_event_batch (event_ids, received_at)
               VALUES (%s, now()) RETURNING id""",
            [[event.id]],
        )
        batch = self.cr.fetchone()[0]
        self.cr.execute("UPDATE rrs_event SET batch_id = %s WHERE id = %s", [batch, event.id])
        event.invalidate_recordset()
        self.assertIn(event, Event.search([("move_id", "=", False)]), "pending batch: no move")
        self.cr.execute(
            "UPDATE rrs_event_batch SET move_ids = %s WHERE id = %s", [[move.id], batch]
        )
        event.invalidate_recordset()
        move.invalidate_recordset()
        self.assertEqual(event.move_id, move, "the journaled batch names the move")
        self.assertEqual(move.rrs_event_ids, event, "and the move lists the event")
        self.assertEqual(Event.search([("move_id", "=", move.id)]), event, "search by move")
        self.assertNotIn(event, Event.search([("move_id", "=", False)]), "no longer waiting")
        self.assertIn(event, Event.search([("move_id", "!=", False)]), "has a move")

    def test_no_foreign_key(self):
        """The event log enforces no reference (docs/decisions/event-log.md)."""
        self.cr.execute(
            """SELECT a.attname FROM pg_constraint c
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                WHERE c.contype = 'f' AND c.conrelid = 'rrs_event'::regclass"""
        )
        self.assertEqual([row[0] for row in self.cr.fetchall()], [], "no FK on rrs_event")

    def test_upgrade_keeps_declared_schema(self):
        """Running init again (module upgrade) adds no foreign key and keeps the index."""
        self.env["rrs.event"].init()
        self.env["rrs.quarantine"].init()
        self.test_no_foreign_key()
        self.test_journal_queue_index_exists()

    def test_links_without_foreign_key(self):
        """Many2one fields without constraint still search and group by."""
        events = self.env["rrs.event"].search(
            [
                ("product_id.barcode", "=", self.product.barcode),
                ("device_id", "=", self.device_s01.id),
            ]
        )
        self.assertEqual(events, self.event_s01, "search through product_id should work")
        groups = self.env["rrs.event"].read_group(
            [("id", "in", (self.event_s01 | self.event_s02).ids)],
            ["quantity:sum"],
            ["warehouse_id"],
        )
        self.assertEqual(len(groups), 2, "one group per store")

    def test_unique_constraint_name(self):
        """The unique constraint has the name the ingest's schema uses."""
        self.cr.execute(
            "SELECT 1 FROM pg_constraint WHERE conname = 'rrs_event_device_key_uniq' "
            "AND contype = 'u'"
        )
        self.assertTrue(self.cr.fetchone(), "rrs_event_device_key_uniq should exist")

    def test_quantity_keeps_uom_precision(self):
        """Quantities are kept with the product UoM precision."""
        event = self._create_event(self.device_s01, "S01-SCN-1:000099", quantity=2.5)
        self.env.flush_all()
        event.invalidate_recordset()
        self.assertEqual(event.quantity, 2.5, "quantity should round-trip")
