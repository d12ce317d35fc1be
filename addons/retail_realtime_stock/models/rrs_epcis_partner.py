# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.exceptions import ValidationError

from . import gs1

#: System parameters (per company id) of the back-office partner Odoo's own EPCIS
#: buttons ask as, and of its token.
FORMS_PARTNER_PARAM = "retail_realtime_stock.epcis_forms_partner.%s"
FORMS_TOKEN_PARAM = "retail_realtime_stock.epcis_forms_token.%s"


class RrsEpcisPartner(models.Model):
    """A supplier allowed to query the EPCIS events of its own products.

    The contract with the ingest's EPCIS query interface
    (``ingest_core/epcis/service.py``): it hashes the bearer token with sha256,
    finds the active partner whose ``token_hash`` it is, and answers with the
    events of the products whose GTINs carry one of the partner's
    ``company_prefixes``, moved by its ``company_id``; a back-office partner
    (``all_products``) sees every product of its company.
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
        tracking=True,
        help="The supplier's GS1 Company Prefixes (6 to 12 digits each), separated by "
        "spaces or commas. The partner may query the events of the products whose "
        "GTIN carries one of them, and of no others.",
    )
    all_products = fields.Boolean(
        string="Back office (every product)",
        default=False,  # written on create, so the prefixes' constraint always runs
        tracking=True,
        help="The partner sees the events of every product of its company, with or "
        "without a GTIN: for the company's own tools, never for a supplier. Odoo's "
        "own EPCIS buttons (product, move, tag) ask as such a partner, which Odoo "
        "creates on first use.",
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

    @api.constrains("company_prefixes", "all_products")
    def _check_company_prefixes(self):
        for partner in self:
            prefixes = gs1.split_company_prefixes(partner.company_prefixes)
            wrong = [prefix for prefix in prefixes if not gs1.is_company_prefix(prefix)]
            if wrong or not (prefixes or partner.all_products):
                raise ValidationError(
                    _(
                        "The GS1 company prefixes of %(partner)s must be 6 to 12 digits "
                        "each, separated by spaces or commas: %(wrong)s is not.",
                        partner=partner.display_name,
                        wrong=", ".join(wrong) or partner.company_prefixes or _("none"),
                    )
                )

    @api.model
    def _rrs_forms_token(self, company):
        """The token Odoo's EPCIS buttons ask the ingest with, for ``company``.

        On first use Odoo makes a back-office partner (``all_products``) for the
        company and keeps its token in a system parameter (readable by
        administrators only): the ingest needs the token, Odoo the plain text to
        send it. Both are committed at once in a transaction of their own: the
        ingest reads the partner from the database, and would not see it in the
        user's transaction. Revoking that partner's token stops the buttons until
        a manager generates a new one on it, which Odoo then keeps instead.
        """
        token = self._rrs_known_forms_token(company.id)
        if token:
            return token
        with self.env.registry.cursor() as cr:
            env = self.env(cr=cr, user=SUPERUSER_ID)
            return env["rrs.epcis.partner"]._rrs_known_forms_token(company.id) or env[
                "rrs.epcis.partner"
            ]._rrs_make_forms_partner(company.id)

    @api.model
    def _rrs_known_forms_token(self, company_id):
        params = self.env["ir.config_parameter"].sudo()
        token = params.get_param(FORMS_TOKEN_PARAM % company_id)
        partner = self.sudo().browse(int(params.get_param(FORMS_PARTNER_PARAM % company_id) or 0))
        return token if token and partner.exists() else False

    @api.model
    def _rrs_make_forms_partner(self, company_id):
        """Make the company's back-office partner, or give it a new token; the token."""
        params = self.env["ir.config_parameter"].sudo()
        partner = self.sudo().browse(int(params.get_param(FORMS_PARTNER_PARAM % company_id) or 0))
        if not partner.exists():
            company = self.env["res.company"].browse(company_id)
            partner = self.sudo().create(
                {
                    "name": _("Odoo back office (%s)", company.name),
                    "all_products": True,
                    "company_id": company_id,
                }
            )
            params.set_param(FORMS_PARTNER_PARAM % company_id, partner.id)
        return partner._set_new_token()

    def _set_new_token(self):
        token = super()._set_new_token()
        params = self.env["ir.config_parameter"].sudo()
        if params.get_param(FORMS_PARTNER_PARAM % self.company_id.id) == str(self.id):
            params.set_param(FORMS_TOKEN_PARAM % self.company_id.id, token)
        return token

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
