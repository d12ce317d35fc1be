# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import hashlib

from psycopg2 import IntegrityError

from odoo.exceptions import UserError, ValidationError
from odoo.tools import mute_logger

from .common import RrsCommon


class TestRrsDevice(RrsCommon):
    def test_location_defaults_to_store_stock(self):
        """A new device moves stock in its store's stock location."""
        self.assertEqual(
            self.device_s01.location_id,
            self.store_s01.lot_stock_id,
            "device location should default to the store's stock location",
        )
        self.assertEqual(self.device_s01.company_id, self.store_s01.company_id, "company of store")

    def test_generate_token_stores_hash_and_hint_only(self):
        """Generating a token keeps only its sha256 and first 6 characters."""
        action = self.device_s01.action_generate_token()
        token = action["context"]["default_token"]
        self.assertGreaterEqual(len(token), 40, "token_urlsafe(32) gives 43 characters")
        self.assertEqual(
            self.device_s01.sudo().token_hash,
            hashlib.sha256(token.encode()).hexdigest(),
            "the sha256 hex digest of the token should be stored",
        )
        self.assertEqual(self.device_s01.token_hint, token[:6], "hint is the first 6 chars")
        self.assertTrue(self.device_s01.has_token, "device should report a token")
        self.assertEqual(action["res_model"], "rrs.device.token.wizard", "token shown in wizard")

    def test_token_wizard_shows_token_without_saving_it(self):
        """The wizard shows the token from its defaults and stores nothing."""
        wizard_model = self.env["rrs.device.token.wizard"]
        count_before = wizard_model.search_count([])
        action = self.device_s01.action_generate_token()
        defaults = wizard_model.with_context(**action["context"]).default_get(
            ["token", "device_id"]
        )
        self.assertEqual(defaults["token"], action["context"]["default_token"], "token shown")
        self.assertEqual(defaults["device_id"], self.device_s01.id, "device shown")
        self.assertEqual(wizard_model.search_count([]), count_before, "no wizard row written")

    def test_new_token_replaces_previous(self):
        """A second token replaces the first one."""
        first = self.device_s01.action_generate_token()["context"]["default_token"]
        second = self.device_s01.action_generate_token()["context"]["default_token"]
        self.assertNotEqual(first, second, "tokens are random")
        self.assertEqual(
            self.device_s01.sudo().token_hash,
            hashlib.sha256(second.encode()).hexdigest(),
            "only the newest token is valid",
        )

    def test_revoke_token_clears_hash(self):
        """Revoking clears the hash and the hint."""
        self.device_s01.action_generate_token()
        self.device_s01.action_revoke_token()
        self.assertFalse(self.device_s01.sudo().token_hash, "hash should be cleared")
        self.assertFalse(self.device_s01.token_hint, "hint should be cleared")
        self.assertFalse(self.device_s01.has_token, "device should report no token")

    def test_token_hash_is_unique(self):
        """Two devices cannot hold the same token hash."""
        self.device_s01.sudo().token_hash = "a" * 64
        self.env.flush_all()
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            self.device_s02.sudo().token_hash = "a" * 64
            self.env.flush_all()

    def test_event_count(self):
        """The smart button counts the device's events."""
        self.assertEqual(self.device_s01.event_count, 1, "one event in set-up")
        action = self.device_s01.action_view_events()
        self.assertEqual(
            self.env["rrs.event"].search(action["domain"]), self.event_s01, "action lists it"
        )

    def test_device_with_events_cannot_be_deleted(self):
        """Without a foreign key on rrs_event, the ORM refuses to delete a used device."""
        with self.assertRaises(UserError):
            self.device_s01.unlink()
        unused = self._create_device("S01 spare scanner", self.store_s01)
        unused.unlink()
        self.assertFalse(unused.exists(), "a device without events can be deleted")

    def test_antenna_zones_are_groups_of_antennas_each_in_one(self):
        """Groups of antenna numbers or ranges separated by ';'; an antenna in two groups,
        a group that is no list of antennas, port 0 or a reversed range are refused."""
        self.device_s01.rfid_antenna_zones = "1,2;3-4"
        self.device_s01.rfid_antenna_zones = " 1 - 2 ; 7 "
        self.device_s01.rfid_antenna_zones = False
        for bad in ("1,2;2-3", "1;;2", "door A", "0", "4-3", "1-2-3", "1-100000"):
            with self.assertRaises(ValidationError, msg=bad):
                self.device_s01.rfid_antenna_zones = bad

