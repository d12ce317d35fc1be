"""What a reader payload becomes, whatever its vendor: tag reads, reader events, errors.

What it is: the types the vendor parsers (``ingest_core.rfid.formats`` for the
JSON vendors, ``ingest_core.rfid.alien`` for Alien's text) produce and the
RFID stage consumes, kept apart so that neither parser imports the other.
"""

from __future__ import annotations

from typing import NamedTuple

import msgspec

_HEX_DIGITS = "0123456789ABCDEF"


class TagRead(msgspec.Struct, gc=False):
    """One tag observation: what the dedupe stage consumes."""

    epc: str  # hex, uppercase
    antenna: int | None
    rssi: float | None  # dBm
    seen_at: float  # epoch seconds
    reader: str | None
    count: int = 1


class ReaderEvent(msgspec.Struct, gc=False):
    """A reader event that is not a tag read (kept for counters and health)."""

    index: int
    kind: str  # vendor name: "overflow", "inventoryStatus", "HEARTBEAT", ...
    reader: str | None
    seen_at: float
    raw: bytes  # the event JSON as sent


class ReadError(NamedTuple):
    index: int
    reason: str
    raw: str


class ParsedPayload(msgspec.Struct):
    vendor: str
    reads: list[TagRead]
    events: list[ReaderEvent]
    errors: list[ReadError]

    def event_counts(self) -> dict[str, int]:
        """Non-tag events by kind."""
        counts: dict[str, int] = {}
        for event in self.events:
            counts[event.kind] = counts.get(event.kind, 0) + 1
        return counts


def hex_epc(text: str) -> tuple[str | None, str | None]:
    """(EPC as uppercase hex, None) or (None, error reason) of a reader's hex EPC."""
    epc = text.upper()
    if not epc:
        return None, "missing_epc"
    if len(epc) & 1 or epc.strip(_HEX_DIGITS):
        return None, "bad_hex"
    return epc, None
