# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from . import gs1


class StockLocation(models.Model):
    _inherit = "stock.location"

    rrs_gln_extension = fields.Char(
        string="SGLN extension",
        help="What tells this location apart within its store's GLN in EPCIS events "
        "(GS1 AI 254: up to 20 letters, digits and the characters "
        "! \" % & ' ( ) * + , - . / : ; < = > ? _). Empty: the location's id.",
    )

    @api.constrains("rrs_gln_extension")
    def _check_rrs_gln_extension(self):
        for location in self:
            extension = location.rrs_gln_extension
            if extension and not gs1.is_gln_extension(extension):
                raise ValidationError(
                    _(
                        "The SGLN extension of %(location)s must be 1 to 20 letters, "
                        "digits or GS1 punctuation (no spaces), not %(extension)s.",
                        location=location.display_name,
                        extension=extension,
                    )
                )
