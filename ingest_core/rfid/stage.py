"""The RFID stage: a reader's payload to stock movements or counted EPCs.

What it is: the request side of ``POST /v1/rfid/impinj|zebra`` and of the
MQTT bridge. Input: a vendor payload and the device that sent it. Output: an
``RfidReads`` (what was seen, after dedupe and decode) and, for readers whose
role moves stock, a ``PreparedBatch`` of ``ResolvedRead`` with one
``EpcTransition`` per read, for the group-commit writer.

How it works: ``formats.parse_payload`` → ``dedupe`` per zone (device id
and antenna group) within ``rfid_dedupe_window_s`` → one sighting per EPC per
request → ``epc.decode_many`` → GTIN to product through ``ReferenceData``
(the GTIN-14 form of the product or packaging barcode). Tags that are not GS1
product tags (``not_gs1`` and every other decode failure) are only counted
per device (``rrs_device.unknown_tags``). The reader's role decides the rest:

* ``exit`` → ``sale`` (or ``shrink`` by ``rfid_exit_movement``), ``pos_gate``
  → ``sale``, ``dock`` → ``receipt``: one movement per EPC, read key
  ``epc:<EPC>:<movement>``, admitted by the writer only from the EPC states in
  ``ALLOWED_FROM`` (so re-reads, neighbouring readers and replays move a tag
  once);
* ``count`` → the EPCs go to the device's open count session (``counts``);
* ``none`` → sightings only (``last_seen`` of known EPCs).

A device without ``rfid_role`` takes it from its kind: ``pos_gate`` →
``pos_gate``, ``rfid_handheld`` → ``count``, others ``none``.

A moving reader's tag whose read time is further in the future than
``max_read_future_s`` or older than ``max_read_age_days`` is rejected to
quarantine with the scans' reason codes (``future_timestamp``,
``ancient_timestamp``). Counts and sightings keep such reads: the tag was seen
by this request whatever the reader's clock says, and leaving it out of a
count would write it off.

Caveats: a ``shrink`` is written as Odoo writes a lost unit: an inventory
adjustment (operation ``count``) from the store to *Inventory adjustment*.
Lot-tracked products need a lot on the tag (SGTIN+ AI 10); serial-tracked
products use the EPC's serial as the serial number.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ingest_core.decode import epc
from ingest_core.resolve.operations import count_route, route
from ingest_core.resolve.pipeline import EpcTransition, PreparedBatch, Rejection, ResolvedRead
from ingest_core.resolve.reference import Device, ReferenceData
from ingest_core.rfid.dedupe import Deduplicator, filter_reads
from ingest_core.rfid.formats import TagRead, not_vendor_format, parse_payload

ROLES = ("exit", "pos_gate", "dock", "count", "none")
MOVING_ROLES = ("exit", "pos_gate", "dock")
IN_STORE = frozenset({None, "in_stock", "received"})
#: movement -> (EPC states it may start from, EPC state after it).
ALLOWED_FROM: dict[str, tuple[frozenset, str]] = {
    "sale": (IN_STORE, "sold"),
    "shrink": (IN_STORE, "shrink"),
    "receipt": (frozenset({None}), "received"),
}


def role_of(device: Device) -> str:
    if device.rfid_role in ROLES:
        return device.rfid_role
    return {"pos_gate": "pos_gate", "rfid_handheld": "count"}.get(device.kind, "none")


@dataclass(slots=True)
class TaggedItem:
    """One distinct product tag of a request."""

    epc: str
    seen_at: float
    product_id: int | None  # None: a GS1 tag of no product in Odoo
    lot_name: str | None
    quantity: float
    problem: tuple[str, str] | None = None  # (reason code, text) when it cannot move stock


@dataclass
class RfidReads:
    device: Device
    role: str
    reads: int = 0  # tag reads in the payload
    accepted: int = 0  # after dedupe
    events: int = 0  # non-tag reader events
    errors: list = field(default_factory=list)
    unknown_tags: int = 0
    items: list[TaggedItem] = field(default_factory=list)
    #: Why the payload is not the vendor's format at all (``formats.not_vendor_format``)
    not_vendor_format: str | None = None

    def summary(self) -> dict:
        return {"reads": self.reads, "accepted": self.accepted, "events": self.events,
                "errors": len(self.errors), "unknown_tags": self.unknown_tags,
                "tags": len(self.items), "role": self.role}


def _naive_utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)


class RfidStage:
    def __init__(self, reference: ReferenceData, window_s: float = 30.0,
                 capacity: int = 200_000, exit_movement: str = "sale",
                 max_age_days: int = 30, max_future_s: int = 300) -> None:
        if exit_movement not in ("sale", "shrink"):
            raise ValueError(f"rfid_exit_movement must be sale or shrink, not {exit_movement!r}")
        self.reference = reference
        self.max_age_s = max_age_days * 86_400.0
        self.max_future_s = float(max_future_s)
        self.deduplicator = Deduplicator(window_s, capacity)
        self.exit_movement = exit_movement
        self._unsure: set[str] = set()  # zones whose last request was not committed

    def failed(self, device: Device) -> None:
        """The last request of ``device`` was not committed: its resend must not be thinned."""
        self._unsure.add(self.zone(device))

    def succeeded(self, device: Device) -> None:
        self._unsure.discard(self.zone(device))

    def movement_of(self, role: str) -> str | None:
        return {"exit": self.exit_movement, "pos_gate": "sale", "dock": "receipt"}.get(role)

    def read_payload(self, device: Device, vendor: str, body: bytes,
                     received_at: float | None = None) -> RfidReads:
        parsed = parse_payload(body, vendor, received_at)
        result = RfidReads(device, role_of(device), len(parsed.reads), 0, len(parsed.events),
                           parsed.errors, not_vendor_format=not_vendor_format(parsed))
        self.read_tags(result, parsed.reads)
        return result

    def read_tags(self, result: RfidReads, reads: list[TagRead],
                  dedupe: bool = True) -> RfidReads:
        """Dedupe (unless replaying), one sighting per EPC, decode, resolve (fills
        ``result``)."""
        device = result.device
        if not dedupe or self.zone(device) in self._unsure:
            accepted = reads  # repeats of reads that were never committed are not repeats
        elif device.antenna_zones:
            accepted = self._by_antenna_zone(device, reads)
        else:
            accepted = filter_reads(self.deduplicator, self.zone(device), reads)
        result.accepted += len(accepted)
        first: dict[str, float] = {}
        for read in accepted:
            first.setdefault(read.epc, read.seen_at)
        epcs = list(first)
        barcodes = self.reference.barcodes
        products = self.reference.products
        for code, decoded in zip(epcs, epc.decode_many(epcs), strict=True):
            gtin = decoded.gtin if decoded.ok else None
            if not gtin:
                result.unknown_tags += 1
                continue
            match = barcodes.get(gtin)
            if match is None:
                result.items.append(TaggedItem(code, first[code], None, None, 1.0, (
                    "unknown_product", f"no product or packaging has GTIN {gtin}")))
                continue
            product_id, per_unit = match
            product = products[product_id]
            item = TaggedItem(code, first[code], product_id, None, per_unit)
            if not product.storable:
                item.problem = "not_storable", f"{product.display_name!r} does not track stock"
            elif product.tracking == "lot":
                item.lot_name = decoded.lot
                if not item.lot_name:
                    item.problem = "lot_required", (
                        f"{product.display_name!r} is tracked by lot: the tag has no AI 10")
            elif product.tracking == "serial":
                item.lot_name = decoded.serial
            result.items.append(item)
        return result

    def time_problem(self, seen_at: float, now: float) -> tuple[str, str] | None:
        """Why a read's time cannot be a movement's: the scans' rule (the same codes,
        ``max_read_future_s`` and ``max_read_age_days``). The read's time becomes the
        event's ``read_at`` and its EPCIS ``eventTime``; a reader whose clock is off
        (no NTP) would write movements into the future or past the log's retention."""
        if seen_at > now + self.max_future_s:
            return "future_timestamp", (
                f"read time {_naive_utc(seen_at).isoformat()}Z is {seen_at - now:.0f} s in the "
                "future: is the reader's clock set (NTP)?")
        if seen_at < now - self.max_age_s:
            return "ancient_timestamp", (
                f"read time {_naive_utc(seen_at).isoformat()}Z is older than "
                f"{self.max_age_s / 86_400:.0f} days (the event log's retention)")
        return None

    @staticmethod
    def zone(device: Device, antenna_group: str = "all") -> str:
        """Dedupe zone: the device and a group of its antennas (``Device.antenna_zone``)."""
        return f"{device.id}:{antenna_group}"

    def _by_antenna_zone(self, device: Device, reads: list[TagRead]) -> list[TagRead]:
        """The reads each antenna zone of ``device`` accepts, in their order."""
        zones: dict[str, list[TagRead]] = {}
        for read in reads:
            zones.setdefault(self.zone(device, device.antenna_zone(read.antenna)),
                             []).append(read)
        kept = {id(read) for zone, group in zones.items()
                for read in filter_reads(self.deduplicator, zone, group)}
        return [read for read in reads if id(read) in kept]

    def movements(self, result: RfidReads) -> PreparedBatch:
        """The stock movements of a moving reader's tags, for the writer."""
        device = result.device
        movement = self.movement_of(result.role)
        if movement is None:
            raise ValueError(f"role {result.role!r} moves no stock")
        allowed_from, new_state = ALLOWED_FROM[movement]
        warehouse = self.reference.warehouses.get(device.warehouse_id)
        places = self.reference.places.get(device.company_id)
        batch = PreparedBatch(device, len(result.items), epc_transitions=[])
        now = time.time()
        for index, item in enumerate(result.items):
            key = f"epc:{item.epc}:{movement}"
            problem = item.problem or self.time_problem(item.seen_at, now)
            if problem is not None or warehouse is None or places is None:
                code, text = problem or ("store_not_configured",
                                         f"store {device.warehouse_id} is not configured")
                batch.rejections.append(Rejection(index, key, code, text, {
                    "epc": item.epc, "seen_at": item.seen_at, "movement": movement}))
                continue
            if movement == "shrink":
                operation, way = "count", count_route(-1.0, device.location_id, places)
            else:
                operation, way = movement, route(movement, device.location_id, warehouse, places)
            batch.reads.append(ResolvedRead(
                index, key, _naive_utc(item.seen_at), operation, item.epc, item.product_id,
                item.lot_name, item.quantity, device.location_id, way))
            batch.epc_transitions.append(EpcTransition(item.epc, allowed_from, new_state,
                                                       way.location_dest_id))
        return batch
