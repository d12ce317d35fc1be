# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The EPCIS buttons of the product, move and tag forms, over real HTTP.

The ingest itself is not in Odoo's Python: here a small HTTP server on the
loopback answers as its ``GET /epcis/events`` does (an EPCIS query document,
``Link`` for the next page, problem documents for refusals) and records what
Odoo asked. The project's ``tests/test_epcis_odoo_live.py`` runs the same
buttons against the real ingest on a live Odoo database.
"""

import hashlib
import json
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from odoo.exceptions import UserError, ValidationError
from odoo.tests import new_test_user

from ..models.rrs_epcis_partner import FORMS_PARTNER_PARAM, FORMS_TOKEN_PARAM
from ..wizards.rrs_epcis_event_wizard import INGEST_URL_PARAM
from .common import RrsCommon

SALE = {
    "type": "ObjectEvent",
    "eventTime": "2026-12-07T10:15:30.250+01:00",
    "eventTimeZoneOffset": "+01:00",
    "eventID": "ni:///sha-256;" + "a" * 64 + "?ver=CBV2.0",
    "action": "OBSERVE",
    "bizStep": "retail_selling",
    "disposition": "retail_sold",
    "epcList": [],
    "quantityList": [
        {"epcClass": "https://id.gs1.org/01/04012345000009", "quantity": 3.0, "uom": "H87"}
    ],
    "readPoint": {"id": "https://id.gs1.org/414/0000000000024/254/18"},
}
EXIT = {
    **SALE,
    "eventTime": "2026-12-07T09:00:00.000Z",
    "eventTimeZoneOffset": "+00:00",
    "eventID": "ni:///sha-256;" + "b" * 64 + "?ver=CBV2.0",
    "disposition": "stolen",
    "bizStep": "entering_exiting",
    "epcList": [
        "urn:epc:id:sgtin:4012345.000000.10",
        "urn:epc:id:sgtin:4012345.000000.11",
    ],
    "quantityList": [],
}


class _FakeIngest(BaseHTTPRequestHandler):
    """Answers as the ingest's EPCIS route; what Odoo asked goes to ``server.asked``."""

    def do_GET(self):
        url = urlsplit(self.path)
        params = parse_qs(url.query)
        self.server.asked.append((url.path, params, self.headers.get("Authorization")))
        status, headers, body = self.server.answer(params)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(json.dumps(body).encode())

    def log_message(self, *args):  # quiet: the test reads ``asked`` instead
        pass


def _page(events):
    return {
        "type": "EPCISQueryDocument",
        "epcisBody": {"queryResults": {"resultsBody": {"eventList": events}}},
    }


class TestRrsEpcisEvents(RrsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The back-office token is committed in a cursor of its own: here, one that
        # shares the test's transaction (and is rolled back with it).
        cls.registry.enter_test_mode(cls.cr)
        cls.addClassCleanup(cls.registry.leave_test_mode)
        cls.server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeIngest)
        cls.server.asked = []
        cls.server.answer = lambda params: (200, {}, _page([SALE]))
        thread = threading.Thread(target=cls.server.serve_forever, daemon=True)
        thread.start()
        cls.addClassCleanup(thread.join, 10)
        cls.addClassCleanup(cls.server.server_close)
        cls.addClassCleanup(cls.server.shutdown)
        cls.env["ir.config_parameter"].sudo().set_param(
            INGEST_URL_PARAM, f"http://127.0.0.1:{cls.server.server_port}/"
        )
        cls.stock_user = new_test_user(
            cls.env,
            login="rrs_epcis_user",
            groups="base.group_user,stock.group_stock_user,retail_realtime_stock.group_rrs_user",
        )

    def setUp(self):
        super().setUp()
        self.server.asked.clear()
        self.server.answer = lambda params: (200, {}, _page([SALE]))

    def _open(self, action):
        self.assertEqual(action["res_model"], "rrs.epcis.event.wizard")
        return self.env["rrs.epcis.event.wizard"].browse(action["res_id"])

    def _forms_partner(self):
        params = self.env["ir.config_parameter"].sudo()
        partner_id = int(params.get_param(FORMS_PARTNER_PARAM % self.env.company.id))
        return self.env["rrs.epcis.partner"].sudo().browse(partner_id)

    def test_product_events_are_asked_as_the_back_office_and_shown(self):
        """The product's button asks for its variants' week of events with the token of
        a back-office partner Odoo made, and shows each event in Odoo's words."""
        wizard = self._open(
            self.product.product_tmpl_id.with_user(self.stock_user).action_rrs_epcis_events()
        )
        ((path, params, authorization),) = self.server.asked
        self.assertEqual(path, "/epcis/events")
        self.assertEqual(params["EQ_rtstock_product"], [str(self.product.id)])
        self.assertEqual(params["perPage"], ["200"])
        self.assertTrue(params["GE_eventTime"][0].endswith("Z"))
        partner = self._forms_partner()
        self.assertTrue(partner.all_products)
        self.assertFalse(partner.company_prefixes)
        token = authorization.removeprefix("Bearer ")
        self.assertEqual(partner.token_hash, hashlib.sha256(token.encode()).hexdigest())
        (line,) = wizard.line_ids
        self.assertEqual(str(line.event_time), "2026-12-07 09:15:30", "UTC, naive")
        self.assertEqual((line.biz_step, line.disposition), ("retail_selling", "retail_sold"))
        self.assertEqual(line.quantity, 3.0)
        self.assertIn("https://id.gs1.org/01/04012345000009", line.what)
        self.assertEqual(json.loads(line.document)["eventID"], SALE["eventID"])

    def test_the_back_office_token_is_made_once_and_follows_a_new_one(self):
        """Later queries reuse the token; a new token generated on the back-office
        partner is the one Odoo sends from then on."""
        self.product.action_rrs_epcis_events()
        self.product.action_rrs_epcis_events()
        first, second = (asked[2] for asked in self.server.asked)
        self.assertEqual(first, second)
        partner = self._forms_partner()
        self.assertEqual(
            self.env["rrs.epcis.partner"].sudo().search_count([("all_products", "=", True)]), 1
        )
        partner.action_generate_token()
        self.product.action_rrs_epcis_events()
        third = self.server.asked[-1][2].removeprefix("Bearer ")
        self.assertNotEqual(third, first.removeprefix("Bearer "))
        self.assertEqual(partner.token_hash, hashlib.sha256(third.encode()).hexdigest())
        params = self.env["ir.config_parameter"].sudo()
        self.assertEqual(params.get_param(FORMS_TOKEN_PARAM % self.env.company.id), third)

    def test_next_page_follows_the_link_of_the_answer(self):
        """A ``Link: rel="next"`` answer offers the next page, asked with its token."""
        self.server.answer = lambda params: (
            (
                200,
                {"Link": '</epcis/events?perPage=200&nextPageToken=tok2>; rel="next"'},
                _page([SALE]),
            )
            if "nextPageToken" not in params
            else (200, {}, _page([EXIT]))
        )
        wizard = self._open(self.product.action_rrs_epcis_events())
        self.assertEqual(wizard.next_page_token, "tok2")
        wizard.action_next_page()
        self.assertEqual(self.server.asked[-1][1]["nextPageToken"], ["tok2"])
        (line,) = wizard.line_ids
        self.assertEqual((wizard.page, wizard.next_page_token), (2, False))
        self.assertEqual((line.biz_step, line.disposition), ("entering_exiting", "stolen"))
        self.assertEqual(line.quantity, 2, "one per EPC")
        self.assertEqual(line.what.splitlines(), EXIT["epcList"])

    def test_a_done_move_asks_for_its_own_events_and_a_draft_one_has_none(self):
        """A done move asks with ``EQ_rtstock_move`` over the 31 days up to it; a move
        that is not done has no events to show."""
        stock = self.store_s01.lot_stock_id
        done = self.env["stock.move"].create(
            {
                "name": "sale",
                "product_id": self.product.id,
                "product_uom": self.product.uom_id.id,
                "product_uom_qty": 1,
                "location_id": stock.id,
                "location_dest_id": self.customer_location.id,
            }
        )
        with self.assertRaises(UserError):
            done.action_rrs_epcis_events()
        done.write({"state": "done"})
        self._open(done.action_rrs_epcis_events())
        params = self.server.asked[-1][1]
        self.assertEqual(params["EQ_rtstock_move"], [str(done.id)])
        since, until = (
            datetime.fromisoformat(params[name][0].replace("Z", ""))
            for name in ("GE_eventTime", "LT_eventTime")
        )
        self.assertEqual(until, done.date + timedelta(seconds=1))
        self.assertGreater(until - since, timedelta(days=30), "a read may precede its move")
        self.assertLessEqual(until - since, timedelta(days=31), "the standard's limit")

    def test_a_tag_asks_with_its_epc_as_read(self):
        """The tag's button matches the EPC as ``rrs_epc`` holds it (hex)."""
        tag = self.env["rrs.epc"].create(
            {"epc": "3034257BF400B7800000000A", "product_id": self.product.id, "state": "sold"}
        )
        self._open(tag.action_rrs_epcis_events())
        params = self.server.asked[-1][1]
        self.assertEqual(params["MATCH_epc"], ["3034257BF400B7800000000A"])
        self.assertEqual(params["EQ_rtstock_product"], [str(self.product.id)])

    def test_refusals_and_a_silent_ingest_are_told_plainly(self):
        """A revoked token, a refused query and an ingest that does not answer give a
        message that says what to do, never a traceback."""
        self.server.answer = lambda params: (
            401,
            {"Content-Type": "application/problem+json"},
            {"type": "epcisException:SecurityException", "detail": "unknown or revoked"},
        )
        with self.assertRaisesRegex(UserError, "back-office EPCIS token"):
            self.product.action_rrs_epcis_events()
        self.server.answer = lambda params: (
            413,
            {},
            {"type": "epcisException:QueryTooLargeException", "detail": "split it"},
        )
        with self.assertRaisesRegex(UserError, "HTTP 413.*split it"):
            self.product.action_rrs_epcis_events()
        self.env["ir.config_parameter"].sudo().set_param(INGEST_URL_PARAM, "http://127.0.0.1:9")
        with self.assertRaisesRegex(UserError, "does not answer"):
            self.product.action_rrs_epcis_events()

    def test_a_partner_needs_prefixes_unless_it_is_the_back_office(self):
        """A supplier without GS1 prefixes is refused; a back-office partner needs none."""
        partners = self.env["rrs.epcis.partner"]
        with self.assertRaises(ValidationError), self.cr.savepoint():
            partners.create({"name": "No prefix"})
        self.assertTrue(partners.create({"name": "BI tool", "all_products": True}))
