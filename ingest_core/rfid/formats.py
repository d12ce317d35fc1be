"""RFID reader payloads (Impinj IoT device interface, Zebra IoT Connector, Speedway
Connect / FX Connect HTTP post) to tag reads.

What it is: the vendor-envelope part of the decode stage. Input is a payload
exactly as a fixed reader sends it (HTTP webhook / HTTP stream body or an MQTT
message); output is a ``ParsedPayload``: a flat list of ``TagRead`` (EPC as
uppercase hex, antenna, RSSI in dBm, time seen, reader, read count), the
non-tag reader events (overflow, inventory status, antenna connectivity,
diagnostics, ...) and the per-event errors. EPC *decoding* (GTIN, serial) is
the next step, ``ingest_core.decode.epc``.

How it works: msgspec decodes the payload straight into typed Structs in one
pass: a single event object or a JSON array of events (webhook batches, IoT
Connector batching). Anything else is split into its top-level JSON values
(``_split_values``: objects back to back with no separator, as the IoT
Connector's HTTP POST sends them, or one per line, as the Impinj HTTP stream
does), each decoded on its own; past a broken value the rest is taken line by
line, so a broken line costs that line only. When one event has the wrong
shape, its value is decoded again event by event so that only that event is
reported. An ``epc`` in base64 may use the URL-safe alphabet. Shapes:

* Impinj R700 / R660 / R720 (IoT device interface 1.x): ``{"timestamp",
  "hostname", "eventType": "tagInventory", "tagInventoryEvent": {"epc"
  (base64), "epcHex", "antennaPort", "antennaName", "peakRssiCdbm",
  "frequency", "transmitPowerCdbm", "lastSeenTime", ...}}``. Every other
  ``*Event`` member (``overflowEvent``, ``inventoryStatusEvent``,
  ``antennaConnectivityEvent``, ``diagnosticEvent``,
  ``inventoryTerminatedEvent``, ...) or ``eventType`` value is a non-tag
  event. Older firmware omits ``eventType``; the member name decides then.
* Zebra FX7500 / FX9600 / ATR7000 / FXR90 IoT Connector data interface:
  ``{"data": {"idHex", "antenna", "peakRssi", "reads", "eventNum",
  "format", "channel", "phase", "hostName", "MAC", ...}, "timestamp",
  "type": "SIMPLE"}``; batching sends a JSON array of those, or one
  envelope whose ``data`` is a list of tag records. An envelope without
  ``idHex`` whose ``type`` is not ``SIMPLE`` is a non-tag event.
* Impinj Speedway Connect HTTP post, and Zebra FX Connect's legacy post that
  copies it (vendor ``speedway``): ``{"reader_name", "mac_address",
  "tag_reads": [{"epc" (hex), "antennaPort", "peakRssi" (dBm),
  "firstSeenTimestamp" (µs since the epoch, or ISO 8601), "isHeartBeat"}]}``;
  FX Connect sends every value as a string. A heartbeat (or a post with no
  tags) is a non-tag event.
* Alien ALR text notifications (vendor ``alien``): parsed by
  ``ingest_core.rfid.alien`` (text, not JSON), into the same types.
* EdgeX ``app-rfid-llrp-inventory`` (LLRP readers through EdgeX; vendor
  ``edgex``): an EdgeX event, or the ``AddEventRequest`` ``{"event": ...}``
  that 2.1 and later publish on the MessageBus, whose ``readings`` are
  ``InventoryEventArrived`` / ``Moved`` / ``Departed`` (``name`` in EdgeX
  1.x) with ``{"epc", "tid", "timestamp" (ms), "location" | "old_location",
  "new_location" | "last_read", "last_known_location"}`` in ``objectValue``
  (what the code publishes) or as a JSON string in ``value`` (EdgeX 1.x and
  the documentation's examples). Arrived and Moved are tag reads, Departed a
  reader event; EdgeX reports no RSSI.

Caveats: errors are values (``ReadError(index, reason, raw)``), never
exceptions; ``index`` counts events in payload order (each record of a
Zebra ``data`` list is one event; a line that is not JSON is one event).
Impinj ``lastSeenTime`` is preferred over the envelope ``timestamp`` (it is
when the tag was seen, not when the event was sent); an event without any
time gets ``received_at``. Times without an offset are taken as UTC. A Zebra
record whose ``format`` is not ``epc`` (a TID or user-memory report) is an
error ``not_epc``: its ``idHex`` is not an EPC.
"""

from __future__ import annotations

import binascii
import re
from datetime import UTC, datetime

import msgspec

from ingest_core.decode import surrogates
from ingest_core.decode.fallback.epc import standard_base64
from ingest_core.rfid import alien
from ingest_core.rfid.payload import (
    ParsedPayload,
    ReaderEvent,
    ReadError,
    TagRead,
)
from ingest_core.rfid.payload import hex_epc as _hex

IMPINJ = "impinj"
ZEBRA = "zebra"
#: Impinj Speedway Connect's HTTP POST, which Zebra FX Connect's legacy post copies
SPEEDWAY = "speedway"
#: EdgeX app-rfid-llrp-inventory events (LLRP readers through EdgeX)
EDGEX = "edgex"
#: Alien ALR text notifications (``ingest_core.rfid.alien``), not JSON
ALIEN = alien.ALIEN
VENDORS = (IMPINJ, ZEBRA, SPEEDWAY, EDGEX, ALIEN)

#: Reasons a single event is rejected.
ERRORS = (
    "bad_json",  # the line / payload is not JSON
    "bad_event",  # JSON, but not the vendor's event shape (wrong types)
    "unknown_event",  # an object that is none of the vendor's events
    "missing_epc",
    "bad_hex",
    "bad_base64",
    "bad_timestamp",
    "not_epc",  # Zebra record reporting TID / user memory, not the EPC
)

_RAW_LIMIT = 2048  # raw text kept per error; a runaway line must not fill the quarantine


# --- vendor shapes ---------------------------------------------------------------------


# Integer fields are typed ``int | float``: JSON has one number type, and ``12.0`` is an
# integer to JSON Schema (the OpenAPI document) and to a reader's firmware alike; a number
# with a fraction is a bad event (``_integer``).
class _ImpinjTag(msgspec.Struct):
    epc: str | None = None
    epcHex: str | None = None
    antennaPort: int | float | None = None
    peakRssiCdbm: float | None = None
    lastSeenTime: str | None = None


_ABSENT = msgspec.Raw()  # ``Raw | None`` is not a msgspec type: an empty Raw means "absent"


class _ImpinjEvent(msgspec.Struct):
    timestamp: str | None = None
    hostname: str | None = None
    eventType: str | None = None
    tagInventoryEvent: _ImpinjTag | None = None
    # Non-tag members: only their presence matters (older firmware has no eventType).
    overflowEvent: msgspec.Raw = _ABSENT
    inventoryStatusEvent: msgspec.Raw = _ABSENT
    inventoryTerminatedEvent: msgspec.Raw = _ABSENT
    antennaConnectivityEvent: msgspec.Raw = _ABSENT
    diagnosticEvent: msgspec.Raw = _ABSENT
    tagLocateEvent: msgspec.Raw = _ABSENT
    gpiTransitionEvent: msgspec.Raw = _ABSENT


_IMPINJ_OTHER = (
    ("overflowEvent", "overflow"),
    ("inventoryStatusEvent", "inventoryStatus"),
    ("inventoryTerminatedEvent", "inventoryTerminated"),
    ("antennaConnectivityEvent", "antennaConnectivity"),
    ("diagnosticEvent", "diagnostic"),
    ("tagLocateEvent", "tagLocate"),
    ("gpiTransitionEvent", "gpiTransition"),
)


class _ZebraTag(msgspec.Struct):
    idHex: str | None = None
    antenna: int | float | None = None
    peakRssi: float | None = None
    reads: int | float | None = None
    format: str | None = None
    hostName: str | None = None
    MAC: str | None = None
    timestamp: str | None = None


class _ZebraEvent(msgspec.Struct):
    data: _ZebraTag | list[_ZebraTag] | None = None
    timestamp: str | None = None
    type: str | None = None


class _SpeedwayTag(msgspec.Struct):
    epc: str | None = None
    antennaPort: int | float | str | None = None
    peakRssi: float | str | None = None
    firstSeenTimestamp: int | float | str | None = None
    isHeartBeat: bool | str | None = None


class _SpeedwayPost(msgspec.Struct):
    reader_name: str | None = None
    mac_address: str | None = None
    tag_reads: list[_SpeedwayTag] | None = None


class _EdgexInventory(msgspec.Struct):
    epc: str | None = None
    tid: str | None = None
    timestamp: int | float | None = None  # ms since the epoch
    location: str | None = None  # Arrived
    old_location: str | None = None  # Moved
    new_location: str | None = None
    last_read: int | float | None = None  # Departed
    last_known_location: str | None = None


class _EdgexReading(msgspec.Struct):
    resourceName: str | None = None
    name: str | None = None  # EdgeX 1.x
    valueType: str | None = None
    value: str | None = None  # the event as a JSON string (1.x, and the documented form)
    objectValue: _EdgexInventory | None = None  # what 2.1 and later publish


class _EdgexBody(msgspec.Struct):
    readings: list[_EdgexReading] | None = None


class _EdgexEvent(msgspec.Struct):
    readings: list[_EdgexReading] | None = None  # a bare EdgeX event
    event: _EdgexBody | None = None  # an AddEventRequest, as the MessageBus carries it


_SHAPES = {IMPINJ: _ImpinjEvent, ZEBRA: _ZebraEvent, SPEEDWAY: _SpeedwayPost,
           EDGEX: _EdgexEvent}
_edgex_inventory = msgspec.json.Decoder(_EdgexInventory)
_ONE = {vendor: msgspec.json.Decoder(shape) for vendor, shape in _SHAPES.items()}
_MANY = {vendor: msgspec.json.Decoder(list[shape]) for vendor, shape in _SHAPES.items()}
_ONE_OR_MANY = {
    vendor: msgspec.json.Decoder(shape | list[shape]) for vendor, shape in _SHAPES.items()
}
_encode = msgspec.json.Encoder().encode
_raw_list = msgspec.json.Decoder(list[msgspec.Raw])


# --- public API ------------------------------------------------------------------------

#: What each vendor's endpoint expects, for the answer to a body that is none of it.
EXPECTED = {
    IMPINJ: 'an Impinj IoT device interface payload: JSON events {"timestamp", "hostname", '
            '"eventType": "tagInventory", "tagInventoryEvent": {"epc" (base64) or "epcHex", '
            '"antennaPort", "peakRssiCdbm", "lastSeenTime"}}, one, a JSON array of them, or '
            "one per line",
    ZEBRA: 'a Zebra IoT Connector data payload: JSON events {"type": "SIMPLE", "timestamp", '
           '"data": {"idHex", "antenna", "peakRssi", "reads", "format": "epc"}}, one, a JSON '
           "array of them, an envelope whose data is a list, or objects back to back",
    SPEEDWAY: 'a Speedway Connect / FX Connect HTTP post: JSON objects {"reader_name", '
              '"mac_address", "tag_reads": [{"epc" (hex), "antennaPort", "peakRssi", '
              '"firstSeenTimestamp", "isHeartBeat"}]}, one or several (blank lines between '
              "them allowed)",
    EDGEX: "EdgeX app-rfid-llrp-inventory events: an EdgeX event, or an AddEventRequest "
           '{"event": ...}, whose "readings" are InventoryEventArrived / Moved / Departed '
           'with the inventory event in "objectValue" or as a JSON string in "value"',
    ALIEN: alien.EXPECTED,
}
#: Errors that say a value is not the vendor's event at all (not: one of its fields is bad).
FORMAT_ERRORS = frozenset({"bad_json", "bad_event", "unknown_event"})


def not_vendor_format(parsed: ParsedPayload) -> str | None:
    """Why nothing in the payload is the vendor's format (an empty body, or every value
    failed as a whole), or None when something in it is: a tag read, a reader event, or
    an event with one bad field (a per-read error, kept with the request's answer)."""
    if parsed.reads or parsed.events:
        return None
    if not parsed.errors:
        return f"empty body: expected {EXPECTED[parsed.vendor]}"
    if all(error.reason in FORMAT_ERRORS for error in parsed.errors):
        first = parsed.errors[0]
        return (f"not {EXPECTED[parsed.vendor]} (event {first.index}: {first.reason}: "
                f"{first.raw[:120].strip()})")
    return None



def detect_vendor(payload: bytes | str) -> str | None:
    """``"impinj"``, ``"zebra"``, ``"speedway"``, ``"edgex"``, ``"alien"`` or None, from
    the vendor's field names (Alien's: its banner or tag lines)."""
    data = payload.encode() if isinstance(payload, str) else payload
    if alien.is_alien(data):
        return ALIEN
    if b'"readings"' in data and b"InventoryEvent" in data:
        return EDGEX
    if b'"tagInventoryEvent"' in data or b'"eventType"' in data or b'Event"' in data:
        return IMPINJ
    if b'"idHex"' in data or b'"data"' in data:
        return ZEBRA
    if b'"tag_reads"' in data:
        return SPEEDWAY
    return None


def parse_payload(
    payload: bytes | str, vendor: str | None = None, received_at: float | None = None
) -> ParsedPayload:
    """Tag reads, non-tag events and errors of one reader payload (see module docstring).

    ``vendor`` None detects it; ``received_at`` (epoch s, default now) stamps
    events that carry no time.
    """
    data = payload.encode() if isinstance(payload, str) else bytes(payload)
    if received_at is None:
        received_at = datetime.now(UTC).timestamp()
    if vendor is None:
        vendor = detect_vendor(data) or IMPINJ
    if vendor == ALIEN:
        return alien.parse(data, received_at)
    if vendor not in _SHAPES:
        raise ValueError(f"unknown RFID vendor {vendor!r}; expected one of {VENDORS}")
    result = ParsedPayload(vendor, [], [], [])
    handle = _HANDLERS[vendor]
    counter = [0]
    try:
        for source, events in _chunks(data, vendor, result, counter):
            for position, event in enumerate(events):
                handle(event, source, position, result, counter, received_at)
    except RecursionError:  # JSON nested deeper than msgspec recurses: no reader sends it
        _error(result, counter, "bad_json", data[:_RAW_LIMIT], "nested too deeply")
    return result


def parse_impinj(payload: bytes | str, received_at: float | None = None) -> ParsedPayload:
    """``parse_payload`` for an Impinj IoT device interface payload."""
    return parse_payload(payload, IMPINJ, received_at)


def parse_zebra(payload: bytes | str, received_at: float | None = None) -> ParsedPayload:
    """``parse_payload`` for a Zebra IoT Connector data payload."""
    return parse_payload(payload, ZEBRA, received_at)


# --- framing: object, array, newline-delimited ----------------------------------------


class _Source:
    """The JSON text an event came from, split into per-event raw text only when needed."""

    __slots__ = ("_data", "_is_list", "_raws")

    def __init__(self, data: bytes, is_list: bool, raws: list | None = None) -> None:
        self._data = data
        self._is_list = is_list
        self._raws = raws

    def raw(self, position: int) -> bytes:
        if self._raws is None:
            self._raws = _raw_list.decode(self._data) if self._is_list else [self._data]
        return bytes(self._raws[position])


def _chunks(data: bytes, vendor: str, result: ParsedPayload, counter: list[int]):
    """Yield ``(source, events)``; framing errors go straight to ``result``."""
    try:
        decoded = _ONE_OR_MANY[vendor].decode(data)
    except msgspec.ValidationError:
        yield from _one_by_one(data, vendor, result, counter)
        return
    except (msgspec.DecodeError, UnicodeDecodeError):
        pass
    else:
        is_list = isinstance(decoded, list)
        yield _Source(data, is_list), decoded if is_list else (decoded,)
        return
    yield from _values(data, vendor, result, counter)


def _values(data: bytes, vendor: str, result: ParsedPayload, counter: list[int]):
    """Several JSON values back to back: Zebra's IoT Connector HTTP POST sends them with
    no separator at all, the Impinj stream one per line. From the first broken value on,
    the body is read line by line (each line on its own: the rest of a broken line is one
    error), so a broken line costs that line only, and a body of many broken lines is
    still read in one pass (offsets into it, no copies of its rest)."""
    size = len(data)
    values, position = _split_values(data, 0, size)
    for value in values:
        yield from _value(value, vendor, result, counter)
    while position < size:
        newline = data.find(b"\n", position)
        line_end = size if newline < 0 else newline
        values, broken_at = _split_values(data, position, line_end)
        for value in values:
            yield from _value(value, vendor, result, counter)
        broken = data[broken_at:line_end].strip()
        if broken:
            _error(result, counter, "bad_json", broken)
        position = line_end + 1


def _value(data: bytes, vendor: str, result: ParsedPayload, counter: list[int]):
    """One JSON value (an event or an array of events) of a multi-value payload."""
    try:
        decoded = _ONE_OR_MANY[vendor].decode(data)
    except msgspec.ValidationError:
        yield from _one_by_one(data, vendor, result, counter)
    except (msgspec.DecodeError, UnicodeDecodeError):
        yield from _with_surrogates(data, vendor, result, counter)
    else:
        is_list = isinstance(decoded, list)
        yield _Source(data, is_list), decoded if is_list else (decoded,)


_STRUCTURE = re.compile(rb'[{}\[\]"\\]')
_OPEN, _CLOSE, _QUOTE, _BACKSLASH = frozenset(b"{["), frozenset(b"}]"), 0x22, 0x5C


def _split_values(data: bytes, begin: int, stop: int) -> tuple[list[bytes], int]:
    """The complete top-level JSON objects and arrays of ``data[begin:stop]`` from its
    start, in order, and the offset of the rest: the first thing that is not one (nor
    whitespace between them).

    Only the structural bytes are visited (a regular expression finds them), so a
    payload of concatenated events costs a few steps per event, not one per byte.
    """
    values: list[bytes] = []
    depth, start, end, in_string, escaped = 0, begin, begin, False, -1
    for match in _STRUCTURE.finditer(data, begin, stop):
        index = match.start()
        char = data[index]
        if in_string:
            if index == escaped:
                continue
            if char == _BACKSLASH:
                escaped = index + 1
            elif char == _QUOTE:
                in_string = False
            continue
        if depth == 0 and data[end:index].strip():
            break  # text between values
        if char == _QUOTE:
            if depth == 0:
                break  # a bare string at the top level: not an event
            in_string = True
        elif char in _OPEN:
            if depth == 0:
                start = index
            depth += 1
        else:  # a closing bracket
            depth -= 1
            if depth < 0:
                break
            if depth == 0:
                values.append(data[start:index + 1])
                end = index + 1
    return values, end


def _one_by_one(data: bytes, vendor: str, result: ParsedPayload, counter: list[int]):
    """Slow path for JSON with a malformed event: decode each event on its own.

    A generator consumed event by event, so errors and good events get their
    indices in payload order.
    """
    try:
        items = _raw_list.decode(data) if data.lstrip()[:1] == b"[" else [data]
    except (msgspec.DecodeError, UnicodeDecodeError):  # a bad first event hid a broken array
        yield from _with_surrogates(data, vendor, result, counter)
        return
    yield from _each_event(((bytes(raw), None) for raw in items), vendor, result, counter)


def _with_surrogates(data: bytes, vendor: str, result: ParsedPayload, counter: list[int]):
    """A value msgspec refused: when only lone surrogates were at fault, the events that
    hold one are bad events and the others are read (``decode.surrogates``); anything
    else is one ``bad_json`` error."""
    value = surrogates.loads(data)
    if value is None:
        _error(result, counter, "bad_json", data)
        return
    events = value if isinstance(value, list) else [value]
    yield from _each_event(surrogates.items(events), vendor, result, counter)


def _each_event(items, vendor: str, result: ParsedPayload, counter: list[int]):
    """Each ``(JSON text, value)`` decoded on its own; a text of ``None`` is an event that
    holds a lone surrogate."""
    decoder = _ONE[vendor]
    for raw, value in items:
        if raw is None:
            _error(result, counter, "bad_event", _encode(surrogates.storable(value)),
                   surrogates.REASON)
            continue
        try:
            event = decoder.decode(raw)
        except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError) as exc:
            _error(result, counter, "bad_event", raw, str(exc))
        else:
            yield _Source(raw, False, [raw]), (event,)


def _error(result, counter, reason, raw, detail=None) -> None:
    text = bytes(raw).decode("utf-8", "replace") if raw is not None else ""
    if detail:
        text = f"{detail}: {text}"
    result.errors.append(ReadError(counter[0], reason, text[:_RAW_LIMIT]))
    counter[0] += 1


# --- per-vendor handling ------------------------------------------------------------------


def _handle_impinj(event: _ImpinjEvent, source, position, result, counter, received_at) -> None:
    tag = event.tagInventoryEvent
    if tag is not None and _integer(tag.antennaPort) is False:
        # out of an integer's range: a wrong type, which fails the event as msgspec would
        _error(result, counter, "bad_event", source.raw(position))
        return
    if tag is None or (event.eventType not in (None, "tagInventory")):
        kind = event.eventType or next(
            (kind for member, kind in _IMPINJ_OTHER if len(getattr(event, member))), None
        )
        if kind is None:
            _error(result, counter, "unknown_event", source.raw(position))
            return
        _other(
            result,
            counter,
            kind,
            event.hostname,
            event.timestamp,
            source.raw(position),
            received_at,
        )
        return
    antenna = _integer(tag.antennaPort)
    if tag.epcHex is not None:
        epc, reason = _hex(tag.epcHex)
    elif tag.epc is not None:
        epc, reason = _base64_to_hex(tag.epc)
    else:
        epc, reason = None, "missing_epc"
    seen_at = _time(tag.lastSeenTime or event.timestamp, received_at)
    if seen_at is None:
        reason = reason or "bad_timestamp"
    if reason is not None:
        _error(result, counter, reason, source.raw(position))
        return
    rssi = tag.peakRssiCdbm / 100.0 if tag.peakRssiCdbm is not None else None
    result.reads.append(TagRead(epc, antenna, rssi, seen_at, event.hostname, 1))
    counter[0] += 1


def _handle_zebra(event: _ZebraEvent, source, position, result, counter, received_at) -> None:
    data = event.data
    records = data if isinstance(data, list) else () if data is None else (data,)
    if any(_integer(record.antenna) is False or _integer(record.reads) is False
           for record in records):  # a wrong type fails the event, as msgspec would
        _error(result, counter, "bad_event", source.raw(position))
        return
    if not data or (isinstance(data, _ZebraTag) and data.idHex is None):  # [] is no data
        if event.type is not None and event.type.upper() != "SIMPLE":
            reader = data.hostName or data.MAC if isinstance(data, _ZebraTag) else None
            _other(
                result,
                counter,
                event.type,
                reader,
                event.timestamp,
                source.raw(position),
                received_at,
            )
        elif not data and event.type is None:
            _error(result, counter, "unknown_event", source.raw(position))  # no Zebra event
        else:
            _error(result, counter, "missing_epc", source.raw(position))
        return
    for record in data if isinstance(data, list) else (data,):
        _zebra_record(record, event.timestamp, source, position, result, counter, received_at)


def _zebra_record(
    record: _ZebraTag, timestamp, source, position, result, counter, received_at
) -> None:
    antenna, reads = _integer(record.antenna), _integer(record.reads)  # checked: in range
    if record.idHex is None:
        epc, reason = None, "missing_epc"
    elif record.format is not None and record.format.lower() != "epc":
        epc, reason = None, "not_epc"
    else:
        epc, reason = _hex(record.idHex)
    seen_at = _time(record.timestamp or timestamp, received_at)
    if seen_at is None:
        reason = reason or "bad_timestamp"
    if reason is not None:
        _error(result, counter, reason, source.raw(position))
        return
    count = reads if reads is not None and reads > 0 else 1
    reader = record.hostName or record.MAC
    result.reads.append(TagRead(epc, antenna, record.peakRssi, seen_at, reader, count))
    counter[0] += 1


def _handle_speedway(event: _SpeedwayPost, source, position, result, counter,
                     received_at) -> None:
    """Each ``tag_reads`` record is one event; values may be strings (FX Connect sends
    every value as one), ``firstSeenTimestamp`` microseconds since the epoch (Speedway
    Connect) or an ISO 8601 time; a heartbeat is a reader event."""
    reader = event.reader_name or event.mac_address
    if event.tag_reads is None:
        _error(result, counter, "unknown_event", source.raw(position))
        return
    if not event.tag_reads:  # a post with no tags: the reader is alive
        _other(result, counter, "heartbeat", reader, None, source.raw(position), received_at)
        return
    for tag in event.tag_reads:
        if str(tag.isHeartBeat).lower() == "true":
            _other(result, counter, "heartbeat", reader, None, source.raw(position),
                   received_at)
            continue
        antenna, rssi = _number(tag.antennaPort, int), _number(tag.peakRssi, float)
        if antenna is False or rssi is False:  # a wrong type first, as for the others
            _error(result, counter, "bad_event", source.raw(position))
            continue
        epc, reason = _hex(tag.epc) if tag.epc else (None, "missing_epc")
        seen_at = _epoch_or_iso(tag.firstSeenTimestamp, received_at)
        if reason is None and seen_at is None:
            reason = "bad_timestamp"
        if reason is not None:
            _error(result, counter, reason, source.raw(position))
            continue
        result.reads.append(TagRead(epc, antenna, rssi, seen_at, reader, 1))
        counter[0] += 1


_EDGEX_KINDS = ("Arrived", "Moved", "Departed")


def _handle_edgex(event: _EdgexEvent, source, position, result, counter,
                  received_at) -> None:
    """Each reading is one event: Arrived and Moved are tag reads at their (new) location,
    whose ``<reader>_<antenna>`` name gives the antenna (an alias gives none); Departed
    and any other reading are reader events."""
    readings = event.event.readings if event.event is not None else event.readings
    if readings is None:
        _error(result, counter, "unknown_event", source.raw(position))
        return
    every = (*(event.readings or ()), *(event.event.readings or () if event.event else ()))
    if any(_integer(value) is False for reading in every if reading.objectValue
           for value in (reading.objectValue.timestamp, reading.objectValue.last_read)):
        # out of an integer's range: a wrong type, which fails the event as msgspec would
        _error(result, counter, "bad_event", source.raw(position))
        return
    for reading in readings:
        kind = (reading.resourceName or reading.name or "").removeprefix("InventoryEvent")
        inventory = reading.objectValue
        if inventory is None and reading.value:
            try:
                inventory = _edgex_inventory.decode(reading.value)
            except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError):
                inventory = None
        if inventory is None or kind not in _EDGEX_KINDS:
            if kind in _EDGEX_KINDS:
                _error(result, counter, "bad_event", source.raw(position))
            else:
                result.events.append(ReaderEvent(counter[0], kind or "unknown", None,
                                                 received_at, source.raw(position)))
                counter[0] += 1
            continue
        if _integer(inventory.timestamp) is False or _integer(inventory.last_read) is False:
            _error(result, counter, "bad_event", source.raw(position))
            continue
        seen_at = inventory.timestamp / 1e3 if inventory.timestamp else received_at
        if kind == "Departed":
            result.events.append(ReaderEvent(counter[0], kind, inventory.last_known_location,
                                             seen_at, source.raw(position)))
            counter[0] += 1
            continue
        epc, reason = _hex(inventory.epc) if inventory.epc else (None, "missing_epc")
        if reason is not None:
            _error(result, counter, reason, source.raw(position))
            continue
        location = (inventory.location if kind == "Arrived"
                    else inventory.new_location or inventory.location)  # early 2020 shape
        _reader, _sep, antenna = (location or "").rpartition("_")
        result.reads.append(TagRead(epc, int(antenna) if antenna.isdigit() else None, None,
                                    seen_at, location, 1))
        counter[0] += 1


_NUMBER_TEXT = {int: re.compile(r"-?[0-9]{1,18}"),
                float: re.compile(r"-?[0-9]{1,18}(\.[0-9]{1,18})?")}


_INT_RANGE = (-(2**63), 2**64 - 1)  # what msgspec takes for an int


def _integer(value):
    """An integer field's value: None, the int (a JSON number without a fraction, in
    msgspec's range), or False for anything else."""
    if value is None:
        return None
    if isinstance(value, float):
        if not value.is_integer():
            return False
        value = int(value)
    return value if _INT_RANGE[0] <= value <= _INT_RANGE[1] else False


def _number(value, kind):
    """``kind(value)`` for a number or a string of ASCII digits (FX Connect sends numbers
    as text; the patterns are the OpenAPI document's); None for None or ""; False if bad."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and not _NUMBER_TEXT[kind].fullmatch(value):
        return False
    if kind is int and not isinstance(value, str):
        return _integer(value)
    try:
        return kind(value)
    except (TypeError, ValueError):
        return False


def _epoch_or_iso(value, default: float) -> float | None:
    """Epoch seconds of a Speedway time: an integer in µs (or ms, s: told by its size), as
    a number or a string, or an ISO 8601 time; ``default`` for None; None if bad."""
    if value is None or value == "":
        return default
    number = _number(value, float)
    if number is False:
        return _time(str(value), default)
    if number > 1e14:
        return number / 1e6
    return number / 1e3 if number > 1e11 else number


def _other(result, counter, kind, reader, timestamp, raw: bytes, received_at) -> None:
    seen_at = _time(timestamp, received_at)
    seen_at = received_at if seen_at is None else seen_at
    result.events.append(ReaderEvent(counter[0], kind, reader, seen_at, raw))
    counter[0] += 1


_HANDLERS = {IMPINJ: _handle_impinj, ZEBRA: _handle_zebra, SPEEDWAY: _handle_speedway,
             EDGEX: _handle_edgex}


# --- field conversions -------------------------------------------------------------------


def _base64_to_hex(text: str) -> tuple[str | None, str | None]:
    if not text:
        return None, "missing_epc"
    text = standard_base64(text)  # base64url accepted
    if text is None:
        return None, "bad_base64"
    try:
        raw = binascii.a2b_base64(text + "=" * (-len(text) % 4), strict_mode=True)
    except (binascii.Error, ValueError):
        return None, "bad_base64"
    if not raw:
        return None, "bad_base64"
    return raw.hex().upper(), None


_time_cache: dict[str, float] = {}


def _time(text: str | None, default: float) -> float | None:
    """Epoch seconds of an RFC 3339 / ISO 8601 time; ``default`` for None, None if bad."""
    if text is None:
        return default
    value = _time_cache.get(text)
    if value is not None:
        return value
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    value = moment.timestamp()
    if len(_time_cache) > 4096:  # envelopes of one batch share times; keep it small
        _time_cache.clear()
    _time_cache[text] = value
    return value
