# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json
import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools.sql import add_foreign_key, create_index, get_foreign_keys

_logger = logging.getLogger(__name__)


class RrsQuarantine(models.Model):
    """A device read the ingest could not apply, kept for the back office.

    Rows are written by the ingest service with plain SQL. In this version
    Replay only marks the row and logs the request; the ingest will pick
    replayed rows up once it offers replay.
    """

    _name = "rrs.quarantine"
    _description = "Retail Stock Quarantined Read"
    _inherit = ["mail.thread"]
    _order = "id desc"
    _rec_name = "read_key"

    device_id = fields.Many2one(comodel_name="rrs.device", ondelete="set null", readonly=True)
    read_key = fields.Char(readonly=True)
    raw = fields.Json(readonly=True, help="The read as the device sent it.")
    raw_display = fields.Text(string="Read as sent", compute="_compute_raw_display")
    reason_code = fields.Char(required=True, readonly=True)
    reason = fields.Char(readonly=True)
    received_at = fields.Datetime(default=fields.Datetime.now, readonly=True)
    state = fields.Selection(
        selection=[
            ("new", "New"),
            ("replay", "Waiting for replay"),
            ("replayed", "Replayed"),
            ("discarded", "Discarded"),
        ],
        required=True,
        default="new",
        readonly=True,
        tracking=True,
    )
    event_id = fields.Many2one(
        comodel_name="rrs.event",
        ondelete="set null",
        readonly=True,
        help="The event the read became once replayed.",
    )

    @api.depends("raw")
    def _compute_raw_display(self):
        for record in self:
            record.raw_display = (
                json.dumps(record.raw, indent=2, sort_keys=True) if record.raw else False
            )

    def _check_new(self):
        not_new = self.filtered(lambda record: record.state != "new")
        if not_new:
            raise UserError(
                _(
                    "Only new quarantined reads can be replayed or discarded: %s",
                    ", ".join(not_new.mapped("display_name")),
                )
            )

    def action_replay(self):
        """Hand the reads back to the ingest, which applies them (or says why not)."""
        self._check_new()
        self.write({"state": "replay"})
        for record in self:
            record.message_post(body=_("Replay requested."))
        _logger.info("Quarantined reads %s marked for replay by uid %s", self.ids, self.env.uid)
        return True

    def action_discard(self):
        """Discard the reads for good and log who did it."""
        self._check_new()
        self.write({"state": "discarded"})
        for record in self:
            record.message_post(body=_("Read discarded."))
        _logger.info("Quarantined reads %s discarded by uid %s", self.ids, self.env.uid)
        return True

    def init(self):
        # Odoo adds no foreign key towards a model without Odoo's own table
        # (rrs.event is _auto = False); the ingest's declaration enforces this one.
        self.env["rrs.event"].init()
        if not get_foreign_keys(
            self.env.cr, self._table, "event_id", "rrs_event", "id", "set null"
        ):
            add_foreign_key(self.env.cr, self._table, "event_id", "rrs_event", "id", "set null")
        # The ingest looks up a device's earlier quarantined reads by key.
        create_index(
            self.env.cr,
            "rrs_quarantine_device_key_idx",
            self._table,
            ["device_id", "read_key"],
        )
