"""From a device's batch to reads the writer can commit: decode → resolve → validate.

What it is: the request-side stages of the ingest. Input is the JSON body of
``POST /v1/reads``; output is a ``PreparedBatch``: reads ready to commit
(``ResolvedRead``) and rejections with a precise reason, each kept with its
raw form for the quarantine.

How it works: the body is decoded by msgspec into typed ``ReadIn`` structs in
one pass; when a read has the wrong shape, the body is decoded again read by
read so that only the bad read is rejected. Codes go through the compiled
GS1 decoder, products through ``ReferenceData`` (the literal barcode first,
as Odoo matches it, then the GTIN-14 form; packagings with their quantity),
quantities become product units (read qty x packaging qty x AI 30/37 count).
Nothing here touches the database.

Caveats: a key repeated inside one request is answered ``duplicate`` for
every occurrence after the first; across requests the event table's unique
(device, key) decides.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import msgspec

from ingest_core.decode import gs1, surrogates
from ingest_core.resolve.operations import OPERATIONS, Route, route
from ingest_core.resolve.reference import Device, ReferenceData

MAX_KEY_LENGTH = 128
MAX_CODE_LENGTH = 256
MAX_QUANTITY = 1_000_000.0


class ReadIn(msgspec.Struct, forbid_unknown_fields=False):
    """One read as a device sends it (see docs/architecture.md, ingest HTTP contract)."""

    key: str
    code: str
    op: str
    ts: str | None = None
    qty: float = 1.0
    location: int | None = None


class BatchIn(msgspec.Struct):
    reads: list[ReadIn]


class _LooseBatch(msgspec.Struct):
    reads: list[msgspec.Raw]


class RequestError(ValueError):
    """The request as a whole is unusable (answered 4xx); ``status`` says which."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(slots=True)
class ResolvedRead:
    index: int
    key: str
    read_at: datetime  # naive UTC, as Odoo stores datetimes
    operation: str
    code: str
    product_id: int
    lot_name: str | None
    quantity: float  # product units; for ``count`` the counted on-hand quantity
    location_id: int
    route: Route | None  # None for ``count``: decided under the quant lock


@dataclass(slots=True)
class Rejection:
    index: int
    key: str | None
    reason_code: str
    reason: str
    raw: dict


@dataclass(frozen=True, slots=True)
class EpcTransition:
    """The EPC state change an RFID movement stands for (see ``ingest_core.rfid.stage``)."""

    epc: str
    allowed_from: frozenset  # states (None: no row yet) from which the movement may happen
    state: str  # the EPC's state after the movement
    location_id: int | None  # where the EPC is after the movement


@dataclass
class PreparedBatch:
    device: Device
    size: int
    reads: list[ResolvedRead] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    duplicates_in_request: list[tuple[int, str]] = field(default_factory=list)
    #: RFID movements: one transition per read, in ``reads`` order; the writer applies a
    #: read only when its EPC's current state allows it (exactly once per EPC).
    epc_transitions: list[EpcTransition] | None = None
    #: False for replays from the quarantine: their rejections update the row itself.
    quarantine: bool = True


_decoder = msgspec.json.Decoder(BatchIn)
_loose_decoder = msgspec.json.Decoder(_LooseBatch)
_read_decoder = msgspec.json.Decoder(ReadIn)


def decode_body(body: bytes, max_reads: int) -> tuple[list[ReadIn | None], list[Rejection]]:
    """Typed reads, with ``None`` and a rejection where one read has the wrong shape.

    Not JSON text (invalid UTF-8 included, RFC 8259) or nested deeper than the decoder
    recurses is ``RequestError`` 422, never an exception out of the request."""
    try:
        return _decode_body(body, max_reads)
    except RecursionError as exc:
        raise RequestError(422, "malformed JSON: nested too deeply") from exc


def _decode_body(body: bytes, max_reads: int) -> tuple[list[ReadIn | None], list[Rejection]]:
    try:
        reads: list[ReadIn | None] = list(_decoder.decode(body).reads)
        rejections: list[Rejection] = []
    except msgspec.ValidationError:
        try:
            raws = _loose_decoder.decode(body).reads
        except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError) as exc:
            raise RequestError(422, f"malformed batch: {exc}") from exc
        reads, rejections = _read_by_read((bytes(raw), None) for raw in raws)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        value = surrogates.loads(body)  # refused for a lone surrogate: those reads only
        if not isinstance(value, dict) or not isinstance(value.get("reads"), list):
            raise RequestError(422, f"malformed JSON: {exc}") from exc
        reads, rejections = _read_by_read(surrogates.items(value["reads"]))
    if len(reads) > max_reads:
        raise RequestError(413, f"batch of {len(reads)} reads is over the limit of {max_reads}")
    if not reads:
        raise RequestError(422, "empty batch: 'reads' has no read")
    return reads, rejections


def _read_by_read(items) -> tuple[list[ReadIn | None], list[Rejection]]:
    """Slow path of a batch with a malformed read: each ``(JSON text, value)`` on its own,
    a text of ``None`` being a read that holds a lone surrogate (``decode.surrogates``)."""
    reads: list[ReadIn | None] = []
    rejections: list[Rejection] = []
    for index, (raw, value) in enumerate(items):
        try:
            if raw is None:
                raise ValueError(surrogates.REASON)
            reads.append(_read_decoder.decode(raw))
        except (msgspec.ValidationError, msgspec.DecodeError, ValueError) as exc:
            reads.append(None)  # UnicodeDecodeError is a ValueError
            loose = _loose_raw(raw) if raw is not None else surrogates.storable(value)
            loose = loose if isinstance(loose, dict) else {"value": loose}
            key = loose.get("key") if isinstance(loose.get("key"), str) else None
            rejections.append(Rejection(index, key, "bad_read", f"malformed read: {exc}",
                                        loose))
    return reads, rejections


def _loose_raw(raw: bytes) -> dict:
    try:
        value = msgspec.json.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return {"unparsed": bytes(raw).decode("utf-8", "replace")}
    return value if isinstance(value, dict) else {"value": value}


def parse_timestamp(text: str | None, now: datetime, max_age: timedelta,
                    max_future: timedelta) -> tuple[datetime | None, str | None, str | None]:
    """(naive UTC time, error code, error text) of an RFC 3339 timestamp."""
    if text is None:
        return now, None, None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None, "bad_timestamp", f"timestamp {text!r} is not RFC 3339"
    if moment.tzinfo is None:
        return None, "bad_timestamp", f"timestamp {text!r} has no time zone offset"
    moment = moment.astimezone(UTC).replace(tzinfo=None)
    if moment > now + max_future:
        return None, "future_timestamp", f"timestamp {text} is in the future"
    if moment < now - max_age:
        return None, "ancient_timestamp", (
            f"timestamp {text} is older than {max_age.days} days (the event log's retention)")
    return moment, None, None


class Preparer:
    """Runs decode → resolve → validate for one request at a time."""

    def __init__(self, reference: ReferenceData, max_age_days: int = 30,
                 max_future_s: int = 300) -> None:
        self.reference = reference
        self.max_age = timedelta(days=max_age_days)
        self.max_future = timedelta(seconds=max_future_s)

    def prepare(self, device: Device, reads: list[ReadIn | None],
                rejections: list[Rejection]) -> PreparedBatch:
        batch = PreparedBatch(device, len(reads), rejections=rejections)
        now = datetime.now(UTC).replace(tzinfo=None)
        seen: set[str] = set()
        reference = self.reference
        warehouse = reference.warehouses.get(device.warehouse_id)
        places = reference.places.get(device.company_id)
        for index, read in enumerate(reads):
            if read is None:
                continue
            if read.key in seen:
                batch.duplicates_in_request.append((index, read.key))
                continue
            seen.add(read.key)
            problem = self._resolve(index, read, device, warehouse, places, now, batch)
            if problem is not None:
                code, text = problem
                batch.rejections.append(Rejection(index, read.key, code, text,
                                                  msgspec.to_builtins(read)))
        return batch

    def _resolve(self, index, read, device, warehouse, places, now, batch):
        if not read.key or len(read.key) > MAX_KEY_LENGTH:
            return "bad_key", f"key must be 1 to {MAX_KEY_LENGTH} characters"
        if not read.key.isprintable():  # NUL, control characters, unpaired surrogates
            return "bad_key", "key must be printable text"
        if read.op not in OPERATIONS:
            return "unknown_operation", (
                f"operation {read.op!r} is not one of {', '.join(OPERATIONS)}")
        if read.op not in device.allowed:
            return "operation_not_allowed", (
                f"device {device.name!r} is not allowed to post {read.op!r}")
        location_id = read.location if read.location is not None else device.location_id
        location = self.reference.locations.get(location_id)
        if (location is None or location.usage != "internal" or not location.active
                or location.warehouse_id != device.warehouse_id):
            return "location_not_allowed", (
                f"location {location_id} is not an internal location of the device's store")
        if warehouse is None or places is None:
            return "store_not_configured", f"store {device.warehouse_id} is not configured"
        quantity = read.qty
        if not math.isfinite(quantity) or quantity > MAX_QUANTITY or (
                quantity < 0 if read.op == "count" else quantity <= 0):
            return "bad_quantity", f"quantity {quantity!r} is not allowed for {read.op}"
        read_at, code, text = parse_timestamp(read.ts, now, self.max_age, self.max_future)
        if code:
            return code, text
        if len(read.code) > MAX_CODE_LENGTH:
            return "bad_length", f"code longer than {MAX_CODE_LENGTH} characters"
        barcodes = self.reference.barcodes
        match = barcodes.get(read.code)  # Odoo matches the literal barcode first
        scan = gs1.parse_scan(read.code)
        if match is None:
            if not scan.ok:
                return scan.error, scan.error_detail
            match = barcodes.get(scan.gtin) if scan.gtin else None
            if match is None:
                return "unknown_barcode", f"no product or packaging has barcode {read.code!r}"
        product_id, per_unit = match
        product = self.reference.products[product_id]
        if not product.storable:
            return "not_storable", f"product {product.display_name!r} does not track stock"
        lot_name = None
        if product.tracking == "lot":
            lot_name = scan.lot if scan.ok else None
            if not lot_name:
                return "lot_required", f"{product.display_name!r} is tracked by lot: scan AI 10"
        elif product.tracking == "serial":
            lot_name = (scan.serial or scan.lot) if scan.ok else None
            if not lot_name:
                return "serial_required", (
                    f"{product.display_name!r} is tracked by serial number: scan AI 21")
        units = quantity * per_unit * ((scan.count if scan.ok else None) or 1)
        if product.tracking == "serial" and read.op != "count" and units != 1:
            return "bad_quantity", "a serial number moves one unit at a time"
        batch.reads.append(ResolvedRead(
            index, read.key, read_at, read.op, read.code, product_id, lot_name, units,
            location_id,
            None if read.op == "count" else route(read.op, location_id, warehouse, places)))
        return None
