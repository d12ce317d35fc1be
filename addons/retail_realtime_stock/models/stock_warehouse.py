# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from . import gs1


class StockWarehouse(models.Model):
    _inherit = "stock.warehouse"

    rrs_gln = fields.Char(
        string="Store GLN",
        help="The store's Global Location Number (13 digits with the check digit). "
        "EPCIS events place the store's locations at it. Empty: built from the "
        "company's GS1 Company Prefix and this warehouse's id.",
    )
    rrs_training = fields.Boolean(
        string="Training store",
        help="Every device of the store is in training: their reads are checked and shown, "
        "never applied to the stock (Real-time Stock > Training reads). Unticking it puts "
        "them back to work.",
    )

    @api.constrains("rrs_gln")
    def _check_rrs_gln(self):
        for warehouse in self:
            if warehouse.rrs_gln and not gs1.is_gln(warehouse.rrs_gln):
                raise ValidationError(
                    _(
                        "The GLN of %(store)s must be 13 digits ending with their GS1 "
                        "check digit, not %(gln)s.",
                        store=warehouse.display_name,
                        gln=warehouse.rrs_gln,
                    )
                )
