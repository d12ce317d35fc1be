# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import hashlib
import secrets

from odoo import _, api, fields, models

TOKEN_HINT_LENGTH = 6


class RrsTokenMixin(models.AbstractModel):
    """A secret token for a client of the ingest (a device, an EPCIS partner).

    Only the token's sha256 hex digest is stored, which the ingest computes
    from the token it is given and looks up; the token itself is returned
    once by ``_set_new_token`` for a wizard to show, and never kept. A model
    using it inherits ``mail.thread`` too: its chatter records each new token
    (by its hint) and each revocation.
    """

    _name = "rrs.token.mixin"
    _description = "Retail Stock Token Holder"

    # groups="." makes the hash unreadable for every user, whatever their
    # groups (only sudo code reads it).
    token_hash = fields.Char(copy=False, readonly=True, groups=".")
    token_hint = fields.Char(
        copy=False,
        readonly=True,
        help="First characters of the current token, to tell tokens apart.",
    )
    has_token = fields.Boolean(compute="_compute_has_token")

    def _compute_has_token(self):
        hashed = {record.id: record.token_hash for record in self.sudo()}
        for record in self:
            record.has_token = bool(hashed.get(record.id))

    @api.model
    def _hash_token(self, token):
        """Return the hex digest stored for ``token`` (the ingest computes the same)."""
        return hashlib.sha256(token.encode()).hexdigest()

    def _prepare_token_vals(self, token):
        return {
            "token_hash": self._hash_token(token),
            "token_hint": token[:TOKEN_HINT_LENGTH],
        }

    def _set_new_token(self):
        """Give the record a new random token; return it (it is not kept)."""
        self.ensure_one()
        self.check_access("write")
        token = secrets.token_urlsafe(32)
        self.sudo().write(self._prepare_token_vals(token))
        self.message_post(
            body=_("New token generated (starts with %s).", token[:TOKEN_HINT_LENGTH])
        )
        return token

    def action_revoke_token(self):
        """Revoke the token: the ingest refuses it at once, until a new one is generated."""
        self.check_access("write")
        for record in self:
            record.sudo().write({"token_hash": False, "token_hint": False})
            record.message_post(body=_("Token revoked."))
        return True
