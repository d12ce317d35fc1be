# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models

from .rrs_alert import ALERT_KINDS

THRESHOLD_HELP = (
    "What the threshold means depends on the kind:\n"
    "- Out of stock: an empty shelf is an alert only if the product sold in the "
    "store within this many days (default 30).\n"
    "- Count discrepancy: the quantity difference above which a count is an "
    "alert (default 1).\n"
    "- Shrink: not used (every unit that leaves through an RFID exit without a sale "
    "counts).\n"
    "- Stale count: days without a count of the location (default 30).\n"
    "- Device silent: minutes without a read (default 30); its value threshold: the "
    "quarantined reads in those minutes above which the device is an alert.\n"
    "- Forecast stock-out: the lead days whose forecast demand the store's stock "
    "must cover (default 3).\n"
    "- Below min, over max, negative stock: not used (the reorder rule's min and "
    "max, and zero, are the limits)."
)


class RrsAlertRule(models.Model):
    """Which alerts a store raises, at what threshold, and who is told.

    Read by the ``stock_quant`` triggers (``rrs_alert_rule_for`` in
    ``rrs_alert.sql``) and by the alert job: the most specific active rule of a
    kind wins (store and category, store, category, neither); without a rule a
    kind is on with its default threshold.
    """

    _name = "rrs.alert.rule"
    _description = "Retail Stock Alert Rule"
    _order = "kind, warehouse_id, categ_id, id"

    kind = fields.Selection(selection=ALERT_KINDS, required=True)
    warehouse_id = fields.Many2one(
        comodel_name="stock.warehouse",
        string="Store",
        ondelete="cascade",
        help="Empty: every store.",
    )
    categ_id = fields.Many2one(
        comodel_name="product.category",
        string="Product category",
        ondelete="cascade",
        help="Empty: every category. A category's rule applies to its sub-categories.",
    )
    company_id = fields.Many2one(
        comodel_name="res.company", default=lambda self: self.env.company
    )
    active = fields.Boolean(default=True)
    enabled = fields.Boolean(
        string="Raise alerts",
        default=True,
        help="Off: this kind raises no alert for the store and category.",
    )
    threshold = fields.Float(digits=0, help=THRESHOLD_HELP)
    threshold_value = fields.Float(
        string="Value threshold",
        digits=0,
        help="Count discrepancy: the value difference (in the company's currency) "
        "above which a count is an alert. Device silent: the error rate (0-1) above "
        "which a device is an alert.",
    )
    notify_user_ids = fields.Many2many(
        comodel_name="res.users",
        relation="rrs_alert_rule_res_users_rel",
        column1="rule_id",
        column2="user_id",
        string="Notify",
        help="Users told of each new alert. Empty: the users of the store "
        "(their Retail stores).",
    )

    @api.model
    def _rule_for(self, kind, warehouse, category):
        """The most specific active rule of ``kind`` for a store and a category.

        The same order as ``rrs_alert_rule_for`` in SQL: store and category,
        store, category, neither; the deepest category first.
        """
        path = category.parent_path or ""
        candidates = self.search(
            [
                ("kind", "=", kind),
                ("warehouse_id", "in", [warehouse.id, False]),
            ]
        ).filtered(lambda rule: not rule.categ_id or path.startswith(rule.categ_id.parent_path))
        return candidates.sorted(
            lambda rule: (
                not rule.warehouse_id,
                -len(rule.categ_id.parent_path) if rule.categ_id else 1,
                rule.id,
            )
        )[:1]
