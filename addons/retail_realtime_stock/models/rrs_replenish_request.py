# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Replenishment at the threshold: Odoo's own procurement, started by the crossing.

What it is: a ``rrs_replenish_request`` row is written by the ``stock_quant``
triggers when a ``below_min`` alert opens on an automatic reorder rule (at
most one pending per rule, however many crossings a burst brings). The alert
job orders it with the rule's own procurement, as *Order once* does.

How it works: ``_cron_run_pending`` locks the pending requests (``FOR UPDATE
SKIP LOCKED``: two jobs never take the same one) and runs each in a savepoint.
The rule's ``qty_to_order`` counts incoming transfers and RFQs, so a crossing
already covered orders nothing (``covered``); otherwise
``_procure_orderpoint_confirm`` creates the documents, and the moves (and
purchase/manufacturing lines) of the rule written by the call are the
request's result. A request leaves ``pending`` in the transaction that orders,
so running the job twice, or after a crash, orders once.

Caveats: this file also loads ``rrs_alert.sql`` (the functions and triggers),
because its model is created last of the tables the triggers write.
"""

import logging
from pathlib import Path

from odoo import _, api, fields, models
from odoo.tools import SQL, float_compare

from .rrs_alert import ensure_event_foreign_key

_logger = logging.getLogger(__name__)

FUNCTIONS_SQL = Path(__file__).with_name("rrs_alert.sql")
#: alerts.REQUEST_INDEXES, idempotent: the triggers' ON CONFLICT needs it.
REQUEST_INDEXES = (
    "CREATE UNIQUE INDEX IF NOT EXISTS rrs_replenish_request_pending_uniq ON "
    "rrs_replenish_request (orderpoint_id) WHERE state = 'pending'",
)
#: alerts.DROP_DDL: the uninstall hook removes the triggers before the tables go.
DROP_SQL = (
    "DROP TRIGGER IF EXISTS rrs_alert_quant_insert ON stock_quant",
    "DROP TRIGGER IF EXISTS rrs_alert_quant_update ON stock_quant",
    "DROP TRIGGER IF EXISTS rrs_alert_quant_delete ON stock_quant",
    "DROP FUNCTION IF EXISTS rrs_alert_quant_changed()",
    "DROP FUNCTION IF EXISTS rrs_alert_quants(integer[], integer[], numeric[])",
    "DROP FUNCTION IF EXISTS rrs_alert_announce(integer[])",
    "DROP FUNCTION IF EXISTS rrs_alert_wake_job()",
    "DROP FUNCTION IF EXISTS rrs_alert_shrink(integer[], integer[], numeric[], integer[])",
    "DROP FUNCTION IF EXISTS rrs_alert_sweep()",
    "DROP FUNCTION IF EXISTS rrs_alert_sweep(boolean)",
    "DROP FUNCTION IF EXISTS rrs_alert_rule_for(varchar, integer, integer, numeric)",
)
#: Documents other than stock moves that a procurement may create for a rule
#: (where their add-on is installed): model, quantity field, document field.
OTHER_DOCUMENTS = (
    ("purchase.order.line", "product_qty", "order_id"),
    ("mrp.production", "product_qty", None),
)


class RrsReplenishRequest(models.Model):
    _name = "rrs.replenish.request"
    _description = "Retail Stock Replenishment Request"
    _order = "requested_at desc, id desc"

    orderpoint_id = fields.Many2one(
        comodel_name="stock.warehouse.orderpoint",
        string="Reorder rule",
        required=True,
        ondelete="cascade",
        readonly=True,
    )
    alert_id = fields.Many2one(comodel_name="rrs.alert", ondelete="set null", readonly=True)
    event_id = fields.Many2one(
        comodel_name="rrs.event",
        string="Read",
        ondelete="set null",
        readonly=True,
        help="The device read that crossed the min (empty when the change was made "
        "in Odoo).",
    )
    product_id = fields.Many2one(
        comodel_name="product.product", ondelete="cascade", readonly=True
    )
    warehouse_id = fields.Many2one(
        comodel_name="stock.warehouse", string="Store", ondelete="cascade", readonly=True
    )
    company_id = fields.Many2one(comodel_name="res.company", readonly=True)
    quantity = fields.Float(
        string="On hand",
        digits="Product Unit of Measure",
        readonly=True,
        help="On hand at the rule's location when the min was crossed.",
    )
    requested_at = fields.Datetime(required=True, default=fields.Datetime.now, readonly=True)
    state = fields.Selection(
        selection=[
            ("pending", "Pending"),
            ("ordered", "Ordered"),
            ("covered", "Covered by incoming"),
            ("failed", "Failed"),
        ],
        required=True,
        default="pending",
        readonly=True,
    )
    done_at = fields.Datetime(readonly=True)
    qty_ordered = fields.Float(
        string="Ordered",
        digits="Product Unit of Measure",
        readonly=True,
        help="The rule's quantity to order when the job ran (Odoo's own computation).",
    )
    result = fields.Char(readonly=True, help="The documents the procurement created.")
    error = fields.Text(readonly=True)
    picking_ids = fields.Many2many(
        comodel_name="stock.picking",
        relation="rrs_replenish_request_stock_picking_rel",
        column1="request_id",
        column2="picking_id",
        string="Transfers",
        readonly=True,
    )
    picking_count = fields.Integer(compute="_compute_picking_count")

    @api.depends("orderpoint_id", "requested_at")
    def _compute_display_name(self):
        for request in self:
            request.display_name = _(
                "%(rule)s at %(when)s",
                rule=request.orderpoint_id.display_name or "",
                when=fields.Datetime.to_string(request.requested_at) or "",
            )

    @api.depends("picking_ids")
    def _compute_picking_count(self):
        for request in self:
            request.picking_count = len(request.picking_ids)

    def init(self):
        # Created after rrs_alert_rule and rrs_alert: the triggers can be created now.
        for statement in REQUEST_INDEXES:
            self.env.cr.execute(statement)
        ensure_event_foreign_key(self.env.cr, self._table)
        # A plain string, run without parameters: the functions' LIKE patterns hold '%'.
        self.env.cr.execute(FUNCTIONS_SQL.read_text(encoding="utf-8"))

    def action_view_pickings(self):
        """The transfers the requests' procurements created."""
        return self._action_view_pickings(self.picking_ids)

    @api.model
    def _action_view_pickings(self, pickings):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "stock.action_picking_tree_all"
        )
        if len(pickings) == 1:
            action.update(
                {"views": [(False, "form")], "view_mode": "form", "res_id": pickings.id}
            )
        else:
            action["domain"] = [("id", "in", pickings.ids)]
        action["context"] = {"create": False}
        return action

    # The job

    @api.model
    def _cron_run_pending(self):
        """Order every pending request no other job holds; return them."""
        # Row locks are the only SQL here: the ORM has no SKIP LOCKED.
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT id FROM rrs_replenish_request WHERE state = 'pending' "
                "ORDER BY id FOR UPDATE SKIP LOCKED"
            )
        )
        requests = self.browse([row[0] for row in self.env.cr.fetchall()])
        for request in requests:
            request._run()
        return requests

    def _run(self):
        """Order one request; a failure is kept on it and stops nothing else."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                vals = self._procure()
        except Exception as error:  # noqa: BLE001 -- any rule's error must not stop the others
            _logger.warning("Replenishment request %s failed: %s", self.id, error)
            vals = {"state": "failed", "error": str(error)}
        self.write({**vals, "done_at": fields.Datetime.now()})

    def _procure(self):
        """The rule's own procurement, as *Order once*; the values of the outcome."""
        orderpoint = self.orderpoint_id
        if not orderpoint.active:
            return {"state": "failed", "error": _("The reorder rule is archived.")}
        if orderpoint.trigger != "auto":
            return {"state": "failed", "error": _("The reorder rule is manual.")}
        orderpoint = orderpoint.with_company(orderpoint.company_id)
        # The stock may have changed in SQL (the ingest) since the cache was filled.
        orderpoint.invalidate_recordset()
        orderpoint.product_id.invalidate_recordset()
        quantity = orderpoint.qty_to_order
        if float_compare(quantity, 0.0, precision_rounding=orderpoint.product_uom.rounding) <= 0:
            return {
                "state": "covered",
                "qty_ordered": 0.0,
                "result": _(
                    "Nothing to order: forecast %(forecast)s with incoming, min %(min)s.",
                    forecast=orderpoint.qty_forecast,
                    min=orderpoint.product_min_qty,
                ),
            }
        before = self._documents_of(orderpoint)
        # What action_replenish ("Order once") does, without its notification.
        orderpoint._procure_orderpoint_confirm(company_id=orderpoint.company_id)
        orderpoint.action_remove_manual_qty_to_order()
        orderpoint._compute_qty_to_order()
        written = self._written_since(before, self._documents_of(orderpoint))
        pickings = written.get("stock.move", self.env["stock.move"]).picking_id
        names = pickings.mapped("name")
        for model, _quantity_field, document_field in OTHER_DOCUMENTS:
            records = written.get(model)
            if records:
                names += (records[document_field] if document_field else records).mapped(
                    "display_name"
                )
        return {
            "state": "ordered",
            "qty_ordered": quantity,
            "picking_ids": [(6, 0, pickings.ids)],
            "result": ", ".join(dict.fromkeys(names)) or _("Ordered"),
            "error": False,
        }

    @api.model
    def _documents_of(self, orderpoint):
        """model -> {id: quantity} of the stock moves (and RFQ / MO lines) of a rule."""
        sources = [("stock.move", "product_uom_qty", "picking_id"), *OTHER_DOCUMENTS]
        documents = {}
        for model, quantity_field, _document_field in sources:
            if model not in self.env or "orderpoint_id" not in self.env[model]._fields:
                continue
            records = self.env[model].search([("orderpoint_id", "=", orderpoint.id)])
            documents[model] = {record.id: record[quantity_field] for record in records}
        return documents

    @api.model
    def _written_since(self, before, after):
        """model -> the records created, or changed in quantity (merged), since ``before``."""
        written = {}
        for model, quantities in after.items():
            previous = before.get(model, {})
            written[model] = self.env[model].browse(
                [
                    record_id
                    for record_id, quantity in quantities.items()
                    if previous.get(record_id) != quantity
                ]
            )
        return written
