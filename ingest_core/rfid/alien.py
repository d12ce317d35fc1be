"""Alien ALR text notifications (ALR-9900, ALR-F800, ALR-9680) to tag reads.

What it is: the vendor-envelope part of the decode stage for Alien readers,
which push their tag lists as text over TCP (``NotifyMode = ON``,
``NotifyFormat = Text``, ``NotifyAddress = <ingest>:<alien_port>``) rather
than JSON over HTTP. Output is the same ``ParsedPayload`` as the JSON
vendors' (``ingest_core.rfid.formats``, which hands Alien payloads here).

How it works: a notification is a header of ``#Key: value`` lines between
``#Alien RFID Reader Auto Notification Message`` and ``#End of Notification
Message``, then one line per tag::

    Tag:E200 3411 B802 0111, Disc:2026/12/07 09:15:30.250,
        Last:2026/12/07 09:15:31.002, Count:4, Ant:1, Proto:2   (one line)

with CRLF line ends, and a NUL byte after the message (the TCP stream's
delimiter; several messages may come in one read). ``(No Tags)`` is an empty
tag list. A tag line's EPC is the ``Tag`` field without its spaces, its time
``Last`` (else ``Disc``, else the header's ``Time``), its antenna ``Ant``, its
read count ``Count`` and, where the reader's ``TagListFormat`` adds it, its
``Rssi``; unknown fields are ignored. The reader is the header's
``ReaderName``, which names the device in Odoo (``rrs_device.name``), as the
MQTT topic level does. A notification without tags (a heartbeat, ``Reason:
TEST MESSAGE``) is a reader event named by its ``Reason``.

Caveats: Alien times carry no zone; they are taken as UTC, as every time
without an offset is here: set the reader's ``TimeZone`` to 0. A reader whose
clock is hours off is caught by the moving readers' read-time check
(``RfidStage.time_problem``). Errors are values, one per bad line, never
exceptions; a line that is neither a header nor a tag is ``bad_event``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ingest_core.rfid.payload import ParsedPayload, ReaderEvent, ReadError, TagRead, hex_epc

ALIEN = "alien"
EXPECTED = ("Alien ALR text notifications: '#'-header lines (#ReaderName: ...), then one "
            "'Tag:<hex>, Disc:<time>, Last:<time>, Count:<n>, Ant:<n>' line per tag, CRLF "
            "line ends, a NUL after each message")
_TIME_FORMATS = ("%Y/%m/%d %H:%M:%S.%f", "%Y/%m/%d %H:%M:%S")
_START = "Alien RFID Reader Auto Notification Message"
_END = "End of Notification Message"


def is_alien(data: bytes) -> bool:
    """Whether a payload looks like Alien text (its banner, or a bare tag list)."""
    head = data.lstrip(b"\0\r\n \t")[:256]
    return head.startswith((b"#Alien RFID Reader", b"Tag:", b"#ReaderName:"))


def messages(stream: bytearray) -> list[bytes]:
    """Take the complete (NUL-terminated) messages off the front of a TCP buffer."""
    found = []
    while (end := stream.find(b"\0")) >= 0:
        message = bytes(stream[:end])
        del stream[:end + 1]
        if message.strip():
            found.append(message)
    return found


def parse(data: bytes, received_at: float) -> ParsedPayload:
    """Tag reads, reader events and errors of one or more Alien text notifications."""
    result = ParsedPayload(ALIEN, [], [], [])
    counter = [0]
    for message in data.split(b"\0"):
        if message.strip():
            _message(message.decode("latin-1"), result, counter, received_at)
    return result


def _message(text: str, result: ParsedPayload, counter: list[int],
             received_at: float) -> None:
    header: dict[str, str] = {}
    tags = 0
    for line in text.splitlines():
        line = line.strip()
        if not line or line == "(No Tags)":
            continue
        if line.startswith("#"):
            key, colon, value = line[1:].partition(":")
            if colon:
                header[key.strip()] = value.strip()
            elif key.strip() not in (_START, _END):
                _error(result, counter, "bad_event", line)
            continue
        if not line.startswith("Tag:"):
            _error(result, counter, "bad_event", line)
            continue
        tags += 1
        _tag(line, header, result, counter, received_at)
    if not tags and header:
        seen_at = _time(header.get("Time")) or received_at
        result.events.append(ReaderEvent(
            counter[0], header.get("Reason") or "notification", header.get("ReaderName"),
            seen_at, text.encode("latin-1")[:2048]))
        counter[0] += 1


def _tag(line: str, header: dict[str, str], result: ParsedPayload,
         counter: list[int], received_at: float) -> None:
    fields = {}
    for part in line.split(","):
        key, _, value = part.partition(":")
        fields[key.strip()] = value.strip()
    epc, problem = hex_epc("".join(fields.get("Tag", "").split()))
    if problem:
        _error(result, counter, problem, line)
        return
    stamp = fields.get("Last") or fields.get("Disc") or header.get("Time")
    seen_at = _time(stamp) if stamp else received_at
    try:
        antenna = int(fields["Ant"]) if fields.get("Ant") else None
        count = int(fields["Count"]) if fields.get("Count") else 1
        rssi = float(fields["Rssi"]) if fields.get("Rssi") else None
    except ValueError:
        _error(result, counter, "bad_event", line)
        return
    if seen_at is None:
        _error(result, counter, "bad_timestamp", line)
        return
    result.reads.append(TagRead(epc, antenna, rssi, seen_at,
                                        header.get("ReaderName"), max(count, 1)))
    counter[0] += 1


def _time(text: str | None) -> float | None:
    """Epoch seconds of an Alien time (``2026/12/07 09:15:30.250``, taken as UTC)."""
    if not text:
        return None
    for layout in _TIME_FORMATS:
        try:
            return datetime.strptime(text, layout).replace(tzinfo=UTC).timestamp()
        except ValueError:
            continue
    return None


def _error(result: ParsedPayload, counter: list[int], reason: str, line: str) -> None:
    result.errors.append(ReadError(counter[0], reason, line[:2048]))
    counter[0] += 1
