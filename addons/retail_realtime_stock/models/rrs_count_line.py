# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from pathlib import Path

from odoo import api, fields, models

from .own_table import MAGIC_COLUMNS, ensure_table

#: ``rrs_count_comparison(session, location)``: the comparison both closes use.
COMPARISON_SQL = Path(__file__).with_name("rrs_count_comparison.sql")
#: count_comparison.DROP_DDL: the uninstall hook removes it.
COMPARISON_DROP_SQL = "DROP FUNCTION IF EXISTS rrs_count_comparison(integer, integer)"

TABLE_DDL = (
    f"""
    CREATE TABLE IF NOT EXISTS rrs_count_line (
        id serial PRIMARY KEY,
        session_id integer NOT NULL,
        product_id integer NOT NULL,
        lot_id integer,
        location_id integer NOT NULL,
        expected numeric,
        counted numeric,{MAGIC_COLUMNS}
    )
    """,
    "COMMENT ON TABLE rrs_count_line IS 'Retail Stock Count Line'",
    "CREATE INDEX IF NOT EXISTS rrs_count_line_session_idx ON rrs_count_line (session_id)",
)


class RrsCountLine(models.Model):
    """Expected (Odoo) vs counted (distinct EPCs) per product and lot of a stopped count."""

    _name = "rrs.count.line"
    _description = "Retail Stock Count Line"
    _auto = False
    _order = "session_id, product_id, lot_id, id"

    session_id = fields.Many2one(comodel_name="rrs.count.session", required=True, readonly=True)
    product_id = fields.Many2one(comodel_name="product.product", required=True, readonly=True)
    lot_id = fields.Many2one(comodel_name="stock.lot", readonly=True)
    location_id = fields.Many2one(comodel_name="stock.location", required=True, readonly=True)
    expected = fields.Float(digits="Product Unit of Measure", readonly=True)
    counted = fields.Float(digits="Product Unit of Measure", readonly=True)
    difference = fields.Float(compute="_compute_difference", digits="Product Unit of Measure")

    @api.depends("expected", "counted")
    def _compute_difference(self):
        for line in self:
            line.difference = line.counted - line.expected

    def init(self):
        ensure_table(self.env.cr, self._table, TABLE_DDL)
        # After rrs_epc and rrs_count_epc (models/__init__.py order): the function reads them.
        self.env.cr.execute(COMPARISON_SQL.read_text(encoding="utf-8"))

    def _quant(self, quants):
        """The quant the line's count is written on: the key's first quant without package
        or owner (``quants``: the ``stock.quant`` model, in the context to search with)."""
        self.ensure_one()
        return quants.search(
            [
                ("product_id", "=", self.product_id.id),
                ("location_id", "=", self.location_id.id),
                ("lot_id", "=", self.lot_id.id),
                ("package_id", "=", False),
                ("owner_id", "=", False),
            ],
            order="id",
            limit=1,
        )
