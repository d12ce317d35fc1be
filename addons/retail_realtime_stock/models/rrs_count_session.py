# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""RFID cycle count sessions (``docs/decisions/rfid-ingest.md``, "Cycle counts").

What it is: a count of one stock location by RFID readers. Starting a
session in Odoo inserts it with ``state = 'open'``; the ingest then adds the
EPCs its count readers see (``rrs.count.epc``). Stopping it here compares,
per (product, lot), Odoo's quantity at the location with the distinct EPCs
counted, stores the lines and writes each difference as Odoo's own count on
the quant (``inventory_quantity``), which **Apply** applies with stock's
``action_apply_inventory``.

How it works: the table is the add-on's own DDL (``_auto = False``), exactly
as ``ingest_core/odoo/tables.py`` declares it: only ``device_id`` is an
enforced foreign key. Stop and the ingest's own close (``POST
/v1/count-sessions/{id}/close``) compute the lines by one SQL function,
``rrs_count_comparison`` (``rrs_count_comparison.sql``).

Caveats: products without tags are not zeroed: the scope is the products
counted plus the products with EPCs known in stock at the location.
"""

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare

from .own_table import MAGIC_COLUMNS, ensure_table

TABLE_DDL = (
    f"""
    CREATE TABLE IF NOT EXISTS rrs_count_session (
        id serial PRIMARY KEY,
        name varchar NOT NULL,
        warehouse_id integer NOT NULL,
        location_id integer NOT NULL,
        company_id integer NOT NULL,
        device_id integer
            CONSTRAINT rrs_count_session_device_id_fkey REFERENCES rrs_device (id)
            ON DELETE SET NULL,
        state varchar NOT NULL,
        started_at timestamp,
        closed_at timestamp,
        auto_apply boolean,
        user_id integer,
        training boolean,{MAGIC_COLUMNS}
    )
    """,
    "COMMENT ON TABLE rrs_count_session IS 'Retail Stock Count Session'",
    # 18.0.1.11.0: counts of readers in training, never applied.
    "ALTER TABLE rrs_count_session ADD COLUMN IF NOT EXISTS training boolean",
    # The ingest looks up the open session of a location (and device).
    """
    CREATE INDEX IF NOT EXISTS rrs_count_session_open_idx ON rrs_count_session
        (location_id, device_id) WHERE state = 'open'
    """,
)


class RrsCountSession(models.Model):
    _name = "rrs.count.session"
    _description = "Retail Stock Count Session"
    _auto = False
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(
        required=True, default=lambda self: _("Count %s", fields.Date.context_today(self))
    )
    warehouse_id = fields.Many2one(
        comodel_name="stock.warehouse", string="Store", required=True, check_company=True
    )
    location_id = fields.Many2one(
        comodel_name="stock.location",
        compute="_compute_location_id",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
        check_company=True,
        domain="[('usage', '=', 'internal'), ('warehouse_id', '=', warehouse_id)]",
    )
    company_id = fields.Many2one(
        comodel_name="res.company", required=True, default=lambda self: self.env.company
    )
    device_id = fields.Many2one(
        comodel_name="rrs.device",
        string="Reader",
        ondelete="set null",
        help="Only this reader counts in the session. Empty: every count reader of the location.",
    )
    state = fields.Selection(
        selection=[("open", "Counting"), ("closed", "Stopped"), ("applied", "Applied")],
        required=True,
        default="open",
        readonly=True,
    )
    started_at = fields.Datetime(default=fields.Datetime.now, readonly=True)
    closed_at = fields.Datetime(readonly=True)
    auto_apply = fields.Boolean(
        string="Apply at once",
        help="Apply the differences to the stock as soon as the count is stopped.",
    )
    user_id = fields.Many2one(
        comodel_name="res.users", string="Counted by", default=lambda self: self.env.user
    )
    training = fields.Boolean(
        compute="_compute_training",
        store=True,
        readonly=True,
        precompute=True,
        help="A practice count by a reader in training: compared with the stock, never "
        "applied and never written as Odoo counts.",
    )
    epc_ids = fields.One2many(comodel_name="rrs.count.epc", inverse_name="session_id")
    line_ids = fields.One2many(comodel_name="rrs.count.line", inverse_name="session_id")
    epc_count = fields.Integer(string="Tags read", compute="_compute_epc_count")
    expected_total = fields.Float(compute="_compute_totals", digits="Product Unit of Measure")
    counted_total = fields.Float(compute="_compute_totals", digits="Product Unit of Measure")
    accuracy_pct = fields.Float(
        string="Accuracy (%)",
        compute="_compute_totals",
        digits=(16, 1),
        help="100 x sum of min(expected, counted) / sum of max(expected, counted) over "
        "the lines: 100 when every line matches; surplus and shortage both lower it.",
    )

    def init(self):
        ensure_table(self.env.cr, self._table, TABLE_DDL, keep=["rrs_count_session_device_id_fkey"])

    @api.depends("device_id")
    def _compute_training(self):
        for session in self:
            session.training = session.training or session.device_id.training

    @api.depends("warehouse_id")
    def _compute_location_id(self):
        for session in self:
            if session.warehouse_id and (
                not session.location_id or session.location_id.warehouse_id != session.warehouse_id
            ):
                session.location_id = session.warehouse_id.lot_stock_id

    def _compute_epc_count(self):
        groups = self.env["rrs.count.epc"]._read_group(
            [("session_id", "in", self.ids)], ["session_id"], ["__count"]
        )
        counts = {session.id: count for session, count in groups}
        for session in self:
            session.epc_count = counts.get(session.id, 0)

    @api.depends("line_ids.expected", "line_ids.counted")
    def _compute_totals(self):
        for session in self:
            lines = session.line_ids
            expected = [max(line.expected, 0.0) for line in lines]
            counted = [line.counted for line in lines]
            low = sum(min(e, c) for e, c in zip(expected, counted, strict=True))
            high = sum(max(e, c) for e, c in zip(expected, counted, strict=True))
            session.expected_total = sum(lines.mapped("expected"))
            session.counted_total = sum(counted)
            session.accuracy_pct = 100.0 * low / high if high else 100.0

    def unlink(self):
        # No foreign key cascades from the EPC and line tables (the ingest's declaration).
        self.env["rrs.count.epc"].sudo().search([("session_id", "in", self.ids)]).unlink()
        self.env["rrs.count.line"].sudo().search([("session_id", "in", self.ids)]).unlink()
        return super().unlink()

    # ------------------------------------------------------------------ actions
    def action_stop(self):
        """Stop counting: store expected vs counted and write the differences as Odoo counts."""
        open_sessions = self.filtered(lambda session: session.state == "open")
        if open_sessions != self:
            raise UserError(_("Only sessions that are counting can be stopped."))
        for session in self:
            session._prepare_lines()
            session.write({"state": "closed", "closed_at": fields.Datetime.now()})
            if not session.training:
                session._write_odoo_counts()
        auto = self.filtered(lambda session: session.auto_apply and not session.training)
        if auto:
            auto.action_apply()
        return True

    def action_apply(self):
        """Apply the counted differences to the stock with Odoo's inventory adjustment."""
        if self.filtered(lambda session: session.state != "closed"):
            raise UserError(_("Only stopped counts can be applied."))
        if self.filtered("training"):
            raise UserError(_("A training count is practice: it is never applied to the stock."))
        quants = self.env["stock.quant"]
        for session in self:
            quants |= session._counted_quants().filtered("inventory_quantity_set")
        result = quants.action_apply_inventory() if quants else False
        if isinstance(result, dict):
            return result  # Odoo asks about conflicts or tracked products first
        self.write({"state": "applied"})
        return True

    def action_view_epcs(self):
        return {
            "type": "ir.actions.act_window",
            "name": _("Tags read"),
            "res_model": "rrs.count.epc",
            "view_mode": "list",
            "domain": [("session_id", "in", self.ids)],
        }

    # ------------------------------------------------------------------ helpers
    def _prepare_lines(self):
        """Expected vs counted per product and lot, by the comparison the ingest's close
        runs too (``rrs_count_comparison``: models/rrs_count_comparison.sql)."""
        self.ensure_one()
        self.env.flush_all()  # the function reads the tables, not the ORM's cache
        self.env.cr.execute(
            "SELECT product_id, lot_id, expected, counted FROM rrs_count_comparison(%s, %s)",
            [self.id, self.location_id.id],
        )
        rows = self.env.cr.fetchall()
        Line = self.env["rrs.count.line"].sudo()
        Line.search([("session_id", "=", self.id)]).unlink()
        Line.create(
            [
                {
                    "session_id": self.id,
                    "product_id": product_id,
                    "lot_id": lot_id,
                    "location_id": self.location_id.id,
                    "expected": expected,
                    "counted": counted,
                }
                for product_id, lot_id, expected, counted in rows
            ]
        )

    def _counted_quants(self):
        """The quants the lines' differences are written on (no package, no owner)."""
        quants = self.env["stock.quant"]
        for line in self.line_ids:
            quants |= line._quant(quants)
        return quants

    def _write_odoo_counts(self):
        """Write counted quantities as Odoo's own count (Inventory > Physical Inventory)."""
        self.ensure_one()
        Quant = self.env["stock.quant"].with_context(inventory_mode=True)
        for line in self.line_ids:
            rounding = line.product_id.uom_id.rounding
            if not float_compare(line.counted, line.expected, precision_rounding=rounding):
                continue
            quant = line._quant(Quant)
            vals = {"inventory_quantity": line.counted, "user_id": self.user_id.id}
            if quant:
                quant.write(vals)
            else:
                Quant.create(
                    {
                        "product_id": line.product_id.id,
                        "location_id": line.location_id.id,
                        "lot_id": line.lot_id.id,
                        **vals,
                    }
                )
