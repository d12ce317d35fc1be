# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError

from .common import RrsCommon


class TestRrsDeviceHealth(RrsCommon):
    """The *Device health* PDF (its HTML): figures of 7 days, verdicts, store security."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        today = fields.Date.today()
        now = fields.Datetime.now()
        cls.device_s01.last_seen = now - timedelta(minutes=3)
        cls.device_s02.last_seen = now - timedelta(days=3)
        cls.gate = cls._create_device(
            "S01 exit gate", cls.store_s01, kind="rfid_fixed", rfid_role="exit"
        )
        cls.gate.last_seen = now
        daily = cls.env["rrs.device.daily"]
        for device, applied, rejected in (
            (cls.device_s01, 400, 2),
            (cls.gate, 90, 30),
            (cls.device_s02, 50, 0),
        ):
            for offset in (0, 1, 8):  # the 8-day-old row is out of the 7 days
                daily.create(
                    {
                        "device_id": device.id,
                        "day": today - timedelta(days=offset),
                        "applied": applied,
                        "duplicate": 1,
                        "rejected": rejected,
                    }
                )

    def _html(self, user, devices):
        report = self.env["ir.actions.report"].with_user(user)
        html, _kind = report._render_qweb_html(
            "retail_realtime_stock.action_report_device_health", devices.ids
        )
        return html.decode()

    def _figures(self, devices):
        values = self.env["report.retail_realtime_stock.report_device_health"]
        return values._get_report_values(devices.ids)["health"]

    def test_figures_and_verdicts(self):
        """Two days count, the eighth does not; a device not seen for three days is
        silent, one rejecting a quarter of its reads is rejecting; its open quarantine
        is listed by reason."""
        devices = self.device_s01 | self.gate | self.device_s02
        health = self._figures(devices)
        self.assertEqual(
            [health[device.id]["verdict"] for device in devices], ["ok", "rejecting", "silent"]
        )
        self.assertEqual(
            (
                health[self.gate.id]["applied"],
                health[self.gate.id]["duplicate"],
                health[self.gate.id]["rejected"],
            ),
            (180, 2, 60),
        )
        self.assertEqual(health[self.device_s01.id]["quarantine"], [("bad_check_digit", 1)])
        self.assertEqual(len(health[self.gate.id]["days"]), 7)

    def test_report_renders_and_keeps_to_the_users_stores(self):
        """A store manager prints the health of the store's devices; a device of another
        store is refused."""
        text = self._html(self.manager, self.device_s01 | self.gate | self.device_s02)
        self.assertIn("S01 exit gate", text)
        self.assertIn("rejecting", text)
        self.assertIn("<svg", text, "the reads chart")
        self.assertIn("bad_check_digit", text)
        self.assertIn("S01 checkout scanner", self._html(self.user_s01, self.device_s01))
        with self.assertRaises(AccessError):
            self._html(self.user_s01, self.device_s02)
