"""EPCIS 2.0 documents: capture documents written as a stream (JSON-LD and XML), and
the query interface's XML answer.

What it is: the two serialisations GS1 standardises for an ``EPCISDocument``;
a supplier's system takes either.

How it works: the document's head is written, then each event as it comes,
then the tail: memory stays constant whatever the number of events. JSON-LD
names its terms by the standard ``@context`` of EPCIS 2.0.0 and uses the CBV
short names it defines (``retail_selling``); XML follows the EPCIS 2.0 XSD
(element order of ``ObjectEventType``) with CBV values as their URNs
(``urn:epcglobal:cbv:bizstep:retail_selling``), as GS1's XML examples do. Both
forms hash to the same ``eventID``.

Caveats: ``eventID`` is written in both forms, so a receiver can check it
with GS1's hash tool; the document holds ObjectEvents only.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO
from xml.sax.saxutils import escape, quoteattr

import msgspec

from ingest_core.epcis.event import ObjectEvent, number

CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
XML_NAMESPACE = "urn:epcglobal:epcis:xsd:2"
QUERY_NAMESPACE = "urn:epcglobal:epcis-query:xsd:2"
FORMATS = ("jsonld", "xml")

_encoder = msgspec.json.Encoder()


def creation_date(now: datetime | None = None) -> str:
    now = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{now:%Y-%m-%dT%H:%M:%S}.{now.microsecond // 1000:03d}Z"


def write(events: Iterable[ObjectEvent], out: IO[bytes], fmt: str,
          now: datetime | None = None) -> int:
    """Write one capture document of ``events`` to ``out``; returns how many."""
    if fmt == "jsonld":
        return write_jsonld(events, out, now)
    if fmt == "xml":
        return write_xml(events, out, now)
    raise ValueError(f"format is one of {FORMATS}, not {fmt!r}")


def write_jsonld(events: Iterable[ObjectEvent], out: IO[bytes],
                 now: datetime | None = None) -> int:
    head = {"@context": [CONTEXT], "type": "EPCISDocument", "schemaVersion": "2.0",
            "creationDate": creation_date(now)}
    out.write(_encoder.encode(head)[:-1] + b',"epcisBody":{"eventList":[\n')
    count = 0
    for event in events:
        if count:
            out.write(b",\n")
        out.write(_encoder.encode(event.as_json()))
        count += 1
    out.write(b"\n]}}\n")
    return count


def write_xml(events: Iterable[ObjectEvent], out: IO[bytes],
              now: datetime | None = None) -> int:
    out.write((f'<?xml version="1.0" encoding="UTF-8"?>\n<epcis:EPCISDocument '
               f'xmlns:epcis="{XML_NAMESPACE}" schemaVersion="2.0" '
               f'creationDate="{creation_date(now)}">\n<EPCISBody>\n<EventList>\n').encode())
    count = 0
    for event in events:
        out.write(event_xml(event).encode())
        count += 1
    out.write(b"</EventList>\n</EPCISBody>\n</epcis:EPCISDocument>\n")
    return count


def query_xml(events: Iterable[ObjectEvent], query_name: str = "SimpleEventQuery",
              now: datetime | None = None) -> bytes:
    """An ``epcisq:EPCISQueryDocument`` of one page of events (the query interface's
    answer to ``Accept: application/xml``), per the EPCIS 2.0 query XSD."""
    return "".join([
        f'<?xml version="1.0" encoding="UTF-8"?>\n<epcisq:EPCISQueryDocument '
        f'xmlns:epcisq="{QUERY_NAMESPACE}" xmlns:epcis="{XML_NAMESPACE}" schemaVersion="2.0" '
        f'creationDate="{creation_date(now)}">\n<EPCISBody>\n<epcisq:QueryResults>\n'
        f"<queryName>{escape(query_name)}</queryName>\n<resultsBody>\n<EventList>\n",
        *(event_xml(event) for event in events),
        "</EventList>\n</resultsBody>\n</epcisq:QueryResults>\n</EPCISBody>\n"
        "</epcisq:EPCISQueryDocument>\n"]).encode()


def event_xml(event: ObjectEvent) -> str:
    """One ``<ObjectEvent>`` in the XSD's element order."""
    step = event.step
    parts = ["<ObjectEvent>",
             f"<eventTime>{event.local_time}</eventTime>",
             f"<eventTimeZoneOffset>{event.time_zone_offset}</eventTimeZoneOffset>",
             f"<eventID>{escape(event.event_id)}</eventID>",
             "<epcList>", *(f"<epc>{escape(epc)}</epc>" for epc in event.epcs), "</epcList>",
             f"<action>{step.action}</action>",
             f"<bizStep>urn:epcglobal:cbv:bizstep:{step.biz_step}</bizStep>",
             f"<disposition>urn:epcglobal:cbv:disp:{step.disposition}</disposition>",
             f"<readPoint><id>{escape(event.read_point)}</id></readPoint>"]
    if event.biz_location:
        parts.append(f"<bizLocation><id>{escape(event.biz_location)}</id></bizLocation>")
    if event.quantities:
        parts.append("<quantityList>")
        for quantity in event.quantities:
            parts.append(f"<quantityElement><epcClass>{escape(quantity.epc_class)}</epcClass>"
                         f"<quantity>{number(quantity.quantity)}</quantity>"
                         + (f"<uom>{quantity.uom}</uom>" if quantity.uom else "")
                         + "</quantityElement>")
        parts.append("</quantityList>")
    for name, role, entries in (("sourceList", "source", event.sources),
                                ("destinationList", "destination", event.destinations)):
        if entries:
            parts.append(f"<{name}>")
            parts += [f"<{role} type={quoteattr('urn:epcglobal:cbv:sdt:' + kind)}>"
                      f"{escape(uri)}</{role}>" for kind, uri in entries]
            parts.append(f"</{name}>")
    parts.append("</ObjectEvent>\n")
    return "".join(parts)
