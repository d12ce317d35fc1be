# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from . import gs1


class ResCompany(models.Model):
    _inherit = "res.company"

    rrs_gs1_prefix = fields.Char(
        string="GS1 Company Prefix",
        help="The company prefix GS1 gave the company (6 to 12 digits). The EPCIS "
        "export builds from it the GLN of every store without a Store GLN (this "
        "prefix, the warehouse id, a check digit) and the Company GLN when that is "
        "empty. With a long prefix few warehouse ids fit: give the stores their own "
        "GLN. Empty: the export uses the restricted-circulation prefix 0000000, "
        "which no partner takes for a real party.",
    )
    rrs_gln = fields.Char(
        string="Company GLN",
        help="The company's Global Location Number (13 digits with the check digit). "
        "EPCIS events name the company by it as the owning party, and place the "
        "locations outside any store (transit, customers) at it. Empty: built from "
        "the GS1 Company Prefix.",
    )

    @api.constrains("rrs_gs1_prefix")
    def _check_rrs_gs1_prefix(self):
        for company in self:
            if company.rrs_gs1_prefix and not gs1.is_company_prefix(company.rrs_gs1_prefix):
                raise ValidationError(
                    _(
                        "The GS1 Company Prefix of %(company)s must be 6 to 12 digits, "
                        "not %(prefix)s.",
                        company=company.display_name,
                        prefix=company.rrs_gs1_prefix,
                    )
                )

    @api.constrains("rrs_gln")
    def _check_rrs_gln(self):
        for company in self:
            if company.rrs_gln and not gs1.is_gln(company.rrs_gln):
                raise ValidationError(
                    _(
                        "The GLN of %(company)s must be 13 digits ending with their GS1 "
                        "check digit, not %(gln)s.",
                        company=company.display_name,
                        gln=company.rrs_gln,
                    )
                )
