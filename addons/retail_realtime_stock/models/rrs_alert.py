# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Stock alerts: raised with the stock change, told to the store by Odoo.

What it is: ``rrs_alert`` rows are opened and closed (``cleared``) where a
stock change crosses a line, by ``rrs_alert.sql``'s function: in the ingest
journal's transaction for the fast path's reads, by the ``stock_quant``
triggers for Odoo's own writes; the kinds that come with time (silent
devices, stale counts) by this job's sweep (docs/decisions/alerts.md). This
model shows them, lets a user close one with a reason, and runs the job.

How it works: new or closed alerts add an ``ir_cron_trigger`` row for the job
(``ir_cron_rrs_alert_actions``). The job orders the pending replenishment
requests (``rrs.replenish.request``), sweeps, then tells the users of each new
alert (a note on the alert that notifies them) and plans an activity for the
store manager on the kinds that need a person; alerts that cleared by
themselves mark their open activities done.

Caveats: a user's close ends the alert, not the condition: it opens again at
the next crossing (the stock recovers, then falls again).
"""

import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.sql import add_foreign_key, get_foreign_keys

from .stock_quant import LIVE_STOCK_CHANNEL_PREFIX

_logger = logging.getLogger(__name__)

#: The kinds of ingest_core/odoo/alerts.py (KINDS), with their labels.
ALERT_KINDS = [
    ("below_min", "Below min"),
    ("over_max", "Over max"),
    ("out_of_stock", "Out of stock"),
    ("negative_stock", "Negative stock"),
    ("count_discrepancy", "Count discrepancy"),
    ("shrink", "Shrink"),
    ("stale_count", "Stale count"),
    ("device_silent", "Device silent"),
    ("forecast_stockout", "Forecast stock-out"),
]
#: Kinds that need a person to investigate: an activity for the store manager.
ACTIVITY_KINDS = ("negative_stock", "count_discrepancy", "shrink", "device_silent")
#: The bus notification type of the triggers' messages (and of a user's close).
ALERT_NOTIFICATION = "rrs_alert"
#: alerts.ALERT_INDEXES, idempotent: the triggers' ON CONFLICT needs the first one.
ALERT_INDEXES = (
    "CREATE UNIQUE INDEX IF NOT EXISTS rrs_alert_open_uniq ON rrs_alert (kind, "
    "coalesce(product_id, 0), coalesce(location_id, 0), coalesce(device_id, 0)) "
    "WHERE state = 'open'",
    "CREATE INDEX IF NOT EXISTS rrs_alert_open_product_idx ON rrs_alert "
    "(product_id, location_id) WHERE state = 'open'",
)


def ensure_event_foreign_key(cr, table):
    """``event_id`` references ``rrs_event`` (tables.py): Odoo adds no foreign key
    towards an ``_auto = False`` model's table, so the add-on adds it."""
    if not get_foreign_keys(cr, table, "event_id", "rrs_event", "id", "set null"):
        add_foreign_key(cr, table, "event_id", "rrs_event", "id", "set null")


class RrsAlert(models.Model):
    _name = "rrs.alert"
    _description = "Retail Stock Alert"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "opened_at desc, id desc"
    _rec_names_search = ["product_id", "location_id", "device_id"]

    name = fields.Char(compute="_compute_name")
    kind = fields.Selection(selection=ALERT_KINDS, required=True, readonly=True)
    state = fields.Selection(
        selection=[("open", "Open"), ("closed", "Closed")],
        required=True,
        default="open",
        readonly=True,
    )
    product_id = fields.Many2one(
        comodel_name="product.product", ondelete="cascade", readonly=True
    )
    location_id = fields.Many2one(
        comodel_name="stock.location", ondelete="cascade", readonly=True
    )
    warehouse_id = fields.Many2one(
        comodel_name="stock.warehouse", string="Store", ondelete="cascade", readonly=True
    )
    company_id = fields.Many2one(comodel_name="res.company", readonly=True)
    orderpoint_id = fields.Many2one(
        comodel_name="stock.warehouse.orderpoint",
        string="Reorder rule",
        ondelete="set null",
        readonly=True,
    )
    device_id = fields.Many2one(comodel_name="rrs.device", ondelete="cascade", readonly=True)
    event_id = fields.Many2one(
        comodel_name="rrs.event",
        string="Read",
        ondelete="set null",
        readonly=True,
        help="The device read whose stock change raised the alert (empty when the "
        "change was made in Odoo).",
    )
    quantity = fields.Float(
        string="On hand",
        digits="Product Unit of Measure",
        readonly=True,
        help="On hand at the alert's location at its last update.",
    )
    threshold = fields.Float(
        digits="Product Unit of Measure",
        readonly=True,
        help="The limit crossed: the reorder rule's min (below min) or max (over max), "
        "zero for out of stock and negative stock.",
    )
    opened_at = fields.Datetime(required=True, default=fields.Datetime.now, readonly=True)
    updated_at = fields.Datetime(readonly=True)
    closed_at = fields.Datetime(readonly=True)
    close_reason = fields.Selection(
        selection=[("cleared", "Cleared by itself"), ("user", "Closed by a user")],
        readonly=True,
    )
    close_note = fields.Text(readonly=True)
    closed_by = fields.Many2one(comodel_name="res.users", readonly=True)
    update_count = fields.Integer(
        string="Updates", readonly=True, help="Stock changes seen while it was open."
    )
    dispatched = fields.Boolean(
        readonly=True,
        help="Odoo has told the users and planned the activity.",
    )
    request_ids = fields.One2many(
        comodel_name="rrs.replenish.request",
        inverse_name="alert_id",
        string="Replenishment requests",
        readonly=True,
    )
    picking_ids = fields.Many2many(
        comodel_name="stock.picking",
        string="Transfers",
        compute="_compute_picking_ids",
    )
    picking_count = fields.Integer(compute="_compute_picking_ids")
    is_my_store = fields.Boolean(
        string="My stores", compute="_compute_is_my_store", search="_search_is_my_store"
    )

    @api.depends("kind", "product_id", "location_id", "device_id")
    def _compute_name(self):
        labels = dict(self._fields["kind"]._description_selection(self.env))
        for alert in self:
            subject = alert.product_id or alert.device_id
            alert.name = _(
                "%(kind)s: %(subject)s @ %(where)s",
                kind=labels.get(alert.kind, alert.kind or ""),
                subject=subject.display_name or "",
                where=alert.location_id.display_name or alert.warehouse_id.display_name or "",
            )

    @api.depends("name")
    def _compute_display_name(self):
        for alert in self:
            alert.display_name = alert.name

    @api.depends("request_ids.picking_ids", "warehouse_id")
    def _compute_picking_ids(self):
        # The store's side of the replenishment: the transfers into the alert's store
        # (the distribution centre's delivery is on the request); all where none is.
        for alert in self:
            pickings = alert.request_ids.picking_ids
            alert.picking_ids = pickings.filtered(
                lambda picking, store=alert.warehouse_id: picking.location_dest_id.warehouse_id
                == store
            ) or pickings
            alert.picking_count = len(alert.picking_ids)

    def _compute_is_my_store(self):
        stores = self.env.user.rrs_warehouse_ids
        for alert in self:
            alert.is_my_store = alert.warehouse_id in stores

    def _search_is_my_store(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(_("Unsupported search on My stores."))
        positive = (operator == "=") == value
        return [
            ("warehouse_id", "in" if positive else "not in", self.env.user.rrs_warehouse_ids.ids)
        ]

    def init(self):
        # The functions and triggers come with rrs.replenish.request, created after.
        for statement in ALERT_INDEXES:
            self.env.cr.execute(statement)
        ensure_event_foreign_key(self.env.cr, self._table)

    # Actions

    def action_close(self):
        """Ask why, then close (the wizard calls ``_close_by_user``)."""
        return {
            "type": "ir.actions.act_window",
            "name": _("Close alert"),
            "res_model": "rrs.alert.close.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_alert_ids": [(6, 0, self.ids)]},
        }

    def action_view_pickings(self):
        """The transfers ordered by the alert's replenishment requests."""
        return self.env["rrs.replenish.request"]._action_view_pickings(self.picking_ids)

    @api.model
    def get_systray_data(self):
        """Open alerts the user sees, and the stores whose bus channels carry theirs."""
        user = self.env.user
        if not user.has_group("retail_realtime_stock.group_rrs_user"):
            return {"count": 0, "warehouse_ids": []}
        return {
            "count": self.search_count([("state", "=", "open")]),
            "warehouse_ids": user._rrs_store_warehouses().ids,
        }

    # Business methods

    def _close_by_user(self, note):
        """Close the open alerts with the user's reason and finish their activities."""
        alerts = self.filtered(lambda alert: alert.state == "open")
        now = fields.Datetime.now()
        alerts.write(
            {
                "state": "closed",
                "close_reason": "user",
                "close_note": note,
                "closed_by": self.env.uid,
                "closed_at": now,
                "updated_at": now,
            }
        )
        feedback = _("Closed by %(user)s: %(note)s", user=self.env.user.name, note=note or "")
        for alert in alerts:
            alert.activity_ids.action_feedback(feedback=feedback)
            if not alert.activity_ids:
                alert.message_post(body=feedback)
        alerts._send_bus_messages()
        return True

    def _bus_payload(self):
        self.ensure_one()
        return {
            "id": self.id,
            "kind": self.kind,
            "state": self.state,
            "product_id": self.product_id.id,
            "location_id": self.location_id.id,
            "warehouse_id": self.warehouse_id.id,
            "quantity": self.quantity,
            "threshold": self.threshold,
        }

    def _send_bus_messages(self):
        """The triggers' message, for changes made in Odoo (a user's close)."""
        bus = self.env["bus.bus"].sudo()
        for alert in self.filtered("warehouse_id"):
            bus._sendone(
                f"{LIVE_STOCK_CHANNEL_PREFIX}{alert.warehouse_id.id}",
                ALERT_NOTIFICATION,
                alert._bus_payload(),
            )

    @api.model
    def _cron_alert_actions(self):
        """The alert job: order the pending requests, raise the kinds that come with
        time, tell the stores, tidy activities."""
        self.env["rrs.replenish.request"]._cron_run_pending()
        self._sweep()
        self._dispatch_new_alerts()
        self._finish_cleared_activities()
        return True

    @api.model
    def _sweep(self):
        """Silent devices and stale counts (``rrs_alert_sweep`` in models/rrs_alert.sql):
        one statement over the devices and the stores' locations, as the stock changes'
        own alerts are raised in SQL."""
        self.env.flush_all()
        self.env.cr.execute(SQL("SELECT rrs_alert_sweep()"))
        changed = self.env.cr.fetchone()[0] or []
        self.browse(changed).invalidate_recordset()
        return self.browse(changed)

    @api.model
    def _dispatch_new_alerts(self):
        """Tell the users of each new alert; plan the manager's activity where needed."""
        alerts = self.search([("dispatched", "=", False)], order="id")
        for alert in alerts:
            try:
                with self.env.cr.savepoint():
                    if alert.state == "open":
                        alert._dispatch()
                    alert.dispatched = True
            except Exception:  # noqa: BLE001 -- one alert must not hold back the others
                _logger.exception("Could not dispatch alert %s; retried at the next run", alert.id)
        return alerts

    def _dispatch(self):
        self.ensure_one()
        users = self._recipients()
        body = _(
            "%(name)s: on hand %(quantity)s, limit %(threshold)s.",
            name=self.name,
            quantity=self.quantity,
            threshold=self.threshold,
        )
        self.message_post(
            body=body,
            partner_ids=users.partner_id.ids,
            subtype_xmlid="mail.mt_note",
        )
        if self.kind in ACTIVITY_KINDS:
            manager = self._store_manager(users)
            if manager:
                self.activity_schedule(
                    "mail.mail_activity_data_todo",
                    user_id=manager.id,
                    summary=self.name,
                    note=_("Find the cause (a receipt not scanned, a wrong product "
                           "scanned, a theft, a silent device) and close the alert "
                           "with what you found."),
                )

    def _recipients(self):
        """The rule's users, else the users of the store (their Retail stores)."""
        self.ensure_one()
        rule = self.env["rrs.alert.rule"]._rule_for(
            self.kind, self.warehouse_id, self.product_id.categ_id
        )
        users = rule.notify_user_ids
        if not users and self.warehouse_id:
            users = self.env["res.users"].search(
                [("rrs_warehouse_ids", "in", self.warehouse_id.ids), ("share", "=", False)]
            )
        return users.filtered(
            lambda user: user.has_group("retail_realtime_stock.group_rrs_user")
        )

    def _store_manager(self, recipients):
        """Who gets the activity: the first Retail Stock manager with the store set on
        their user; else the first user told; else nobody (the alert stays listed)."""
        self.ensure_one()
        managers = (
            self.env.ref("retail_realtime_stock.group_rrs_manager")
            .users.filtered(
                lambda user: user.active
                and not user.share
                and self.warehouse_id in user.rrs_warehouse_ids
            )
            .sorted("id")
        )
        return (managers or recipients.sorted("id"))[:1]

    @api.model
    def _finish_cleared_activities(self):
        """Alerts that cleared by themselves: their open activities are done."""
        alerts = self.search(
            [
                ("state", "=", "closed"),
                ("close_reason", "=", "cleared"),
                ("activity_ids", "!=", False),
            ]
        )
        for alert in alerts:
            alert.activity_ids.action_feedback(
                feedback=_("Cleared: the stock came back (%(quantity)s on hand).",
                           quantity=alert.quantity)
            )
        return alerts
