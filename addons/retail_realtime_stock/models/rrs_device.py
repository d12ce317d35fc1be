# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

#: Antenna ports a reader can have (LLRP readers with antenna hubs: 32).
MAX_ANTENNA = 256


class RrsDevice(models.Model):
    _name = "rrs.device"
    _description = "Retail Stock Device"
    _inherit = ["mail.thread", "rrs.token.mixin"]
    _order = "warehouse_id, name, id"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    kind = fields.Selection(
        selection=[
            ("scanner", "Barcode scanner"),
            ("rfid_fixed", "Fixed RFID reader"),
            ("rfid_handheld", "Handheld RFID reader"),
            ("pos_gate", "POS gate"),
        ],
        required=True,
        default="scanner",
        tracking=True,
    )
    warehouse_id = fields.Many2one(
        comodel_name="stock.warehouse",
        string="Store",
        required=True,
        ondelete="restrict",
        check_company=True,
        tracking=True,
    )
    location_id = fields.Many2one(
        comodel_name="stock.location",
        compute="_compute_location_id",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
        ondelete="restrict",
        check_company=True,
        domain="[('usage', '=', 'internal'), ('warehouse_id', '=', warehouse_id)]",
        help="Stock location the device's reads move stock from or to, "
        "unless a read names another one.",
    )
    company_id = fields.Many2one(
        comodel_name="res.company",
        compute="_compute_company_id",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
    )
    active = fields.Boolean(default=True, tracking=True)
    training = fields.Boolean(
        compute="_compute_training",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
        help="Staff practise with this device: its reads are checked and shown like any "
        "other, and listed under Training reads, but they never change the stock. Follows "
        "the store's Training flag; can be set on one device.",
    )
    # token_hash, token_hint, has_token: rrs.token.mixin.
    allow_sale = fields.Boolean(default=True)
    allow_return = fields.Boolean(default=True)
    allow_receipt = fields.Boolean()
    allow_transfer_out = fields.Boolean()
    allow_transfer_in = fields.Boolean()
    allow_scrap = fields.Boolean()
    allow_count = fields.Boolean(default=True)
    last_seen = fields.Datetime(readonly=True, copy=False)
    last_error = fields.Char(readonly=True, copy=False)
    event_count = fields.Integer(compute="_compute_event_count")
    unknown_tags = fields.Integer(
        readonly=True,
        copy=False,
        help="RFID tags this device read that are no GS1 product tags (counted by the ingest).",
    )
    rfid_role = fields.Selection(
        selection=[
            ("exit", "Exit gate (sells or writes off what leaves)"),
            ("pos_gate", "POS gate (sells)"),
            ("dock", "Dock (receives)"),
            ("count", "Count (cycle counts)"),
            ("none", "None (sightings only)"),
        ],
        string="RFID role",
        help="What the ingest does with this reader's tags. Empty: from the kind "
        "(POS gate: sells; handheld reader: counts; others: nothing).",
    )
    rfid_antenna_zones = fields.Char(
        string="Antenna zones",
        help="Groups of antennas that see the same place, separated by ';' (for example "
        "'1,2;3-4': antennas 1 and 2 watch one door, 3 and 4 another). A tag seen again "
        "by an antenna of the same group within the dedupe window is the same sighting; "
        "by another group, a new one. Empty: the whole reader is one zone; an antenna in "
        "no group belongs to the whole reader.",
    )

    _sql_constraints = [
        (
            "token_hash_uniq",
            "unique(token_hash)",
            "Two devices cannot share a token.",
        ),
    ]

    @api.constrains("rfid_antenna_zones")
    def _check_rfid_antenna_zones(self):
        for device in self.filtered("rfid_antenna_zones"):
            seen = set()
            for group in device.rfid_antenna_zones.split(";"):
                antennas = _antennas(group)
                if not antennas or antennas & seen:
                    raise ValidationError(
                        _(
                            "Antenna zones of %(device)s: groups of antenna numbers or ranges "
                            "separated by ';', each antenna in one group (for example "
                            "'1,2;3-4'), not %(zones)r.",
                            device=device.display_name,
                            zones=device.rfid_antenna_zones,
                        )
                    )
                seen |= antennas

    @api.depends("warehouse_id.rrs_training")
    def _compute_training(self):
        for device in self:
            device.training = device.warehouse_id.rrs_training

    @api.depends("warehouse_id")
    def _compute_location_id(self):
        for device in self:
            if device.warehouse_id and (
                not device.location_id or device.location_id.warehouse_id != device.warehouse_id
            ):
                device.location_id = device.warehouse_id.lot_stock_id

    @api.depends("warehouse_id")
    def _compute_company_id(self):
        for device in self:
            device.company_id = device.warehouse_id.company_id or self.env.company

    def _compute_event_count(self):
        groups = self.env["rrs.event"]._read_group(
            [("device_id", "in", self.ids)], ["device_id"], ["__count"]
        )
        counts = {device.id: count for device, count in groups}
        for device in self:
            device.event_count = counts.get(device.id, 0)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_has_events(self):
        # rrs_event has no foreign key to its device (docs/decisions/event-log.md):
        # the ORM keeps the trace from a stock change to its device instead.
        self.env.cr.execute(
            "SELECT DISTINCT device_id FROM rrs_event WHERE device_id = ANY(%s)", [self.ids]
        )
        used = self.browse(row[0] for row in self.env.cr.fetchall())
        if used:
            raise UserError(
                _(
                    "Devices with applied reads cannot be deleted, archive them instead: %s",
                    ", ".join(used.mapped("display_name")),
                )
            )

    def action_generate_token(self):
        """Replace the device token and show the new one once in a wizard."""
        self.ensure_one()
        token = self._set_new_token()
        return {
            "type": "ir.actions.act_window",
            "name": _("Device token"),
            "res_model": "rrs.device.token.wizard",
            "view_mode": "form",
            "target": "new",
            # The token travels in this answer only: the wizard is never saved.
            "context": {"default_device_id": self.id, "default_token": token},
        }

    def action_view_events(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "retail_realtime_stock.rrs_event_action"
        )
        action["domain"] = [("device_id", "=", self.id)]
        action["context"] = {"default_device_id": self.id}
        return action


def _antennas(group):
    """The antenna numbers of one group ('1,2', '3-4'); an empty set when it is not one."""
    antennas = set()
    for part in group.split(","):
        bounds = [bound.strip() for bound in part.split("-")]
        if len(bounds) > 2 or not all(bound.isdigit() for bound in bounds):
            return set()
        first, last = int(bounds[0]), int(bounds[-1])
        if first < 1 or last < first or last > MAX_ANTENNA:
            return set()
        antennas |= set(range(first, last + 1))
    return antennas
