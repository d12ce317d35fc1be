# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.exceptions import AccessError

from .common import RrsCommon


class TestRrsSecurity(RrsCommon):
    def test_user_sees_own_store_only(self):
        """A user of S01 finds the S01 records and none of S02."""
        for model, own, other in (
            ("rrs.device", self.device_s01, self.device_s02),
            ("rrs.event", self.event_s01, self.event_s02),
            ("rrs.quarantine", self.quarantine_s01, self.quarantine_s02),
        ):
            found = self.env[model].with_user(self.user_s01).search([])
            self.assertIn(own, found, f"{model}: S01 user should see S01")
            self.assertNotIn(other, found, f"{model}: S01 user should not see S02")

    def test_user_cannot_read_other_store(self):
        """Reading an S02 record as the S01 user raises AccessError."""
        for record in (self.device_s02, self.event_s02, self.quarantine_s02):
            with self.assertRaises(AccessError, msg=f"{record._name} of S02 readable by S01"):
                record.with_user(self.user_s01).read([record._rec_name])

    def test_manager_sees_all_stores(self):
        """A manager sees the records of every store."""
        for model, records in (
            ("rrs.device", self.device_s01 | self.device_s02),
            ("rrs.event", self.event_s01 | self.event_s02),
            ("rrs.quarantine", self.quarantine_s01 | self.quarantine_s02),
        ):
            found = self.env[model].with_user(self.manager).search([])
            self.assertEqual(found & records, records, f"{model}: manager should see both")

    def test_store_change_applies_at_once(self):
        """Moving a user to another store changes what they see at once."""
        events = self.env["rrs.event"].with_user(self.user_s01)
        self.assertEqual(events.search([]), self.event_s01, "S01 first")
        self.user_s01.rrs_warehouse_ids = [(6, 0, self.store_s02.ids)]
        self.assertEqual(events.search([]), self.event_s02, "then S02 only")

    def test_token_hash_unreadable_by_everyone(self):
        """No user, not even a manager or the administrator, can read token_hash."""
        self.device_s01.action_generate_token()
        admin = self.env.ref("base.user_admin")
        for user in (self.user_s01, self.manager, admin):
            device = self.device_s01.with_user(user)
            with self.assertRaises(AccessError, msg=f"{user.login} read token_hash"):
                device.read(["token_hash"])
            self.assertNotIn(
                "token_hash", device.fields_get(), f"token_hash hidden from {user.login}"
            )
            self.assertNotIn(
                "token_hash", device.read()[0], f"token_hash not in {user.login}'s default read"
            )
            with self.assertRaises(AccessError, msg=f"{user.login} searched on token_hash"):
                device.search([("token_hash", "!=", False)])

    def test_user_cannot_change_devices_or_tokens(self):
        """A store user cannot edit devices, generate tokens or handle quarantine."""
        device = self.device_s01.with_user(self.user_s01)
        with self.assertRaises(AccessError, msg="user edited a device"):
            device.write({"name": "renamed"})
        with self.assertRaises(AccessError, msg="user generated a token"):
            device.action_generate_token()
        with self.assertRaises(AccessError, msg="user replayed a read"):
            self.quarantine_s01.with_user(self.user_s01).action_replay()
        with self.assertRaises(AccessError, msg="user deleted a read"):
            self.quarantine_s01.with_user(self.user_s01).unlink()

    def test_events_are_read_only(self):
        """Events are written by the ingest: nobody edits or deletes them in Odoo."""
        for user in (self.user_s01, self.manager):
            event = self.event_s01.with_user(user)
            with self.assertRaises(AccessError, msg=f"{user.login} edited an event"):
                event.write({"quantity": 5})
            with self.assertRaises(AccessError, msg=f"{user.login} deleted an event"):
                event.unlink()

    def test_manager_manages_devices(self):
        """A manager creates devices and generates their tokens."""
        device = (
            self.env["rrs.device"]
            .with_user(self.manager)
            .create(
                {"name": "S02 RFID gate", "kind": "rfid_fixed", "warehouse_id": self.store_s02.id}
            )
        )
        action = device.action_generate_token()
        self.assertTrue(action["context"]["default_token"], "manager got a token")
        self.assertTrue(device.token_hint, "hint visible to the manager")

    def test_views_load_for_users_and_managers(self):
        """Every add-on view loads for a store user and a manager, without token_hash."""
        for user in (self.user_s01, self.manager):
            for model in ("rrs.device", "rrs.event", "rrs.quarantine"):
                views = (
                    self.env[model]
                    .with_user(user)
                    .get_views([(False, "list"), (False, "form"), (False, "search")])
                )
                self.assertEqual(set(views["views"]), {"list", "form", "search"}, f"{model} views")
                fields = views["models"][model]["fields"]
                self.assertNotIn("token_hash", fields, f"{model}: token_hash not sent")
