# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The EPCIS events of a product, a move or an RFID tag, seen from their forms.

What it is: a window onto the ingest's EPCIS 2.0 query interface (``GET
/epcis/events``), the very events suppliers receive, so a buyer or a store
manager can check what a partner sees of a product, a movement or a tag.

How it works: Odoo asks the ingest server-side, over HTTP, as the company's
back-office EPCIS partner (``rrs.epcis.partner._rrs_forms_token``), with the
standard query parameters and the ingest's two own ones, ``EQ_rtstock_product``
and ``EQ_rtstock_move`` (record ids). The ingest's address is the system
parameter ``retail_realtime_stock.ingest_url``. Each page is shown as lines;
*Next page* follows the answer's ``nextPageToken``.

Caveats: the events are built by the ingest from Odoo's rows (it has GS1's
vocabulary and event hash); Odoo does not build them itself, so without a
running ingest the wizard says so and shows nothing. A query covers at most 31
days (the standard's ``QueryTooLargeException`` beyond).
"""

import json
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import requests

from odoo import _, api, fields, models
from odoo.exceptions import UserError

INGEST_URL_PARAM = "retail_realtime_stock.ingest_url"
DEFAULT_INGEST_URL = "http://127.0.0.1:8700"
PER_PAGE = 200
TIMEOUT_S = 15
#: The standard's limit of one query (the ingest refuses more).
MAX_WINDOW = timedelta(days=31) - timedelta(seconds=2)
CBV_PREFIXES = ("https://ref.gs1.org/cbv/BizStep-", "https://ref.gs1.org/cbv/Disp-")


class RrsEpcisEventWizard(models.TransientModel):
    _name = "rrs.epcis.event.wizard"
    _description = "Retail Stock EPCIS Events"

    subject = fields.Char(readonly=True)
    query = fields.Json(readonly=True, help="The query's own parameters, window aside.")
    date_from = fields.Datetime(string="From", required=True)
    date_to = fields.Datetime(string="To", required=True)
    next_page_token = fields.Char(readonly=True)
    page = fields.Integer(readonly=True, default=1)
    line_ids = fields.One2many(
        comodel_name="rrs.epcis.event.line", inverse_name="wizard_id", readonly=True
    )

    @api.model
    def _rrs_open(self, subject, query, date_from, date_to):
        """Create the wizard for ``query`` over [date_from, date_to), read the first
        page, and return the action that shows it."""
        wizard = self.create(
            {
                "subject": subject,
                "query": query,
                "date_from": max(date_from, date_to - MAX_WINDOW),
                "date_to": date_to,
            }
        )
        wizard._rrs_fetch()
        return wizard._rrs_action()

    def _rrs_action(self):
        return {
            "type": "ir.actions.act_window",
            "name": _("EPCIS events: %s", self.subject),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_search(self):
        """Read the first page again, for the window now on the form."""
        self.ensure_one()
        if self.date_to <= self.date_from:
            raise UserError(_("The end of the window must be after its start."))
        if self.date_to - self.date_from > MAX_WINDOW:
            raise UserError(_("An EPCIS query covers at most 31 days: narrow the window."))
        self.write({"next_page_token": False, "page": 1})
        self._rrs_fetch()
        return self._rrs_action()

    def action_next_page(self):
        self.ensure_one()
        self._rrs_fetch(self.next_page_token)
        self.page += 1
        return self._rrs_action()

    def _rrs_params(self, page_token=None):
        params = dict(self.query or {})
        params.update(
            {
                "GE_eventTime": _iso(self.date_from),
                "LT_eventTime": _iso(self.date_to),
                "perPage": str(PER_PAGE),
            }
        )
        if page_token:
            params["nextPageToken"] = page_token
        return params

    def _rrs_fetch(self, page_token=None):
        """Ask the ingest for one page and put its events in the lines."""
        self.ensure_one()
        base = (
            self.env["ir.config_parameter"].sudo().get_param(INGEST_URL_PARAM) or DEFAULT_INGEST_URL
        ).rstrip("/")
        token = self.env["rrs.epcis.partner"]._rrs_forms_token(self.env.company)
        try:
            response = requests.get(
                f"{base}/epcis/events",
                params=self._rrs_params(page_token),
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                timeout=TIMEOUT_S,
            )
        except requests.RequestException as error:
            raise UserError(
                _(
                    "The ingest at %(url)s does not answer (%(error)s). Start it, or set "
                    "its address in the system parameter %(param)s.",
                    url=base,
                    error=type(error).__name__,
                    param=INGEST_URL_PARAM,
                )
            ) from error
        if response.status_code != 200:
            raise UserError(_ingest_refusal(self.env, response, base))
        try:
            body = response.json()
            events = body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        except (ValueError, KeyError, TypeError) as error:
            raise UserError(
                _("The answer of %(url)s is not an EPCIS query document.", url=base)
            ) from error
        self.line_ids.unlink()
        self.write(
            {
                "line_ids": [fields.Command.create(_line_values(event)) for event in events],
                "next_page_token": _next_page_token(response.headers.get("Link")),
            }
        )


class RrsEpcisEventLine(models.TransientModel):
    """One EPCIS event of the wizard's page, in Odoo's words (the JSON kept too)."""

    _name = "rrs.epcis.event.line"
    _description = "Retail Stock EPCIS Event"
    _order = "event_time, id"

    wizard_id = fields.Many2one(
        comodel_name="rrs.epcis.event.wizard", required=True, ondelete="cascade"
    )
    event_time = fields.Datetime(string="Time")
    time_zone_offset = fields.Char(string="Offset")
    action = fields.Char()
    biz_step = fields.Char(string="Business step")
    disposition = fields.Char()
    what = fields.Text(help="The EPCs of serialised items, or quantities of a class.")
    quantity = fields.Float(digits="Product Unit of Measure")
    read_point = fields.Char()
    biz_location = fields.Char(string="Business location")
    source = fields.Text()
    destination = fields.Text()
    event_id = fields.Char(string="Event ID", help="GS1's event hash: the same event, the same ID.")
    document = fields.Text(string="JSON-LD", help="The event as the partner receives it.")


def _iso(value):
    """An Odoo datetime (naive UTC) as the ISO 8601 text the standard asks for."""
    return fields.Datetime.to_datetime(value).isoformat(timespec="milliseconds") + "Z"


def _short(value):
    if not value:
        return False
    for prefix in CBV_PREFIXES:
        value = value.removeprefix(prefix)
    return value.rsplit(":", 1)[-1] if value.startswith("urn:epcglobal:cbv:") else value


def _line_values(event):
    """The line of one event of the query document."""
    quantities = event.get("quantityList") or []
    epcs = event.get("epcList") or []
    what = epcs + [
        " ".join(
            str(part) for part in (q.get("quantity"), q.get("uom"), "×", q.get("epcClass")) if part
        )
        for q in quantities
    ]
    return {
        "event_time": _to_utc(event.get("eventTime")),
        "time_zone_offset": event.get("eventTimeZoneOffset"),
        "action": event.get("action"),
        "biz_step": _short(event.get("bizStep")),
        "disposition": _short(event.get("disposition")),
        "what": "\n".join(what),
        "quantity": len(epcs) + sum(float(q.get("quantity") or 0) for q in quantities),
        "read_point": (event.get("readPoint") or {}).get("id"),
        "biz_location": (event.get("bizLocation") or {}).get("id"),
        "source": _parties(event.get("sourceList")),
        "destination": _parties(event.get("destinationList")),
        "event_id": event.get("eventID"),
        "document": json.dumps(event, indent=2, ensure_ascii=False),
    }


def _to_utc(text):
    """An eventTime (UTC with ``Z`` or an offset) as Odoo keeps times: naive UTC."""
    if not text:
        return False
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.replace(microsecond=0)  # Odoo keeps seconds; the JSON keeps the rest


def _parties(items):
    return "\n".join(
        f"{item.get('type')}: {item.get(item.get('type'), '')}" for item in items or ()
    )


def _next_page_token(link):
    """The ``nextPageToken`` of a ``Link: <...>; rel="next"`` header, if any."""
    if not link or 'rel="next"' not in link:
        return False
    target = link.split(">", 1)[0].lstrip("<")
    return parse_qs(urlsplit(target).query).get("nextPageToken", [False])[0]


def _ingest_refusal(env, response, base):
    """What to tell the user of a refused query: the standard's problem document's
    detail, and what to do for the usual causes."""
    try:
        problem = response.json()
        detail = problem.get("detail") or problem.get("title")
    except ValueError:
        detail = response.text[:200]
    if response.status_code == 401:
        return env._(
            "The ingest at %(url)s refused Odoo's back-office EPCIS token (%(detail)s). "
            "If it was revoked, a manager generates a new one on the EPCIS partner "
            "'Odoo back office' (Retail stock > Configuration > EPCIS partners).",
            url=base,
            detail=detail,
        )
    return env._(
        "The ingest at %(url)s refused the query (HTTP %(status)s): %(detail)s",
        url=base,
        status=response.status_code,
        detail=detail,
    )
