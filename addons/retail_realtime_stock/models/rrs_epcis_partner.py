# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from . import gs1


class RrsEpcisPartner(models.Model):
    """A supplier allowed to query the EPCIS events of its own products.

    The contract with the ingest's EPCIS query interface
    (``ingest_core/epcis/service.py``): it hashes the bearer token with sha256,
    finds the active partner whose ``token_hash`` it is, and answers with the
    events of the products whose GTINs carry one of the partner's
    ``company_prefixes``, moved by its ``company_id``.
    """

    _name = "rrs.epcis.partner"
    _description = "Retail Stock EPCIS Partner"
    _inherit = ["mail.thread", "rrs.token.mixin"]
    _order = "name, id"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    partner_id = fields.Many2one(
        comodel_name="res.partner",
        string="Supplier",
        check_company=True,
        tracking=True,
        help="The supplier's contact in Odoo (for reference only).",
    )
    company_prefixes = fields.Char(
        string="GS1 company prefixes",
        required=True,
        tracking=True,
        help="The supplier's GS1 Company Prefixes (6 to 12 digits each), separated by "
        "spaces or commas. The partner may query the events of the products whose "
        "GTIN carries one of them, and of no others.",
    )
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        comodel_name="res.company",
        required=True,
        default=lambda self: self.env.company,
    )

    _sql_constraints = [
        (
            "token_hash_uniq",
            "unique(token_hash)",
            "Two EPCIS partners cannot share a token.",
        ),
    ]

    @api.constrains("company_prefixes")
    def _check_company_prefixes(self):
        for partner in self:
            prefixes = gs1.split_company_prefixes(partner.company_prefixes)
            wrong = [prefix for prefix in prefixes if not gs1.is_company_prefix(prefix)]
            if wrong or not prefixes:
                raise ValidationError(
                    _(
                        "The GS1 company prefixes of %(partner)s must be 6 to 12 digits "
                        "each, separated by spaces or commas: %(wrong)s is not.",
                        partner=partner.display_name,
                        wrong=", ".join(wrong) or partner.company_prefixes,
                    )
                )

    def action_generate_token(self):
        """Replace the partner's token and show the new one once in a wizard."""
        self.ensure_one()
        token = self._set_new_token()
        return {
            "type": "ir.actions.act_window",
            "name": _("EPCIS partner token"),
            "res_model": "rrs.epcis.partner.token.wizard",
            "view_mode": "form",
            "target": "new",
            # The token travels in this answer only: the wizard is never saved.
            "context": {"default_epcis_partner_id": self.id, "default_token": token},
        }
