# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

from .own_table import MAGIC_COLUMNS, ensure_table

# ingest_core/odoo/tables.py, ADDON_TABLES["rrs_orderpoint_level"]: same columns.
TABLE_DDL = (
    f"""
    CREATE TABLE IF NOT EXISTS rrs_orderpoint_level (
        id serial PRIMARY KEY,
        orderpoint_id integer NOT NULL,
        mode varchar NOT NULL,
        suggested_min numeric,
        suggested_max numeric,
        previous_min numeric,
        previous_max numeric,
        reason varchar,
        set_at timestamp,
        lead_days numeric,
        abc_class varchar,
        xyz_class varchar,{MAGIC_COLUMNS},
        CONSTRAINT rrs_orderpoint_level_orderpoint_uniq UNIQUE (orderpoint_id)
    )
    """,
    "COMMENT ON TABLE rrs_orderpoint_level IS 'Retail Stock Reorder Level'",
    # 18.0.1.6.0
    "ALTER TABLE rrs_orderpoint_level ADD COLUMN IF NOT EXISTS lead_days numeric",
    "ALTER TABLE rrs_orderpoint_level ADD COLUMN IF NOT EXISTS abc_class varchar",
    # 18.0.1.8.0
    "ALTER TABLE rrs_orderpoint_level ADD COLUMN IF NOT EXISTS xyz_class varchar",
)


class RrsOrderpointLevel(models.Model):
    """What the forecast says a reorder rule's min/max should be, and what it replaced.

    Written by ``rtstock forecast replenish``; a rule in mode ``forecast`` takes
    the suggestion, a ``manual`` one only shows it.
    """

    _name = "rrs.orderpoint.level"
    _description = "Retail Stock Reorder Level"
    _auto = False
    _rec_name = "orderpoint_id"

    orderpoint_id = fields.Many2one(
        comodel_name="stock.warehouse.orderpoint", required=True, ondelete="cascade"
    )
    mode = fields.Selection(
        selection=[("forecast", "From the forecast"), ("manual", "Manual")],
        required=True,
        default="manual",
    )
    suggested_min = fields.Float(readonly=True)
    suggested_max = fields.Float(readonly=True)
    previous_min = fields.Float(readonly=True)
    previous_max = fields.Float(readonly=True)
    reason = fields.Char(readonly=True)
    set_at = fields.Datetime(string="Suggested at", readonly=True)
    abc_class = fields.Selection(
        selection=[("A", "A"), ("B", "B"), ("C", "C")],
        string="ABC class",
        readonly=True,
        help="The product's share of the store's revenue of 90 days: A the first 80 %, "
        "B the next 15 %, C the rest; it sets the service level of the safety stock.",
    )
    xyz_class = fields.Selection(
        selection=[("X", "X"), ("Y", "Y"), ("Z", "Z")],
        string="XYZ class",
        readonly=True,
        help="How steady the product's weekly demand in the store was over 13 weeks "
        "(coefficient of variation): X below 0.5, Y below 1, Z above or no demand.",
    )
    lead_days = fields.Float(
        readonly=True,
        help="Odoo's lead days of the rule (its route's delays, the vendor's lead time, "
        "days to order), written every night: the forecast's min covers them.",
    )

    _sql_constraints = [
        ("orderpoint_uniq", "unique(orderpoint_id)", "One level per reorder rule."),
    ]

    def init(self):
        ensure_table(self.env.cr, self._table, TABLE_DDL)
