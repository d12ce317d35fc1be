"""From done movements to EPCIS events: one per aggregated movement, one per serialised read.

What it is: the stage between the database rows (``ingest_core.odoo.epcis``)
and the documents (``ingest_core.epcis.document``): it decides what event a
movement is (``vocabulary.step_of``), where it happened (the store's SGLNs),
when (the read's own time, in the store's time zone) and what it moved.

How it works: a movement (the done move lines of one second that say the
same thing, ``ingest_core.odoo.epcis.Movement``) has its RFID reads of one
item each (quantity 1) become one ObjectEvent each, with the tag's EPC in
``epcList`` and the read's time; the rest (barcode scans, case-level tags,
Odoo's own pickings) is one ObjectEvent with a ``quantityList`` of the
product's class (its lot: an LGTIN) at the move's date. So the quantities of
a movement's events always add up to its lines: nothing is lost or doubled
between the stock and its events.
``readPoint`` is the store-side location of the movement; ``bizLocation`` is the
same where the goods stay in the store after the event, absent where they
leave it (sold, shipped, destroyed, missing). Transfers name the owning party
and the locations in source and destination lists.

What an RFID count saw (``rrs_count_epc`` of a closed session) is one more
event per product: ``cycle_counting``, the counted EPCs, at the count's
location and close. It is an observation, not a movement: the stock
differences the count made are the movements' events.

Caveats: a case-level tag (a read worth more than one unit) is reported by its
quantity, not its EPC: relating a case to its items is an AggregationEvent this
product does not make. Places without a configured GLN get the default of
``identifiers.gln``: the company's GS1 prefix (or ``DEFAULT_COMPANY_PREFIX``)
and the warehouse id; a location's SGLN extension is its id.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ingest_core.decode import epc as epc_codec
from ingest_core.epcis import identifiers, vocabulary
from ingest_core.epcis.event import ObjectEvent, Quantity
from ingest_core.odoo.epcis import Company, Location, Movement, SerialisedRead, Store

_logger = logging.getLogger(__name__)

#: Odoo's reference units of measure as UN/ECE Recommendation 20 codes (EPCIS ``uom``).
#: Counted units (Units, Dozens are converted by Odoo to the product's UoM) carry none.
UOM_CODES = {
    "kg": "KGM", "g": "GRM", "t": "TNE", "lb": "LBR", "oz": "ONZ",
    "L": "LTR", "m³": "MTQ", "fl oz (US)": "OZA", "qt (US)": "QTI", "gal (US)": "GLL",
    "m": "MTR", "cm": "CMT", "mm": "MMT", "km": "KMT", "in": "INH", "ft": "FOT",
    "yd": "YRD", "mi": "SMI", "m²": "MTK", "ft²": "FTK", "Dozens": "DZN",
    "Hours": "HUR", "Days": "DAY",
}


class EventBuilder:
    """Turns chunks of movements (with their serialised reads) into ObjectEvents."""

    def __init__(self, companies: dict[int, Company], stores: dict[int, Store],
                 locations: dict[int, Location], company_prefix: str | None = None) -> None:
        self.companies = companies
        self.stores = stores
        self.locations = locations
        self.company_prefix = company_prefix
        self._unconfigured: set[int] = set()
        self.location_uri = lru_cache(maxsize=None)(self._location_uri)
        self._zones: dict[str, ZoneInfo] = {}
        self._location_ids: dict[str, int] | None = None

    # ------------------------------------------------------------------ places
    def _prefix(self, company_id: int | None) -> str:
        company = self.companies.get(company_id) if company_id else None
        prefix = (company.gs1_prefix if company else None) or self.company_prefix
        if not prefix:
            if company_id not in self._unconfigured:
                self._unconfigured.add(company_id)
                _logger.warning("company %s has no GS1 company prefix: its places get GLNs "
                                "of the %s range (docs/decisions/epcis.md)", company_id,
                                identifiers.DEFAULT_COMPANY_PREFIX)
            prefix = identifiers.DEFAULT_COMPANY_PREFIX
        return prefix

    def company_gln(self, company_id: int | None) -> str:
        company = self.companies.get(company_id) if company_id else None
        if company and identifiers.is_gln(company.gln):
            return company.gln
        return identifiers.gln(self._prefix(company_id), 0)

    def store_gln(self, store: Store) -> str:
        if identifiers.is_gln(store.gln):
            return store.gln
        return identifiers.gln(self._prefix(store.company_id), store.id)

    def location_ids(self) -> dict[str, int]:
        """Location ids by their SGLN URI (the query interface's EQ_bizLocation), made once
        for the builder's places (the service makes a builder per refresh of them)."""
        if self._location_ids is None:
            self._location_ids = {self.location_uri(location_id): location_id
                                  for location_id in self.locations}
        return self._location_ids

    def _location_uri(self, location_id: int) -> str:
        location = self.locations.get(location_id)
        store = self.stores.get(location.warehouse_id) if location else None
        gln = (self.store_gln(store) if store
               else self.company_gln(location.company_id if location else None))
        extension = (location.gln_extension if location and location.gln_extension
                     else location_id)
        return identifiers.sgln(gln, extension)

    def _offset(self, store: Store | None, moment: datetime) -> str:
        name = store.timezone if store else "UTC"
        zone = self._zones.get(name)
        if zone is None:
            try:
                zone = ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                _logger.warning("unknown time zone %r: events written in UTC", name)
                zone = ZoneInfo("UTC")
            self._zones[name] = zone
        minutes = int(moment.astimezone(zone).utcoffset().total_seconds() // 60)
        sign = "-" if minutes < 0 else "+"
        return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"

    # ------------------------------------------------------------------ events
    def events(self, movements: Iterable[Movement],
               reads: Iterable[SerialisedRead]) -> Iterator[ObjectEvent]:
        """The events of the movements, a line's serialised reads first, then its rest."""
        reads_of: dict[int, list[SerialisedRead]] = defaultdict(list)
        for read in reads:
            reads_of[read.move_id].append(read)
        for movement in movements:
            yield from self.events_of_movement(movement, reads_of)

    def events_of_movement(self, movement: Movement,
                           reads_of: Mapping[int, Sequence[SerialisedRead]]
                           ) -> Iterator[ObjectEvent]:
        """The events of one movement, given the serialised reads by move."""
        if movement.count_session_id is not None:
            yield from self._observation(movement)
            return
        reads = sorted((read for move in movement.move_ids for read in reads_of.get(move, ())),
                       key=lambda read: (read.read_at, read.epc))
        source = self.locations.get(movement.source_id)
        destination = self.locations.get(movement.destination_id)
        source_usage = source.usage if source else "internal"
        destination_usage = destination.usage if destination else "internal"
        store_side = (movement.destination_id if destination_usage == "internal"
                      else movement.source_id)
        side = self.locations.get(store_side)
        store = self.stores.get(side.warehouse_id) if side else None
        read_point = self.location_uri(store_side)
        remaining = movement.quantity
        for read in reads:
            if read.quantity != 1 or remaining < 1 or (
                    read.lot_id is not None and read.lot_id != movement.lot_id):
                continue
            uri = epc_uri(read.epc)
            if uri is None:
                continue
            remaining -= 1
            step = vocabulary.step_of(source_usage, destination_usage,
                                      scrapped=movement.scrapped, rfid_movement=read.movement)
            moment = _utc_ms(read.read_at)
            yield self._event(movement, step, moment, store, read_point,
                              epcs=(uri,))
        if remaining > 1e-9:
            step = vocabulary.step_of(source_usage, destination_usage,
                                      scrapped=movement.scrapped)
            quantity = Quantity(
                identifiers.product_class(movement.barcode, movement.product_id,
                                          movement.lot_name),
                round(remaining, 6), UOM_CODES.get(movement.uom))
            yield self._event(movement, step, _utc_ms(movement.date), store, read_point,
                              quantities=(quantity,))

    def _observation(self, movement: Movement) -> Iterator[ObjectEvent]:
        """What a closed RFID count saw of one product: one event with the EPCs, at the
        count's location and close."""
        epcs = tuple(uri for uri in (epc_uri(code) for code in movement.counted_epcs) if uri)
        if not epcs:
            return
        here = self.location_uri(movement.source_id)
        side = self.locations.get(movement.source_id)
        store = self.stores.get(side.warehouse_id) if side else None
        moment = _utc_ms(movement.date)
        yield ObjectEvent(moment, self._offset(store, moment),
                          vocabulary.STEPS["count_observation"], here, here, epcs)

    def _event(self, movement: Movement, step: vocabulary.Step, moment: datetime,
               store: Store | None, read_point: str, *, epcs: tuple[str, ...] = (),
               quantities: tuple[Quantity, ...] = ()) -> ObjectEvent:
        sources = destinations = ()
        if step.parties:
            party = identifiers.pgln(self.company_gln(movement.company_id))
            sources = (("owning_party", party),
                       ("location", self.location_uri(movement.source_id)))
            destinations = (("owning_party", party),
                            ("location", self.location_uri(movement.destination_id)))
        return ObjectEvent(moment, self._offset(store, moment), step, read_point,
                           read_point if step.inside else None, epcs, quantities,
                           sources, destinations)


def epc_uri(code: str) -> str | None:
    """A tag's EPC as it was read (hex, base64, URI) as its pure-identity URI."""
    decoded = epc_codec.decode(code)
    return decoded.uri if decoded.ok and decoded.uri else None


def _utc_ms(naive_utc: datetime) -> datetime:
    """A database timestamp (naive UTC) as an aware time, cut to the millisecond."""
    return naive_utc.replace(tzinfo=UTC, microsecond=naive_utc.microsecond // 1000 * 1000)
