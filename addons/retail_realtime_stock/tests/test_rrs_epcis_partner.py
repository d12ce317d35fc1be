# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import hashlib

from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user
from odoo.tools import mute_logger

from .common import RrsCommon

VALID_GLNS = ("4012345000009", "0614141000005", "0614141123452")
INVALID_GLNS = (
    "4012345000008",  # wrong check digit
    "0614141000006",  # wrong check digit
    "401234500000",  # 12 digits
    "40123450000090",  # 14 digits
    "401234500000A",  # a letter
    "4O12345000009",  # the letter O for a zero
    " 4012345000009",  # a space
    "٤٠١٢٣٤٥٠٠٠٠٠٩",  # Arabic-Indic digits: digits, but not GS1's
)


class TestRrsEpcisPartner(RrsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.supplier = cls.env["res.partner"].create({"name": "Acme Soap Ltd"})
        cls.epcis_partner = cls._create_epcis_partner(
            "Acme Soap", "4012345 0614141", partner_id=cls.supplier.id
        )
        cls.other_epcis_partner = cls._create_epcis_partner("Other supplier", "5012345")
        cls.stock_user = new_test_user(
            cls.env, login="rrs_stock_user", groups="base.group_user,stock.group_stock_user"
        )

    def _assert_accepted(self, record, field, values):
        for value in values:
            record.write({field: value})
            self.assertEqual(
                record[field], value, f"{record._name}.{field} should accept {value!r}"
            )

    def _assert_rejected(self, record, field, values):
        for value in values:
            with (
                self.assertRaises(
                    ValidationError, msg=f"{record._name}.{field} should reject {value!r}"
                ),
                self.cr.savepoint(),
            ):
                record.write({field: value})

    def test_company_prefix_accepts_6_to_12_digits(self):
        """A GS1 company prefix of 6 to 12 digits is accepted, and so is none."""
        self._assert_accepted(
            self.company, "rrs_gs1_prefix", ("401234", "4012345", "401234500000", False)
        )

    def test_company_prefix_rejects_letters_and_wrong_length(self):
        """A prefix that is too short, too long or not all ASCII digits is refused."""
        self._assert_rejected(
            self.company,
            "rrs_gs1_prefix",
            ("40123", "4012345000001", "40123AB", "4012 345", "٤٠١٢٣٤٥"),
        )

    def test_company_and_store_gln_accept_valid_check_digit(self):
        """Company and store GLNs of 13 digits with a right check digit are accepted."""
        self._assert_accepted(self.company, "rrs_gln", (*VALID_GLNS, False))
        self._assert_accepted(self.store_s01, "rrs_gln", (*VALID_GLNS, False))

    def test_company_and_store_gln_reject_bad_values(self):
        """A wrong check digit, a letter or a wrong length makes a GLN invalid."""
        self._assert_rejected(self.company, "rrs_gln", INVALID_GLNS)
        self._assert_rejected(self.store_s01, "rrs_gln", INVALID_GLNS)

    def test_location_extension_accepts_ai_82_characters(self):
        """An SGLN extension of up to 20 characters of GS1's set 82 is accepted."""
        self._assert_accepted(
            self.store_s01.lot_stock_id,
            "rrs_gln_extension",
            ("12", "A-1/b.x_2", "(shelf)+1:2;3?", "X" * 20, False),
        )

    def test_location_extension_rejects_other_characters_and_length(self):
        """Spaces, characters outside set 82 and more than 20 characters are refused."""
        self._assert_rejected(
            self.store_s01.lot_stock_id,
            "rrs_gln_extension",
            ("X" * 21, "shelf 1", "A#1", "Bäck", "A@1"),
        )

    def test_partner_prefixes_accept_spaces_and_commas(self):
        """A partner's prefixes may be separated by spaces, commas or both."""
        self._assert_accepted(
            self.epcis_partner,
            "company_prefixes",
            ("4012345", "4012345 0614141", "4012345,0614141", " 4012345 ,  401234500000 "),
        )

    def test_partner_prefixes_reject_any_bad_prefix(self):
        """Each of a partner's prefixes must be 6 to 12 digits, and one is needed."""
        self._assert_rejected(
            self.epcis_partner,
            "company_prefixes",
            ("4012345 12345", "4012345,ABC1234", "4012345;0614141", ", ,", "4012345000001"),
        )

    def test_generate_token_stores_only_its_hash(self):
        """The new token is returned once; only its sha256 and hint are kept."""
        action = self.epcis_partner.action_generate_token()
        token = action["context"]["default_token"]
        self.assertGreaterEqual(len(token), 40, "token_urlsafe(32) gives 43 characters")
        self.assertEqual(
            action["res_model"], "rrs.epcis.partner.token.wizard", "token shown in the wizard"
        )
        self.assertEqual(
            self.epcis_partner.sudo().token_hash,
            hashlib.sha256(token.encode()).hexdigest(),
            "the sha256 hex digest of the token should be stored",
        )
        self.assertEqual(self.epcis_partner.token_hint, token[:6], "hint is the first 6 chars")
        self.assertTrue(self.epcis_partner.has_token, "partner should report a token")
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT row_to_json(p)::text FROM rrs_epcis_partner p WHERE id = %s",
            [self.epcis_partner.id],
        )
        self.assertNotIn(token, self.env.cr.fetchone()[0], "the token itself is not stored")
        self.assertFalse(
            any(token in (body or "") for body in self.epcis_partner.message_ids.mapped("body")),
            "the chatter names the token by its hint only",
        )

    def test_token_wizard_shows_token_without_saving_it(self):
        """The wizard shows the token from its defaults and stores nothing."""
        wizard_model = self.env["rrs.epcis.partner.token.wizard"]
        count_before = wizard_model.search_count([])
        action = self.epcis_partner.action_generate_token()
        defaults = wizard_model.with_context(**action["context"]).default_get(
            ["token", "epcis_partner_id"]
        )
        self.assertEqual(defaults["token"], action["context"]["default_token"], "token shown")
        self.assertEqual(defaults["epcis_partner_id"], self.epcis_partner.id, "partner shown")
        self.assertEqual(wizard_model.search_count([]), count_before, "no wizard row written")

    def test_new_token_replaces_previous(self):
        """A second token replaces the first one."""
        first = self.epcis_partner.action_generate_token()["context"]["default_token"]
        second = self.epcis_partner.action_generate_token()["context"]["default_token"]
        self.assertNotEqual(first, second, "tokens are random")
        self.assertEqual(
            self.epcis_partner.sudo().token_hash,
            hashlib.sha256(second.encode()).hexdigest(),
            "only the newest token is valid",
        )

    def test_revoke_token_clears_hash(self):
        """Revoking clears the hash and the hint."""
        self.epcis_partner.action_generate_token()
        self.epcis_partner.action_revoke_token()
        self.assertFalse(self.epcis_partner.sudo().token_hash, "hash should be cleared")
        self.assertFalse(self.epcis_partner.token_hint, "hint should be cleared")
        self.assertFalse(self.epcis_partner.has_token, "partner should report no token")

    def test_token_hash_is_unique(self):
        """Two partners cannot hold the same token hash."""
        self.epcis_partner.sudo().token_hash = "a" * 64
        self.env.flush_all()
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            self.other_epcis_partner.sudo().token_hash = "a" * 64
            self.env.flush_all()

    def test_only_managers_read_partners(self):
        """Stock users and Retail Stock users cannot read partners; managers can."""
        for user in (self.stock_user, self.user_s01):
            partners = self.env["rrs.epcis.partner"].with_user(user)
            with self.assertRaises(AccessError, msg=f"{user.login} searched EPCIS partners"):
                partners.search([])
            with self.assertRaises(AccessError, msg=f"{user.login} read an EPCIS partner"):
                self.epcis_partner.with_user(user).read(["name"])
        found = self.env["rrs.epcis.partner"].with_user(self.manager).search([])
        self.assertIn(self.epcis_partner, found, "a manager sees the partners")

    def test_token_hash_unreadable_by_managers(self):
        """Even a manager cannot read a partner's token hash."""
        self.epcis_partner.action_generate_token()
        with self.assertRaises(AccessError, msg="manager read token_hash"):
            self.epcis_partner.with_user(self.manager).read(["token_hash"])

    def test_partner_of_other_company_hidden(self):
        """A manager does not see the partners of a company they do not work for."""
        other_company = self.env["res.company"].create({"name": "RRS Other Company"})
        foreign = self._create_epcis_partner(
            "Foreign supplier", "7012345", company_id=other_company.id
        )
        found = self.env["rrs.epcis.partner"].with_user(self.manager).search([])
        self.assertNotIn(foreign, found, "another company's partner is hidden")
        self.assertIn(self.epcis_partner, found, "the own company's partner is seen")
