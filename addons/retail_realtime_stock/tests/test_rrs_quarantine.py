# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.exceptions import UserError

from .common import RrsCommon


class TestRrsQuarantine(RrsCommon):
    def _last_message_body(self, record):
        return str(record.message_ids.sorted("id")[-1:].body)

    def test_replay_marks_and_logs(self):
        """Replay hands the read to the ingest (state replay) and logs a message."""
        self.quarantine_s01.with_user(self.manager).action_replay()
        self.assertEqual(self.quarantine_s01.state, "replay", "state should be replay")
        self.assertIn("Replay requested", self._last_message_body(self.quarantine_s01), "logged")

    def test_discard_marks_and_logs(self):
        """Discard marks the read discarded and logs a message."""
        self.quarantine_s01.with_user(self.manager).action_discard()
        self.assertEqual(self.quarantine_s01.state, "discarded", "state should be discarded")
        self.assertIn("discarded", self._last_message_body(self.quarantine_s01), "logged")

    def test_handled_read_cannot_be_handled_again(self):
        """A replayed or discarded read cannot be replayed or discarded again."""
        self.quarantine_s01.action_discard()
        with self.assertRaises(UserError, msg="discarded read cannot be replayed"):
            self.quarantine_s01.action_replay()
        with self.assertRaises(UserError, msg="discarded read cannot be discarded again"):
            self.quarantine_s01.action_discard()

    def test_raw_is_kept_as_json(self):
        """The read as sent is stored as jsonb and shown pretty-printed."""
        self.env.flush_all()
        self.cr.execute(
            "SELECT jsonb_typeof(raw), raw->>'op' FROM rrs_quarantine WHERE id = %s",
            [self.quarantine_s01.id],
        )
        self.assertEqual(self.cr.fetchone(), ("object", "sale"), "raw should be a jsonb object")
        self.assertIn('"op": "sale"', self.quarantine_s01.raw_display, "raw shown as JSON")
