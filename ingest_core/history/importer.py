"""``rtstock history import``: a real year of sales into an Odoo database, as the fast path
would have written it.

What it is: the loader of the past. It turns the invoice lines of
``dataset.read`` into the rows the ingest writes for live reads (``rrs_event``,
the store's ``stock_quant``) and lets the journal make Odoo's done moves,
pickings and scraps from them, dated as the invoices. Every later figure
(analysis, forecasts, alerts) is then computed from genuine Odoo rows.

How it works (the rules are ``docs/decisions/history-import.md``):

1. the whole file is read and checked first; a damaged line stops the import
   before anything is written;
2. products are matched by ``default_code`` = stock code, or created as a copy
   of the database's first storable untracked product (so every column Odoo
   requires has Odoo's own value) named by the code's most frequent
   description, priced at its most frequent unit price;
3. each line goes to one store, by customer (or invoice when the customer is
   unknown): ``crc32(key) mod stores``, stores being every warehouse but each
   company's first (its distribution centre), in id order, or those named;
4. stock arrives by rule, since the file has none: an opening receipt per
   product and store the day before its first sale, of its busiest week's net
   demand, then every Monday a receipt of the previous week's net demand;
5. day by day, in one transaction per day: events (keys ``h:<invoice>:<code>:<n>``,
   one inactive ``history-<store>`` device per store), the store quants; then
   the journal's runs, whose moves, lines, pickings and scraps get their
   events' time (the journal dates its moves "now").

Re-running changes nothing: every key is known, so every read is a duplicate.

Caveats: invoice times are the shop's (Europe/London) and stored in UTC, as
Odoo stores datetimes; costs are not in the file (``COST_SHARE`` of the list
price is assumed).
"""

from __future__ import annotations

import math
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg2

from ingest_core.commit import quants
from ingest_core.commit.journal import Journal
from ingest_core.history.dataset import CREDIT, InvoiceLine, movement_of, read, skip_reason
from ingest_core.odoo import history as odoo_history
from ingest_core.odoo import sql
from ingest_core.resolve.devices import provision
from ingest_core.resolve.operations import route
from ingest_core.resolve.reference import ReferenceData

SHOP_TIME = ZoneInfo("Europe/London")
#: The file has sale prices only; a product's cost is taken as this share of its list price.
COST_SHARE = 0.6
RECEIPT_TIME = time(7, 0)  # deliveries arrive before the shop opens


@dataclass(frozen=True, slots=True)
class Movement:
    key: str
    at: datetime  # naive UTC
    code: str  # stock code
    store: int  # index into the stores
    operation: str  # sale, return, scrap, receipt
    quantity: float


@dataclass
class Plan:
    """What the file says, before any database is touched."""

    lines: int = 0
    skipped: Counter = field(default_factory=Counter)
    by_operation: Counter = field(default_factory=Counter)
    products: dict[str, tuple[str, float]] = field(default_factory=dict)  # code -> name, price
    movements: list[Movement] = field(default_factory=list)


@dataclass
class Report:
    plan: Plan
    stores: list[str]
    products_matched: int = 0
    products_created: int = 0
    events_written: int = 0
    events_known: int = 0
    moves_written: int = 0
    days: int = 0

    def as_dict(self) -> dict:
        return {"lines_read": self.plan.lines, "skipped": dict(sorted(self.plan.skipped.items())),
                "skipped_total": sum(self.plan.skipped.values()),
                "lines_by_operation": dict(sorted(self.plan.by_operation.items())),
                "products": len(self.plan.products), "products_matched": self.products_matched,
                "products_created": self.products_created, "stores": self.stores,
                "movements": len(self.plan.movements), "events_written": self.events_written,
                "events_already_there": self.events_known, "moves_written": self.moves_written,
                "days": self.days, "source": CREDIT}


def store_of(line: InvoiceLine, stores: int) -> int:
    """The store a line was sold in: a customer shops at one store; unknown customers by
    invoice (a basket stays together)."""
    key = line.customer or line.invoice.lstrip("C")
    return zlib.crc32(key.encode()) % stores


def plan(path: Path, stores: int, shift_days: int = 0) -> Plan:
    """Read and check the whole file; the movements it stands for, in time order."""
    result = Plan()
    descriptions: dict[str, Counter] = defaultdict(Counter)
    prices: dict[str, Counter] = defaultdict(Counter)
    occurrences: Counter = Counter()
    demand: dict[tuple[int, str], Counter] = defaultdict(Counter)  # (store, code) -> week
    first_sale: dict[tuple[int, str], date] = {}
    shift = timedelta(days=shift_days)
    for line in read(path):
        result.lines += 1
        if reason := skip_reason(line):
            result.skipped[reason] += 1
            continue
        operation = movement_of(line)
        result.by_operation[operation] += 1
        if line.description:
            descriptions[line.code][line.description] += 1
        if operation == "sale" and line.price > 0:
            prices[line.code][line.price] += 1
        occurrences[(line.invoice, line.code)] += 1
        store = store_of(line, stores)
        local = line.at + shift
        result.movements.append(Movement(
            f"h:{line.invoice}:{line.code}:{occurrences[(line.invoice, line.code)]}",
            _utc(local), line.code, store, operation, float(abs(line.quantity))))
        # net demand: what left the shelf (sales, write-offs) less what came back (returns)
        units = abs(line.quantity)
        demand[(store, line.code)][_monday(local.date())] += (
            -units if operation == "return" else units)
        first_sale.setdefault((store, line.code), local.date())
    for code in {m.code for m in result.movements}:  # every code that moves goods
        name = descriptions[code].most_common(1)[0][0] if descriptions[code] else code
        price = max(prices[code].items(), key=lambda item: (item[1], item[0]))[0] \
            if prices[code] else 0.0
        result.products[code] = (name, price)
    result.movements += _receipts(demand, first_sale)
    result.movements.sort(key=lambda m: (m.at, m.key))
    return result


def _receipts(demand, first_sale) -> list[Movement]:
    """Opening stock and weekly replenishment (the rule in the module's docstring)."""
    receipts = []
    for (store, code), weeks in demand.items():
        target = max(1, math.ceil(max(weeks.values())))
        opening = datetime.combine(first_sale[(store, code)] - timedelta(days=1), RECEIPT_TIME)
        receipts.append(Movement(f"h:open:{code}", _utc(opening), code, store, "receipt",
                                 float(target)))
        for monday, net in sorted(weeks.items()):
            if net > 0:
                delivery = datetime.combine(monday + timedelta(days=7), RECEIPT_TIME)
                receipts.append(Movement(f"h:rcpt:{monday.isoformat()}:{code}", _utc(delivery),
                                         code, store, "receipt", float(net)))
    return receipts


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _utc(local: datetime) -> datetime:
    return local.replace(tzinfo=SHOP_TIME).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def shift_to(path: Path, last_day: date) -> int:
    """Days to add so that the file's last invoice day becomes ``last_day``."""
    latest = max(line.at.date() for line in read(path))
    return (last_day - latest).days


# ------------------------------------------------------------------ database


def run(dsn: str, path: Path, shift_days: int = 0, user_id: int = 1,
        progress: Callable[[int, int], None] | None = None,
        stores: list[str] | None = None) -> Report:
    """Import ``path`` into ``dsn`` (idempotent); ``progress(done_days, days)``; ``stores``:
    warehouse codes (default: ``_stores``)."""
    connection = psycopg2.connect(dsn)
    try:
        stores = _stores(connection, stores)
        if not stores:
            raise ValueError("the database has no warehouse to sell from")
        work = plan(path, len(stores), shift_days)
        report = Report(work, [code for _id, code, _loc, _company in stores])
        product_ids = _products(connection, work, report, user_id)
        devices = _devices(dsn, connection, stores)
    finally:
        connection.close()
    reference = ReferenceData(dsn)
    try:
        _write(dsn, reference, work, report, stores, product_ids, devices, user_id, progress)
    finally:
        reference.stop()
    return report


def _stores(connection, codes: list[str] | None = None) -> list[tuple[int, str, int, int]]:
    with connection.cursor() as cur:
        found = odoo_history.stores(cur, codes)
    connection.commit()
    if codes and len(found) != len(set(codes)):
        missing = sorted(set(codes) - {code for _id, code, _loc, _company in found})
        raise ValueError(f"no active warehouse with code {', '.join(missing)}")
    return found


def _products(connection, work: Plan, report: Report, user_id: int) -> dict[str, int]:
    """Stock code -> product id; missing products created (``odoo_history.copy_products``)."""
    with connection.cursor() as cur:
        found = odoo_history.products_by_code(cur, sorted(work.products))
        report.products_matched = len(found)
        missing = sorted(set(work.products) - set(found))
        if missing:
            found.update(odoo_history.copy_products(
                cur, missing, [work.products[c][0] for c in missing],
                [work.products[c][1] for c in missing], COST_SHARE, user_id))
        report.products_created = len(missing)
    connection.commit()
    return found


def _devices(dsn: str, connection, stores) -> list[int]:
    """The inactive ``history-<store>`` device of each store (created once)."""
    ids = []
    for warehouse, code, location, company in stores:
        with connection.cursor() as cur:
            device = odoo_history.device_by_name(cur, f"history-{code}", warehouse)
        connection.commit()
        if device is None:
            device = provision(dsn, name=f"history-{code}", warehouse_id=warehouse,
                               location_id=location, kind="scanner", active=False,
                               company_id=company)[0]
        ids.append(device)
    return ids


def _write(dsn, reference: ReferenceData, work: Plan, report: Report, stores, product_ids,
           devices, user_id, progress) -> None:
    days: dict[date, list[Movement]] = defaultdict(list)
    for movement in work.movements:
        days[movement.at.date()].append(movement)
    report.days = len(days)
    journal = Journal(dsn, reference, user_id=user_id)
    known = quants.QuantIds()
    connection = psycopg2.connect(dsn, application_name="rtstock history")
    try:
        for done, (_day, movements) in enumerate(sorted(days.items()), start=1):
            event_ids = _write_day(connection, reference, movements, stores, product_ids,
                                   devices, known, user_id, report)
            while journal.run_once():
                pass
            report.moves_written += _date_moves(connection, event_ids)
            if progress:
                progress(done, len(days))
    finally:
        connection.close()


def _write_day(connection, reference: ReferenceData, movements: list[Movement], stores,
               product_ids, devices, known, user_id, report) -> list[int]:
    """One day's events and store quants, in one transaction (as one writer group)."""
    rows: list[sql.EventRow] = []
    for movement in movements:
        warehouse_id, _code, location, _company = stores[movement.store]
        warehouse = reference.warehouses[warehouse_id]
        way = route(movement.operation, location, warehouse,
                    reference.places[warehouse.company_id])
        rows.append(sql.EventRow(
            devices[movement.store], movement.key, movement.at.isoformat(), movement.operation,
            movement.code, product_ids[movement.code], None, movement.quantity,
            way.location_id, way.location_dest_id, way.picking_type_id, warehouse_id,
            warehouse.company_id))
    deltas: dict[sql.QuantKey, float] = defaultdict(float)
    with connection.cursor() as cur:
        ids = sql.insert_events(cur, rows, user_id)
        applied = []
        for row, event_id in zip(rows, ids, strict=True):
            if event_id is None:
                report.events_known += 1
                continue
            applied.append(event_id)
            quants.add_stock_deltas(deltas, row, reference.virtual_locations)
        if deltas:
            locked = quants.lock(cur, known, list(deltas))
            quants.apply(cur, locked, known, deltas, reference.company_of_location,
                         reference.inventory_date_of_location, user_id)
    connection.commit()
    report.events_written += len(applied)
    return applied


def _date_moves(connection, event_ids: list[int]) -> int:
    """The moves of ``event_ids`` get their events' time (the journal dated them "now")."""
    with connection.cursor() as cur:
        moves = odoo_history.date_moves_as_events(cur, event_ids)
    connection.commit()
    return moves


def table(result: dict) -> str:
    """The import's counts, readable."""
    lines = [f"source: {result['source']}",
             f"lines read {result['lines_read']:,}; skipped {result['skipped_total']:,}: "
             + ", ".join(f"{reason} {n:,}" for reason, n in result["skipped"].items()),
             "lines imported: " + ", ".join(
                 f"{operation} {n:,}" for operation, n in result["lines_by_operation"].items()),
             f"products {result['products']:,} (matched {result['products_matched']:,}, "
             f"created {result['products_created']:,}); stores {', '.join(result['stores'])}",
             f"movements {result['movements']:,} (with the rule's receipts) over "
             f"{result['days']} days: events written {result['events_written']:,}, already "
             f"there {result['events_already_there']:,}; done moves {result['moves_written']:,}"]
    return "\n".join(lines)
