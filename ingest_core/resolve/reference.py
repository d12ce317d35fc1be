"""Reference data the resolve stage needs, kept in memory and kept correct.

What it is: ``ReferenceData`` holds devices (by token hash), products (by
every barcode form Odoo would match), packagings, warehouses, locations and
the company's virtual locations, loaded from the Odoo database.

How it works: a refresher thread polls cheap version queries (counts and
``max(write_date)``) twice a second and reloads a part when its version
changes, swapping whole dictionaries so readers never see a half-built one.
A token not in memory is looked up in the database at once (a device created
a moment ago works at once); a revoked or disabled device stops working at
the next poll. Barcode indexing follows Odoo's barcode lookup with the GS1
nomenclature: the literal barcode, and its GTIN-14 form, so an EAN-13 label
scanned as GTIN-14 (AI 01) or a UPC-A with a leading zero still match.

Caveats: invalidation is by polling (≤ ``poll_s`` stale), not by triggers,
because the add-on must not require database triggers on Odoo's tables. A
full catalog reload of 2000 products takes a few milliseconds; for very
large catalogs, reloads should become incremental by ``write_date``.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from datetime import date

import psycopg2

from ingest_core.decode import gs1
from ingest_core.odoo import sql
from ingest_core.resolve.operations import OPERATIONS, CompanyLocations, Warehouse

_logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Device:
    id: int
    name: str
    kind: str
    warehouse_id: int
    location_id: int
    company_id: int
    active: bool
    allowed: frozenset[str]
    rfid_role: str | None = None  # exit, pos_gate, dock, count, none (RFID readers)
    #: Antenna -> its dedupe zone (``rfid_antenna_zones``); antennas not in it: the reader's.
    antenna_zones: tuple[tuple[int, str], ...] = ()
    #: Staff practise on it: its reads are checked and logged, never applied
    #: (``docs/decisions/training-mode.md``).
    training: bool = False

    def antenna_zone(self, antenna: int | None) -> str:
        """The dedupe zone of a read by ``antenna`` of this reader (``RfidStage.zone``)."""
        for number, zone in self.antenna_zones:
            if number == antenna:
                return zone
        return "all"


@dataclass(frozen=True, slots=True)
class Product:
    id: int
    display_name: str
    name: str
    tracking: str
    uom_id: int
    storable: bool


@dataclass(frozen=True, slots=True)
class Location:
    id: int
    warehouse_id: int | None
    usage: str
    company_id: int | None
    active: bool


#: Location usages whose quants the writer changes as it acknowledges reads.
STOCK_USAGES = frozenset({"internal", "transit"})
#: Antenna ports a reader can have (as the add-on's ``rrs.device``).
MAX_ANTENNA = 256


def hash_token(token: str) -> str:
    """How device tokens are stored: sha256 hex (tokens are random, so no salt is needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def next_inventory_date(month: str | None, day: int | None, today: date) -> date:
    """Odoo's next annual inventory date (company setting, default 31 December)."""
    month_number = int(month) if month and str(month).isdigit() else 12
    wanted_day = day or 31
    for year in (today.year, today.year + 1):
        for candidate_day in range(wanted_day, 27, -1):
            try:
                candidate = date(year, month_number, candidate_day)
            except ValueError:
                continue
            if candidate >= today:
                return candidate
            break
    return date(today.year + 1, month_number, 28)


def _gtin_forms(barcode: str) -> list[str]:
    """The literal barcode and, for a valid GTIN, its GTIN-14 form."""
    forms = [barcode]
    if barcode.isdigit() and len(barcode) in (8, 12, 13, 14):
        try:
            if gs1.gtin_check_digit(barcode[:-1]) == int(barcode[-1]):
                forms.append(gs1.normalise_gtin(barcode))
        except ValueError:
            pass
    return forms


class ReferenceData:
    """In-memory view of the Odoo data the ingest resolves against."""

    def __init__(self, dsn: str, poll_s: float = 0.5) -> None:
        self._dsn = dsn
        self.poll_s = poll_s
        self._connection = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._versions: dict[str, tuple] = {}
        self.devices: dict[str, Device] = {}
        self._misses: dict[str, float] = {}
        self.products: dict[int, Product] = {}
        self.barcodes: dict[str, tuple[int, float]] = {}
        self.warehouses: dict[int, Warehouse] = {}
        self.locations: dict[int, Location] = {}
        self.places: dict[int, CompanyLocations] = {}
        self.inventory_dates: dict[int, date] = {}
        self.order_sensitive: set[tuple[int, int]] = set()
        self.company_of_location: dict[int, int | None] = {}
        self.inventory_date_of_location: dict[int, date | None] = {}
        self.load_all()

    # ------------------------------------------------------------------ loading
    def _cursor(self):
        if self._connection is None or self._connection.closed:
            self._connection = psycopg2.connect(self._dsn)
            self._connection.autocommit = True
        return self._connection.cursor()

    def load_all(self) -> None:
        with self._lock, self._cursor() as cur:
            self._load_places(cur)
            self._load_catalog(cur)
            self._load_devices(cur)

    def _load_places(self, cur) -> None:
        self.warehouses = {row[0]: Warehouse(*row) for row in sql.load_warehouses(cur)}
        self.locations = {row[0]: Location(*row) for row in sql.load_locations(cur)}
        by_company: dict[int | None, dict[str, int]] = {}
        for company, usage, scrap, location in sql.load_special_locations(cur):
            name = "scrap" if scrap else usage
            by_company.setdefault(company, {}).setdefault(name, location)
        shared = by_company.get(None, {})
        places = {}
        for company in {w.company_id for w in self.warehouses.values()}:
            found = {**shared, **by_company.get(company, {})}
            places[company] = CompanyLocations(
                customers=found.get("customer"), vendors=found.get("supplier"),
                inventory=found.get("inventory"), scrap=found.get("scrap"),
                transit=found.get("company_transit", found.get("transit")))
        self.places = places
        today = date.today()
        self.inventory_dates = {company: next_inventory_date(month, day, today)
                                for company, month, day in sql.load_companies(cur)}
        # What a new quant gets, as Odoo's stored related / computed fields would give it.
        self.company_of_location = {loc.id: loc.company_id for loc in self.locations.values()}
        self.inventory_date_of_location = {
            loc.id: self.inventory_dates.get(loc.company_id)
            for loc in self.locations.values() if loc.usage == "internal"}
        # Customers, vendors, inventory adjustment, scrap...: their quants follow the done
        # moves (journal); those of internal and transit locations follow each ack (writer).
        self.virtual_locations = frozenset(
            loc.id for loc in self.locations.values() if loc.usage not in STOCK_USAGES)

    def _load_catalog(self, cur) -> None:
        self._versions["catalog"] = sql.catalog_version(cur)
        products, barcodes = {}, {}
        for pid, barcode, _code, tracking, uom, display, name, storable in sql.load_products(cur):
            products[pid] = Product(pid, display, name or display, tracking or "none", uom,
                                    storable)
            if barcode:
                for form in _gtin_forms(barcode):
                    barcodes.setdefault(form, (pid, 1.0))
        # Products whose value depends on the order of receipts and sales (FIFO, AVCO).
        self.order_sensitive = {(pid, company) for pid, company, _method
                                in sql.load_cost_methods(cur)}
        for barcode, pid, qty in sql.load_packagings(cur):
            if pid in products:
                for form in _gtin_forms(barcode):
                    barcodes.setdefault(form, (pid, float(qty)))
        self.products, self.barcodes = products, barcodes

    def _load_devices(self, cur) -> None:
        self._versions["devices"] = sql.devices_version(cur)
        self.devices = {token_hash: self._device_from_row(row)
                        for token_hash, *row in sql.load_devices(cur)}
        self._misses = {}

    @staticmethod
    def _device_from_row(row) -> Device | None:
        if row is None:
            return None
        (device_id, name, kind, warehouse, location, company, active, *flags, rfid_role,
         antenna_zones, training) = row
        allowed = frozenset(op for op, flag in zip(OPERATIONS, flags, strict=True) if flag)
        return Device(device_id, name, kind, warehouse, location, company, bool(active), allowed,
                      rfid_role, parse_antenna_zones(antenna_zones), bool(training))

    # ------------------------------------------------------------------ lookups
    def device_for_token(self, token: str) -> Device | None:
        token_hash = hash_token(token)
        device = self.devices.get(token_hash)
        if device is not None:
            return device
        missed_at = self._misses.get(token_hash)
        if missed_at is not None and time.monotonic() - missed_at < self.poll_s:
            return None
        with self._lock, self._cursor() as cur:
            device = self._device_from_row(sql.device_by_token_hash(cur, token_hash))
        if device is None:
            if len(self._misses) > 10000:
                self._misses.clear()
            self._misses[token_hash] = time.monotonic()
        else:
            self.devices = {**self.devices, token_hash: device}
        return device

    def device_by_name(self, name: str) -> Device | None:
        """A device with a token, by its name (MQTT topics name devices, not tokens)."""
        for device in self.devices.values():
            if device is not None and device.name == name:
                return device
        return None

    def device_by_id(self, device_id: int) -> Device | None:
        for device in self.devices.values():
            if device is not None and device.id == device_id:
                return device
        return None

    # ------------------------------------------------------------------ refresh
    def refresh_once(self) -> None:
        with self._lock, self._cursor() as cur:
            if sql.devices_version(cur) != self._versions.get("devices"):
                self._load_devices(cur)
                _logger.info("device registry reloaded (%d devices)", len(self.devices))
            if sql.catalog_version(cur) != self._versions.get("catalog"):
                self._load_catalog(cur)
                _logger.info("catalog reloaded (%d products)", len(self.products))

    def _run(self) -> None:
        while not self._stop.wait(self.poll_s):
            try:
                self.refresh_once()
            except psycopg2.Error as exc:
                _logger.warning("reference refresh failed, retrying: %s", exc)
                if self._connection is not None:
                    self._connection.close()

    def start(self) -> ReferenceData:
        self._thread = threading.Thread(target=self._run, name="rtstock-reference", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
        if self._connection is not None:
            self._connection.close()


def parse_antenna_zones(text: str | None) -> tuple[tuple[int, str], ...]:
    """(antenna, zone) pairs of a device's ``rfid_antenna_zones`` ('1,2;3-4': zones '1,2'
    and '3-4'). Odoo refuses a malformed value when it is typed (``rrs.device``); a group
    that is not one here (a value written around Odoo) is left out, and its antennas stay
    in the reader's own zone."""
    pairs: list[tuple[int, str]] = []
    seen: set[int] = set()
    for group in (text or "").split(";"):
        antennas: set[int] = set()
        for part in group.split(","):
            bounds = [bound.strip() for bound in part.split("-")]
            if len(bounds) > 2 or not all(bound.isdigit() for bound in bounds):
                antennas = set()
                break
            first, last = int(bounds[0]), int(bounds[-1])
            if not 1 <= first <= last <= MAX_ANTENNA:
                antennas = set()
                break
            antennas.update(range(first, last + 1))
        if antennas and not antennas & seen:
            seen |= antennas
            pairs += [(antenna, group.strip()) for antenna in sorted(antennas)]
    return tuple(pairs)
