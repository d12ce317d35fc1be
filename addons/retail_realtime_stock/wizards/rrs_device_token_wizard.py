# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class RrsDeviceTokenWizard(models.TransientModel):
    """Shows a freshly generated device token once.

    The wizard is opened with the token in its default values and only has
    a Close button, so it is never saved: the token is not written anywhere.
    """

    _name = "rrs.device.token.wizard"
    _description = "Retail Stock Device Token"

    device_id = fields.Many2one(comodel_name="rrs.device", readonly=True)
    token = fields.Char(readonly=True)
