# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The *Device health* PDF: is every scanner and reader of the stores working?

What it is: the values of the QWeb template ``report_device_health``, printed
from the devices list: per device, its store, kind and RFID role, when it was
last seen and its last error, its reads of the last 7 days by fate (applied,
duplicate, rejected; ``rrs_device_daily``) as a chart, its open quarantine by
reason, its unknown tags, and a verdict a store's IT contact acts on first.

How it works: a device is *silent* when it is active and was not seen for
``SILENT_HOURS``; *rejecting* when more than ``REJECT_SHARE`` of its reads of
the 7 days were rejected; *ok* otherwise. Days are UTC days, as the ingest
counts them.
"""

from datetime import timedelta

from odoo import api, fields, models

from .rrs_svg_chart import daily_bars

DAYS = 7
SILENT_HOURS = 24
REJECT_SHARE = 0.05


class ReportDeviceHealth(models.AbstractModel):
    _name = "report.retail_realtime_stock.report_device_health"
    _description = "Retail Device Health Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        devices = self.env["rrs.device"].browse(docids)
        today = fields.Date.today()
        days = [today - timedelta(days=offset) for offset in range(DAYS - 1, -1, -1)]
        daily = self.env["rrs.device.daily"].search(
            [("device_id", "in", devices.ids), ("day", ">=", days[0])]
        )
        open_quarantine = self.env["rrs.quarantine"]._read_group(
            [("device_id", "in", devices.ids), ("state", "=", "new")],
            ["device_id", "reason_code"],
            ["__count"],
        )
        now = fields.Datetime.now()
        health = {}
        for device in devices:
            rows = {row.day: row for row in daily if row.device_id == device}
            applied = [rows[day].applied if day in rows else 0 for day in days]
            duplicate = [rows[day].duplicate if day in rows else 0 for day in days]
            rejected = [rows[day].rejected if day in rows else 0 for day in days]
            total = sum(applied) + sum(rejected)
            silent_for = (now - device.last_seen) if device.last_seen else None
            if device.active and (silent_for is None or silent_for > timedelta(hours=SILENT_HOURS)):
                verdict = "silent"
            elif total and sum(rejected) / total > REJECT_SHARE:
                verdict = "rejecting"
            else:
                verdict = "ok"
            health[device.id] = {
                "verdict": verdict,
                "hours_silent": silent_for.total_seconds() / 3600 if silent_for else None,
                "days": [
                    {"day": day, "applied": a, "duplicate": d, "rejected": r}
                    for day, a, d, r in zip(days, applied, duplicate, rejected, strict=True)
                ],
                "applied": sum(applied),
                "duplicate": sum(duplicate),
                "rejected": sum(rejected),
                "chart": daily_bars(days, applied, "Reads applied per day (UTC)"),
                "quarantine": sorted(
                    (reason, count) for owner, reason, count in open_quarantine if owner == device
                ),
            }
        return {
            "doc_ids": docids,
            "doc_model": "rrs.device",
            "docs": devices,
            "health": health,
            "days": DAYS,
            "silent_hours": SILENT_HOURS,
            "reject_share": REJECT_SHARE,
        }
