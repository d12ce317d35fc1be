# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class RrsEpcisPartnerTokenWizard(models.TransientModel):
    """Shows a freshly generated EPCIS partner token once.

    Like the device token wizard: opened with the token in its default values,
    with only a Close button, so it is never saved and the token is not
    written anywhere.
    """

    _name = "rrs.epcis.partner.token.wizard"
    _description = "Retail Stock EPCIS Partner Token"

    epcis_partner_id = fields.Many2one(
        comodel_name="rrs.epcis.partner", string="EPCIS partner", readonly=True
    )
    token = fields.Char(readonly=True)
