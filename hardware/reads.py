"""The read as the store agent carries it, from device to ingest.

What it is: two small dataclasses, :class:`Read` (what a device produced) and
:class:`QueuedRead` (the same read once the durable queue gave it a key),
plus the UTC timestamp helper every reader uses.

How it works: readers build :class:`Read`; :mod:`hardware.queue` stores it
and returns :class:`QueuedRead`; :mod:`hardware.forwarder` turns that into one
element of the ``reads`` array of ``POST /v1/reads`` with :meth:`QueuedRead.to_contract`.

Caveats: ``ts`` is the device-side time as RFC 3339 UTC text, taken when the
agent received the bytes; serial scanners carry no clock of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

OPERATIONS: frozenset[str] = frozenset(
    {"sale", "return", "receipt", "transfer_out", "transfer_in", "scrap", "count"}
)

#: The operation of an RFID reader's tag read: the ingest's device role says what it does.
RFID_OP = "rfid"


def utc_now_rfc3339() -> str:
    """Now, as the contract's RFC 3339 ``ts`` (millisecond precision, ``Z`` suffix)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Read:
    """One read from one device, before it has a key."""

    device: str
    code: str
    ts: str
    op: str = "sale"
    qty: float | int = 1
    location: int | None = None


@dataclass(frozen=True, slots=True)
class QueuedRead:
    """A read that is durable in the local queue and has its never-reused key."""

    seq: int
    key: str
    device: str
    code: str
    ts: str
    op: str
    qty: float | int
    location: int | None
    enqueued_at: float

    def to_contract(self) -> dict[str, Any]:
        """Element of ``{"reads": [...]}`` in the ingest contract v1."""
        return {
            "key": self.key,
            "ts": self.ts,
            "code": self.code,
            "qty": self.qty,
            "op": self.op,
            "location": self.location,
        }
