# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo import fields, models

EPCIS_PRODUCT_DAYS = 7


class ProductProduct(models.Model):
    _inherit = "product.product"

    def action_rrs_epcis_events(self):
        """The EPCIS events of the variant over the last week."""
        self.ensure_one()
        return self._rrs_epcis_events(self.display_name)

    def _rrs_epcis_events(self, subject):
        now = fields.Datetime.now()
        return self.env["rrs.epcis.event.wizard"]._rrs_open(
            subject,
            {"EQ_rtstock_product": "|".join(str(id_) for id_ in self.ids)},
            now - timedelta(days=EPCIS_PRODUCT_DAYS),
            now + timedelta(seconds=1),
        )
