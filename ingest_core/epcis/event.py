"""An EPCIS 2.0 ObjectEvent, its JSON-LD form and its GS1 event hash.

What it is: the one value type the export and the query interface share, and
the event hash that makes its ``eventID``: the same movement always gets the
same ID, whoever exports it and how often.

How it works: the hash follows GS1's algorithm (CBV 2.0, "EPCIS event hash";
reference implementation ``epcis-event-hash-generator``, the tests' oracle):
a pre-hash string of the event's fields in a fixed order, every value in its
canonical form (time in UTC to the millisecond, CBV values as their web URIs,
GS1 keys as constrained Digital Link URIs, lists sorted), SHA-256, written as
``ni:///sha-256;<hex>?ver=CBV2.0``. The reference implementation reaches the
same string by expanding the JSON-LD document; writing it directly for the
one shape this product makes is what lets an export hash tens of thousands of
events a second.

Caveats: only the fields this product emits are canonicalised here (ObjectEvent
with EPCs and/or quantities, read point, business location, source and
destination lists); a new field needs its place in ``prehash`` and a case in the
oracle test.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

from ingest_core.epcis import identifiers, vocabulary

_SGTIN_URN = re.compile(r"^urn:epc:id:sgtin:(\d{6,12})\.(\d{1,7})\.(.{1,20})$")
#: What the hash's Digital Link form escapes in an EPC URN's serial (already URN-escaped).
_DL_ESCAPES = str.maketrans({"!": "%21", "(": "%28", ")": "%29", "*": "%2A", "+": "%2B",
                             ",": "%2C", ":": "%3A"})


@dataclass(frozen=True, slots=True)
class Quantity:
    epc_class: str
    quantity: float
    uom: str | None = None


@dataclass(slots=True)
class ObjectEvent:
    """One EPCIS ObjectEvent; ``event_time`` is timezone-aware, to the millisecond."""
    event_time: datetime
    time_zone_offset: str
    step: vocabulary.Step
    read_point: str
    biz_location: str | None = None
    epcs: tuple[str, ...] = ()
    quantities: tuple[Quantity, ...] = ()
    sources: tuple[tuple[str, str], ...] = ()
    destinations: tuple[tuple[str, str], ...] = ()
    event_id: str = field(default="", init=False)

    def __post_init__(self) -> None:
        self.event_id = event_hash(self)

    @property
    def local_time(self) -> str:
        """``eventTime`` as written: in the store's offset, to the millisecond."""
        return _local_time(self.event_time, self.time_zone_offset)

    def as_json(self) -> dict:
        """The event as EPCIS 2.0 JSON-LD (the document's ``@context`` names the terms)."""
        step = self.step
        event: dict = {
            "type": "ObjectEvent",
            "eventID": self.event_id,
            "eventTime": self.local_time,
            "eventTimeZoneOffset": self.time_zone_offset,
            "epcList": list(self.epcs),
            "action": step.action,
            "bizStep": step.biz_step,
            "disposition": step.disposition,
            "readPoint": {"id": self.read_point},
        }
        if self.biz_location:
            event["bizLocation"] = {"id": self.biz_location}
        if self.sources:
            event["sourceList"] = [{"type": kind, "source": uri} for kind, uri in self.sources]
        if self.destinations:
            event["destinationList"] = [{"type": kind, "destination": uri}
                                        for kind, uri in self.destinations]
        if self.quantities:
            event["quantityList"] = [
                {"epcClass": q.epc_class, "quantity": number(q.quantity)}
                | ({"uom": q.uom} if q.uom else {}) for q in self.quantities]
        return event


def number(value: float) -> int | float:
    """A quantity as JSON and the hash write it: integral values without ``.0``."""
    value = float(value)
    return int(value) if value.is_integer() else value


def canonical(uri: str) -> str:
    """A GS1 key's URI in the hash's canonical form (constrained Digital Link)."""
    match = _SGTIN_URN.match(uri)
    if match is None:
        return uri
    prefix, item_reference, serial = match.groups()
    return (f"https://id.gs1.org/01/{identifiers.gtin_of(prefix, item_reference)}/21/"
            f"{serial.translate(_DL_ESCAPES)}")


def prehash(event: ObjectEvent) -> str:
    """GS1's pre-hash string of ``event`` (fields in the algorithm's order, joined by "")."""
    step = event.step
    utc = event.event_time.astimezone(UTC)
    parts = ["eventType=ObjectEvent",
             f"eventTime={utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z",
             f"eventTimeZoneOffset={event.time_zone_offset}"]
    if event.epcs:
        parts.append("epcList" + "".join(sorted(f"epc={canonical(e)}" for e in event.epcs)))
    if event.quantities:
        parts.append("quantityList" + "".join(sorted(
            f"quantityElementepcClass={canonical(q.epc_class)}quantity={number(q.quantity)}"
            + (f"uom={q.uom}" if q.uom else "") for q in event.quantities)))
    parts += [f"action={step.action}",
              f"bizStep={vocabulary.BIZ_STEP}{step.biz_step}",
              f"disposition={vocabulary.DISPOSITION}{step.disposition}",
              f"readPointid={canonical(event.read_point)}"]
    if event.biz_location:
        parts.append(f"bizLocationid={canonical(event.biz_location)}")
    rest = []
    for name, role, entries in (("sourceList", "source", event.sources),
                                ("destinationList", "destination", event.destinations)):
        if entries:
            rest.append(name + "".join(sorted(
                f"type={vocabulary.SOURCE_DESTINATION}{kind}{role}={canonical(uri)}"
                for kind, uri in entries)))
    return "".join(parts) + "".join(sorted(rest))


def event_hash(event: ObjectEvent) -> str:
    digest = hashlib.sha256(prehash(event).encode()).hexdigest()
    return f"ni:///sha-256;{digest}?ver=CBV2.0"


def _local_time(moment: datetime, offset: str) -> str:
    """``moment`` written in the store's offset, to the millisecond (``+01:00``)."""
    sign = -1 if offset[0] == "-" else 1
    hours, minutes = int(offset[1:3]), int(offset[4:6])
    local = moment.astimezone(timezone(sign * timedelta(hours=hours, minutes=minutes)))
    return f"{local:%Y-%m-%dT%H:%M:%S}.{local.microsecond // 1000:03d}{offset}"
