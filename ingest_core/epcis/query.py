"""The EPCIS 2.0 query interface's subset a supplier needs: ``GET /epcis/events``.

What it is: the standard's SimpleEventQuery parameters (``eventType``,
``GE_eventTime`` / ``LT_eventTime``, ``EQ_bizStep``, ``EQ_disposition``,
``EQ_action``, ``EQ_bizLocation``, ``EQ_readPoint``, ``WD_bizLocation`` and
``WD_readPoint`` (a store's SGLN names its locations too), ``MATCH_epc``,
``MATCH_anyEPC``, ``MATCH_epcClass``), pages of ``perPage`` events with a
``nextPageToken``, and the standard's exceptions, answered from the Odoo
database itself (the same events as ``rtstock epcis export``; no second store).
Two parameters of this product's own, ``EQ_rtstock_product`` and
``EQ_rtstock_move`` (Odoo record ids), serve the add-on's forms; ``MATCH_epc``
also takes a tag's EPC in hex, as ``rrs_epc`` holds it.

How it works: the window and the partner's products narrow the done move
lines in SQL (Odoo's ``stock_move.date`` index; the partner sees only products
whose GTIN carries one of its GS1 company prefixes), a location filter narrows
them to the stores asked for; the events of those lines are built as the
export builds them and the remaining filters are applied to the events
themselves, so every answer is an exact subset of the export. Pages follow the
export's order; the token holds the position (move date, the movement's first
line id, events of that movement already passed) and a fingerprint of the query, so a
token is only good for the query that made it.

Caveats: a window is at most ``MAX_WINDOW`` long (``QueryTooLargeException``
otherwise, as the standard provides). Serialised reads carry their own time,
which precedes their move's commit: the search reaches ``READ_LAG`` past the
window's end for them; a read that reached Odoo later than that (a store agent
offline for hours) is found by the export, not by this query.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ingest_core.epcis import identifiers, vocabulary
from ingest_core.epcis.build import EventBuilder, epc_uri
from ingest_core.epcis.event import ObjectEvent, canonical
from ingest_core.odoo import epcis as epcis_sql

MAX_WINDOW = timedelta(days=31)
READ_LAG = timedelta(hours=1)
PER_PAGE_DEFAULT = 1000
PER_PAGE_MAX = 10_000
EVENT_TYPES = ("ObjectEvent", "AggregationEvent", "TransactionEvent", "TransformationEvent",
               "AssociationEvent")
LIST_PARAMETERS = ("eventType", "EQ_bizStep", "EQ_disposition", "EQ_action", "EQ_bizLocation",
                   "EQ_readPoint", "WD_bizLocation", "WD_readPoint", "MATCH_epc",
                   "MATCH_anyEPC", "MATCH_epcClass")
#: This product's own parameters (not the standard's): Odoo record ids, for the
#: add-on's forms (a product's, a move's events). They only narrow what the other
#: parameters select, so a partner sees no more with them than without.
VENDOR_PARAMETERS = ("EQ_rtstock_product", "EQ_rtstock_move")
PARAMETERS = (*LIST_PARAMETERS, *VENDOR_PARAMETERS, "GE_eventTime", "LT_eventTime", "perPage",
              "nextPageToken")
_SGTIN_PATTERN = re.compile(r"^urn:epc:idpat:sgtin:(\d{6,12})\.(\d{1,7})\.\*$")
_LGTIN_CLASS = re.compile(r"^urn:epc:class:lgtin:(\d{6,12})\.(\d{1,7})\.(.+)$")
_DL_GTIN = re.compile(r"^https://id\.gs1\.org/01/(\d{14})")
_HEX_EPC = re.compile(r"^(?:[0-9A-Fa-f]{4}){6,}$")


class QueryError(Exception):
    """An EPCIS exception: its standard name, HTTP status and what was wrong."""

    def __init__(self, kind: str, status: int, detail: str) -> None:
        super().__init__(detail)
        self.kind, self.status, self.detail = kind, status, detail

    def problem(self) -> dict:
        """RFC 7807 body, as the EPCIS 2.0 REST binding writes its exceptions."""
        return {"type": f"epcisException:{self.kind}", "title": self.kind,
                "status": self.status, "detail": self.detail}


def _bad(detail: str) -> QueryError:
    return QueryError("QueryParameterException", 400, detail)


@dataclass
class Query:
    since: datetime  # naive UTC
    until: datetime
    event_types: set[str] | None = None
    biz_steps: set[str] | None = None
    dispositions: set[str] | None = None
    actions: set[str] | None = None
    biz_locations: set[str] | None = None
    read_points: set[str] | None = None
    #: WD_bizLocation / WD_readPoint: places given with their descendants (an SGLN's
    #: ``/254/`` extensions), expanded against the known places by ``run``.
    within_biz_locations: list[str] | None = None
    within_read_points: list[str] | None = None
    epcs: list[str] | None = None  # canonical URIs or prefixes ending in "/"
    any_epcs: list[str] | None = None
    classes: list[str] | None = None
    products: list[int] | None = None  # EQ_rtstock_product
    moves: list[int] | None = None  # EQ_rtstock_move
    per_page: int = PER_PAGE_DEFAULT
    position: tuple[datetime, int, int] | None = None
    fingerprint: str = field(default="", repr=False)

    def matches(self, event: ObjectEvent) -> bool:
        step = event.step
        if self.event_types is not None and "ObjectEvent" not in self.event_types:
            return False
        if self.biz_steps is not None and step.biz_step not in self.biz_steps:
            return False
        if self.dispositions is not None and step.disposition not in self.dispositions:
            return False
        if self.actions is not None and step.action not in self.actions:
            return False
        if self.biz_locations is not None and event.biz_location not in self.biz_locations:
            return False
        if self.read_points is not None and event.read_point not in self.read_points:
            return False
        for patterns in (self.epcs, self.any_epcs):
            if patterns is not None and not any(
                    _matches(canonical(epc), patterns) for epc in event.epcs):
                return False
        return self.classes is None or any(
            _matches(canonical(q.epc_class), self.classes) for q in event.quantities)


def _matches(uri: str, patterns: Sequence[str]) -> bool:
    return any(uri == p or (p.endswith("/") and uri.startswith(p)) for p in patterns)


def _values(params: Mapping[str, Sequence[str]], name: str) -> list[str] | None:
    """A list parameter: repeated, or ``|``-separated as the REST binding writes lists."""
    if name not in params:
        return None
    values = [part.strip() for value in params[name] for part in value.split("|")]
    if not all(values):
        raise _bad(f"{name}: empty value")
    return values


def _time(params: Mapping[str, Sequence[str]], name: str) -> datetime | None:
    if name not in params:
        return None
    (text,) = params[name][-1:]
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _bad(f"{name}: not an ISO 8601 date-time: {text!r}") from None
    if value.tzinfo is None:
        raise _bad(f"{name}: give a time zone (Z or an offset): {text!r}")
    try:
        return value.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:  # found by schemathesis: 0001-01-01T00:00:00+03:04 is year 0 in UTC
        raise _bad(f"{name}: out of range: {text!r}") from None


def epc_pattern(text: str) -> str:
    """An EPC or EPC pattern as the canonical URI (or URI prefix ending in ``/``) it
    matches: ``urn:epc:id:sgtin:...``, ``urn:epc:idpat:sgtin:CP.IR.*``, Digital Link,
    or (an extension) a tag's EPC as readers send it, hex, decoded as the events'
    EPCs are (the add-on's tag form passes what ``rrs_epc`` holds)."""
    if match := _SGTIN_PATTERN.match(text):
        return f"{_gtin_link(*match.groups())}/21/"
    if _HEX_EPC.match(text) and (uri := epc_uri(text)):
        return canonical(uri)
    uri = canonical(text)
    if uri.startswith(("https://id.gs1.org/", "urn:")):
        return uri
    raise _bad(f"not an EPC URI or pattern: {text!r}")


def class_pattern(text: str) -> str:
    """An EPC class or class pattern as the canonical URI (or prefix) it matches."""
    if match := _SGTIN_PATTERN.match(text):
        return _gtin_link(*match.groups())
    if match := _LGTIN_CLASS.match(text):
        prefix, reference, lot = match.groups()
        return f"{_gtin_link(prefix, reference)}/10/{lot}"
    if text.startswith("https://id.gs1.org/01/") or text.startswith("urn:rtstock:product:"):
        return text.rstrip("/")
    raise _bad(f"not an EPC class URI or pattern: {text!r}")


def _gtin_link(prefix: str, reference: str) -> str:
    if len(prefix) + len(reference) != 13:
        raise _bad(f"company prefix {prefix} and item reference {reference} are not 13 digits")
    return f"https://id.gs1.org/01/{identifiers.gtin_of(prefix, reference)}"


def _vocabulary(values: list[str] | None, web_prefix: str, urn_prefix: str) -> set[str] | None:
    """CBV values given as short names, web URIs or URNs, as short names."""
    if values is None:
        return None
    return {value.removeprefix(web_prefix).removeprefix(urn_prefix) for value in values}


def parse(params: Mapping[str, Sequence[str]], partner_id: int,
          now: datetime | None = None) -> Query:
    """The query of request parameters; ``QueryError`` for anything the standard would
    refuse (unknown parameter, bad value, window too large)."""
    unknown = sorted(set(params) - set(PARAMETERS))
    if unknown:
        raise _bad(f"unknown or unsupported parameter: {', '.join(unknown)}")
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    until = _time(params, "LT_eventTime") or now
    since = _time(params, "GE_eventTime")
    types = _values(params, "eventType")
    if types and (odd := sorted(set(types) - set(EVENT_TYPES))):
        raise _bad(f"eventType: unknown type {', '.join(odd)}")
    actions = _values(params, "EQ_action")
    if actions and (odd := sorted(set(actions) - {"ADD", "OBSERVE", "DELETE"})):
        raise _bad(f"EQ_action: not ADD, OBSERVE or DELETE: {', '.join(odd)}")
    per_page = PER_PAGE_DEFAULT
    if "perPage" in params:
        text = params["perPage"][-1]
        if not text.isdigit() or not 1 <= int(text) <= PER_PAGE_MAX:
            raise _bad(f"perPage: a whole number from 1 to {PER_PAGE_MAX}, not {text!r}")
        per_page = int(text)
    epcs = _values(params, "MATCH_epc")
    any_epcs = _values(params, "MATCH_anyEPC")
    classes = _values(params, "MATCH_epcClass")
    products, moves = (_ids(params, name) for name in VENDOR_PARAMETERS)
    query = Query(
        since or until, until,
        event_types=set(types) if types else None,
        biz_steps=_vocabulary(_values(params, "EQ_bizStep"), vocabulary.BIZ_STEP,
                              "urn:epcglobal:cbv:bizstep:"),
        dispositions=_vocabulary(_values(params, "EQ_disposition"), vocabulary.DISPOSITION,
                                 "urn:epcglobal:cbv:disp:"),
        actions=set(actions) if actions else None,
        biz_locations=set(_values(params, "EQ_bizLocation") or ()) or None,
        read_points=set(_values(params, "EQ_readPoint") or ()) or None,
        within_biz_locations=_values(params, "WD_bizLocation"),
        within_read_points=_values(params, "WD_readPoint"),
        epcs=[epc_pattern(e) for e in epcs] if epcs else None,
        any_epcs=[epc_pattern(e) for e in any_epcs] if any_epcs else None,
        classes=[class_pattern(c) for c in classes] if classes else None,
        products=products, moves=moves, per_page=per_page)
    query.fingerprint = _fingerprint(params, partner_id)
    if "nextPageToken" in params:
        query.position, query.until = _read_token(params["nextPageToken"][-1],
                                                  query.fingerprint)
    # The window last: a query that is wrong is told so before it is told it is large.
    if since is None:
        raise QueryError("QueryTooLargeException", 413,
                         "give GE_eventTime: a query covers at most "
                         f"{MAX_WINDOW.days} days of events")
    if query.until <= since:
        raise _bad("LT_eventTime must be after GE_eventTime")
    if query.until - since > MAX_WINDOW:
        raise QueryError("QueryTooLargeException", 413,
                         f"the window is more than {MAX_WINDOW.days} days: split it")
    return query


def _ids(params: Mapping[str, Sequence[str]], name: str) -> list[int] | None:
    values = _values(params, name)
    if values is None:
        return None
    if not all(value.isascii() and value.isdigit() for value in values):
        raise _bad(f"{name}: Odoo record ids (whole numbers), not {'|'.join(values)!r}")
    return sorted({int(value) for value in values})


def _fingerprint(params: Mapping[str, Sequence[str]], partner_id: int) -> str:
    """What a page token is bound to: the query's parameters and the partner."""
    kept = {name: sorted(values) for name, values in params.items()
            if name not in ("nextPageToken", "perPage")}
    text = json.dumps([partner_id, kept], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def make_token(position: tuple[datetime, int, int], until: datetime,
               fingerprint: str) -> str:
    """A page token: where the next page starts, the window's end as the first page
    fixed it (without ``LT_eventTime``, later pages must not move with the clock), and
    the query's fingerprint."""
    moment, line, skip = position
    raw = json.dumps([moment.isoformat(), line, skip, until.isoformat(), fingerprint]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_token(token: str, fingerprint: str
                ) -> tuple[tuple[datetime, int, int], datetime]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        moment, line, skip, until, bound_to = json.loads(raw)
        position = (datetime.fromisoformat(moment), int(line), int(skip))
        until = datetime.fromisoformat(until)
    except (ValueError, TypeError) as exc:
        raise _bad(f"nextPageToken is not one this service made ({exc})") from None
    if bound_to != fingerprint:
        raise _bad("nextPageToken belongs to another query: repeat the first page's "
                   "parameters with it")
    return position, until


@dataclass
class Page:
    events: list[ObjectEvent]
    next_token: str | None


def run(cur, builder: EventBuilder, query: Query, partner_prefixes: Sequence[str] | None,
        gtins: Mapping[str, int], company_id: int | None = None) -> Page:
    """One page of the query's events for a partner of ``company_id`` with these GS1
    company prefixes (``None``: the back office, every product of the company)."""
    if partner_prefixes is not None and not partner_prefixes:
        return Page([], None)
    products = query.products
    wanted_gtins = _gtins_of(query)
    if wanted_gtins is not None:
        by_gtin = {gtins[gtin] for gtin in wanted_gtins if gtin in gtins}
        products = sorted(by_gtin if products is None else by_gtin & set(products))
    locations = stores = None
    if query.within_biz_locations or query.within_read_points:
        query = _expand_within(builder, query)
    places = (query.biz_locations or set()) | (query.read_points or set())
    if places:
        by_uri = builder.location_ids()
        locations = sorted(by_uri[uri] for uri in places if uri in by_uri)
        stores = _store_locations(builder, locations)
    if products == [] or locations == []:
        return Page([], None)
    position = query.position
    events: list[ObjectEvent] = []
    batch = max(query.per_page, 500)
    while True:
        after = position[:2] if position else None
        skip_line, skip = (position[1], position[2]) if position else (None, 0)
        movements = epcis_sql.movement_page(cur, query.since, query.until + READ_LAG,
                                            locations=locations, products=products,
                                            after=after, company=company_id, stores=stores,
                                            gtin_prefixes=partner_prefixes,
                                            moves=query.moves, limit=batch)
        if not movements:
            return Page(events, None)
        reads_of = defaultdict(list)
        moves = sorted({move for movement in movements for move in movement.move_ids})
        for read in epcis_sql.serialised_reads(cur, moves):
            reads_of[read.move_id].append(read)
        for movement in movements:
            passed = skip if movement.line_id == skip_line else 0
            for index, event in enumerate(builder.events_of_movement(movement, reads_of)):
                if index < passed or not _in_window(event, query) or not query.matches(event):
                    continue
                if len(events) == query.per_page:
                    token = make_token((movement.date, movement.line_id, index), query.until,
                                       query.fingerprint)
                    return Page(events, token)
                events.append(event)
        last = movements[-1]
        position = (last.date, last.line_id, 1 << 30)
        if len(movements) < batch:
            return Page(events, None)


def _expand_within(builder: EventBuilder, query: Query) -> Query:
    """WD_ parameters as the EQ_ sets they stand for: every known place equal to a given
    one or below it (``<sgln>/254/<extension>`` is below ``<sgln>``), ANDed with the
    EQ_ parameter of the same field."""
    known = builder.location_ids()

    def below(roots: list[str] | None, equal: set[str] | None) -> set[str] | None:
        if roots is None:
            return equal
        found = {uri for uri in known
                 if any(uri == root or uri.startswith(root.rstrip("/") + "/") for root in roots)}
        found = found if equal is None else found & equal
        return found or {"urn:rtstock:no-such-place"}  # nothing matches: an empty answer

    return dataclasses.replace(
        query, biz_locations=below(query.within_biz_locations, query.biz_locations),
        read_points=below(query.within_read_points, query.read_points),
        within_biz_locations=None, within_read_points=None)


def _store_locations(builder: EventBuilder, locations: Sequence[int]) -> list[int]:
    """Every location of the stores of ``locations`` (and those outside any store)."""
    stores = {builder.locations[id_].warehouse_id for id_ in locations
              if id_ in builder.locations} - {None}
    return sorted(set(locations) | {location.id for location in builder.locations.values()
                                    if location.warehouse_id in stores})


def _in_window(event: ObjectEvent, query: Query) -> bool:
    moment = event.event_time.astimezone(UTC).replace(tzinfo=None)
    return query.since <= moment < query.until


def _gtins_of(query: Query) -> set[str] | None:
    """The GTINs the EPC / class filters can match (None: any), to narrow the SQL: the
    union of every filter's, a superset of what all of them together match."""
    patterns = [*(query.epcs or ()), *(query.any_epcs or ()), *(query.classes or ())]
    if not patterns:
        return None
    found = set()
    for pattern in patterns:
        match = _DL_GTIN.match(pattern)
        if match is None:
            return None
        found.add(match.group(1))
    return found
