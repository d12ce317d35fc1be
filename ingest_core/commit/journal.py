"""Journal: committed events become done ``stock.move`` / ``stock.move.line`` rows.

What it is: the stage that makes Odoo's move history agree with the quants
the writer already changed. Every ``journal_interval_ms`` it takes the
committed events that have no move yet (the writer queues each insert of
events as one ``rrs_event_batch`` row) and writes, in one transaction, one
done move + move line per (product, lot, source, destination, picking type,
operation), and links each event to its move (the batch row records the
move of each of its events; the event log itself is never updated).

How it works: a journal takes its turn with a transaction-level advisory lock
(several ingest instances can run journals; one works at a time), takes the
oldest pending events, aggregates them and writes them with the columns
and values Odoo 18's ORM writes for the same movement:
moves with a picking type go into one done picking per (type, source,
destination) named from the type's own ``ir.sequence`` (``S01/OUT/00042``);
scraps get a done ``stock.scrap`` each (``SP/00007``); count differences are
``is_inventory`` moves named "Product Quantity Updated". Closing the batches and
writing moves in one transaction means a crash leaves either both or neither:
nothing is materialised twice or lost. The quants of stock (internal, transit)
locations are the writer's, moved when it acknowledged the reads; the journal
moves those of the virtual locations (customers, vendors, inventory
adjustment, scrap) with the done moves, in the same transaction.

Caveats: moves are written without valuation layers; the add-on's
valuation job completes them through Odoo's own ``stock_account`` methods.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime

import psycopg2

from ingest_core import metrics
from ingest_core.commit import quants
from ingest_core.db.connection import Connection
from ingest_core.odoo import alerts, sql
from ingest_core.resolve.reference import ReferenceData

_logger = logging.getLogger(__name__)

INVENTORY_NAME = "Product Quantity Updated"
#: A run that meets a quant Odoo merged away forgets it and starts over, this often.
STALE_QUANT_ATTEMPTS = 3


def sequence_name(prefix: str, suffix: str, padding: int, number: int,
                  now: datetime | None = None) -> str:
    """Odoo's ``ir.sequence`` name: interpolated prefix + zero-padded number + suffix."""
    now = now or datetime.now(UTC)
    legend = {
        "year": now.strftime("%Y"), "month": now.strftime("%m"), "day": now.strftime("%d"),
        "y": now.strftime("%y"), "doy": now.strftime("%j"), "woy": now.strftime("%W"),
        "weekday": now.strftime("%w"), "h24": now.strftime("%H"), "h12": now.strftime("%I"),
        "min": now.strftime("%M"), "sec": now.strftime("%S"),
    }
    legend.update({f"range_{k}": v for k, v in list(legend.items())})
    legend.update({f"current_{k}": v for k, v in list(legend.items()) if "_" not in k})
    return (prefix % legend if "%(" in prefix else prefix) + str(number).zfill(padding) + (
        suffix % legend if "%(" in suffix else suffix)


def _direction(source, destination) -> str | None:
    """'in' or 'out' of the company's internal stock (what valuation sees), else None."""
    inside_from = source is not None and source.usage == "internal"
    inside_to = destination is not None and destination.usage == "internal"
    if inside_to and not inside_from:
        return "in"
    if inside_from and not inside_to:
        return "out"
    return None


def wait_drained(dsn: str, timeout: float = 120.0) -> float:
    """Seconds until no committed event waits for the journal; TimeoutError after ``timeout``.

    For benchmarks and tests that watch a running journal from outside.
    """
    import psycopg2

    started = time.monotonic()
    connection = psycopg2.connect(dsn)
    connection.autocommit = True
    try:
        while True:
            with connection.cursor() as cur:
                pending, _age = sql.pending_event_stats(cur)
            if not pending:
                return round(time.monotonic() - started, 1)
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"journal did not drain: {pending} events without a move")
            time.sleep(0.05)
    finally:
        connection.close()


def drain(dsn: str) -> bool:
    """Materialise, in this process, everything pending; True when nothing is left.

    For benchmarks and tests that have no journal running (or have stopped it).
    """
    reference = ReferenceData(dsn)
    journal = Journal(dsn, reference)
    try:
        while journal.run_once():
            pass
        return journal.pending()[0] == 0
    finally:
        journal.stop(drain=False)
        reference.stop()


class Journal:
    def __init__(self, dsn: str, reference: ReferenceData, *, interval_ms: float = 200.0,
                 batch_events: int = 50_000, user_id: int = 1,
                 reference_checks: str = "batched") -> None:
        if reference_checks not in ("batched", "triggers"):
            raise ValueError(f"reference_checks: batched or triggers, not {reference_checks!r}")
        self.reference = reference
        self.reference_checks = reference_checks
        #: (connection it was decided on, the set-wise check or None for the triggers)
        self._references: tuple[object, sql.ReferenceCheck | None] = (None, None)
        self.interval = interval_ms / 1000.0
        self.batch_events = batch_events
        self.user_id = user_id
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._db = Connection(dsn, name="rtstock journal")
        self._sequences: dict[int, tuple] | None = None
        self._quant_ids = quants.QuantIds()
        #: (connection it was decided on, whether the database has the alert functions)
        self._alerting: tuple[object, bool] = (None, False)

    def start(self) -> Journal:
        self._thread = threading.Thread(target=self._run, name="rtstock-journal", daemon=True)
        self._thread.start()
        return self

    def stop(self, drain: bool = True) -> None:
        """Stop; with ``drain``, first materialise everything committed so far."""
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(30)
        if drain:
            while self.run_once():
                pass
        self._db.reset()

    def _run(self) -> None:
        """Runs start every ``interval`` (start to start), not ``interval`` after the last
        one ended: an event waits at most one interval plus one run."""
        backoff = self.interval
        next_start = time.monotonic()
        while not self._stop.is_set():
            next_start = max(next_start + self.interval, time.monotonic())
            try:
                while self.run_once() >= self.batch_events and not self._stop.is_set():
                    pass
                self._update_lag()
                backoff = self.interval
            except Exception:
                _logger.exception("journal run failed; events stay pending and are retried")
                self._db.reset()
                backoff = min(backoff * 2, 5.0)
                next_start = time.monotonic() + backoff
            self._wake.wait(max(next_start - time.monotonic(), 0.0))
            self._wake.clear()

    def _update_lag(self) -> None:
        with self._db.cursor() as cur:
            pending, age = sql.pending_event_stats(cur)
        self._db.rollback()
        metrics.JOURNAL_PENDING.set(pending)
        metrics.JOURNAL_LAG.set(age or 0.0)

    def pending(self) -> tuple[int, float | None]:
        """(events without a move, age of the oldest in seconds)."""
        with self._db.cursor() as cur:
            result = sql.pending_event_stats(cur)
        self._db.rollback()
        return result

    def run_once(self) -> int:
        """Materialise one batch of pending events; returns how many events it took."""
        for attempt in range(1, STALE_QUANT_ATTEMPTS + 1):
            cur = self._db.cursor()
            try:
                pending, batches = (self.claim(cur, self.batch_events)
                                    if sql.begin_journal_run(cur) else ([], {}))
                raised = self._materialise(cur, pending, batches) if batches else []
                self._db.commit()
                self._announce(cur, raised)
                return sum(len(move.event_ids) for move in pending)
            except quants.StaleQuant:
                self._db.rollback()  # the stale ids are forgotten: looked up again
                if attempt == STALE_QUANT_ATTEMPTS:
                    raise
            except BaseException:
                self._db.rollback()
                raise
            finally:
                cur.close()
        raise AssertionError("unreachable")

    def claim(self, cur, limit: int) -> tuple[list[sql.PendingMove], dict[int, list[int]]]:
        """Pending events summed per move key; FIFO / average-cost products' one per event."""
        return sql.claim_pending_events(
            cur, limit, (product for product, _company in self.reference.order_sensitive))

    # ------------------------------------------------------------------ materialise
    def _materialise(self, cur, pending: list[sql.PendingMove],
                     batches: dict[int, list[int]]) -> list[int]:
        """Write the events' moves; returns the alerts this raised or cleared."""
        groups = self._group(pending)
        keys = list(groups)
        move_ids = sql.reserve_ids(cur, "stock_move", len(keys))
        pickings = self._pickings(cur, keys)
        scraps = self._scraps(cur, keys, groups)
        products = self.reference.products
        moves, lot_ids, move_of = [], [], {}
        for key, move_id in zip(keys, move_ids, strict=True):
            product_id, lot_id, source, destination, picking_type, operation, company, _n = key
            quantity = sum(part.quantity for part in groups[key])
            product = products.get(product_id)
            picking = pickings.get((picking_type, source, destination))
            scrap = scraps.get(key)
            if picking:
                name, reference, description = (product.display_name if product else "",
                                                picking[1], product.name if product else None)
            elif scrap:
                name = reference = scrap[1]
                description = None
            else:
                name = reference = INVENTORY_NAME
                description = None
            moves.append({
                "id": move_id, "name": name, "reference": reference,
                "origin": scrap[1] if scrap else None, "description_picking": description,
                "product_id": product_id, "product_uom": product.uom_id if product else 1,
                "location_id": source, "location_dest_id": destination,
                "picking_id": picking[0] if picking else None, "picking_type_id": picking_type,
                "scrap_id": scrap[0] if scrap else None, "scrapped": operation == "scrap",
                "is_inventory": True if operation == "count" else None,
                "company_id": company, "quantity": quantity, "reserve_today": bool(picking),
            })
            lot_ids.append(lot_id)
            for part in groups[key]:
                move_of.update(dict.fromkeys(part.event_ids, move_id))
        sql.insert_done_moves(cur, moves, lot_ids, self.user_id, self._reference_check(cur))
        if self._alerts_available(cur):
            alerts.claim(cur)
        self._virtual_quants(cur, groups)
        virtual = self.reference.virtual_locations
        sql.mark_counted(cur, [location for (_p, _l, source, destination, _t, operation, *_r)
                               in keys if operation == "count"
                               for location in (source, destination) if location not in virtual],
                         self.user_id)
        sql.link_events_to_moves(cur, batches, move_of)
        metrics.JOURNAL_MOVES.inc(len(moves))
        return self._alerts(cur, groups)

    def _reference_check(self, cur) -> sql.ReferenceCheck | None:
        """How this connection checks the done moves' foreign keys: set-wise where the
        database allows it (decided once per connection), else by Odoo's triggers."""
        connection, check = self._references
        if connection is not self._db.raw:
            check = None
            if self.reference_checks == "batched":
                check, why_not = sql.reference_check(cur)
                if check is None:
                    _logger.warning("done moves' foreign keys checked row by row by their "
                                    "triggers (slower): %s", why_not)
            self._references = (self._db.raw, check)
        return check

    def _virtual_quants(self, cur, groups: dict[tuple, list[sql.PendingMove]]) -> None:
        """Move the quants of the moves' virtual locations, as ``_action_done`` does.

        The writer changed the stock locations' quants when it acknowledged the
        reads; the other side (customers, vendors, inventory adjustment, scrap)
        changes here, in the transaction that writes the done moves, so those
        quants always equal their done move lines. Batches written before add-on
        18.0.1.2.0 had both sides moved by the writer (``virtual_by_journal`` null).
        """
        reference = self.reference
        virtual = reference.virtual_locations
        deltas: dict[sql.QuantKey, float] = defaultdict(float)
        for (product, lot, source, destination, *_rest), parts in groups.items():
            quantity = sum(part.virtual_quantity for part in parts)
            if source in virtual:
                deltas[(product, source, lot)] -= quantity
            if destination in virtual:
                deltas[(product, destination, lot)] += quantity
        locked = quants.lock(cur, self._quant_ids, [key for key, delta in deltas.items() if delta])
        quants.apply(cur, locked, self._quant_ids, deltas, reference.company_of_location,
                     reference.inventory_date_of_location, self.user_id)

    def _alerts(self, cur, groups: dict[tuple, list[sql.PendingMove]]) -> list[int]:
        """Raise and clear the stock alerts of the changes the writer made to the stock
        locations' quants for these events (``odoo.alerts``).

        Why here: evaluated in the writer's transaction, the rules and on-hand
        lookups held its quant locks longer and cost the scan benchmark 44 % of
        its throughput; here they run once per journal batch (a product sold a
        hundred times in it is looked up once), after the writer's commit, in the
        transaction that consumes the events: an alert still exists exactly once
        for committed reads, none for a rolled-back group, none twice after a crash.
        """
        if not self._alerts_available(cur):
            return []
        virtual = self.reference.virtual_locations
        deltas: dict[tuple[int, int], float] = defaultdict(float)
        events = [event for parts in groups.values() for part in parts
                  for event in part.event_ids]
        losses: list[int] = []  # the reads of counts that took stock out: shrink among them
        for (product, _lot, source, destination, _type, operation, *_rest), parts in \
                groups.items():
            quantity = sum(part.quantity for part in parts)
            if source not in virtual:
                deltas[(product, source)] -= quantity
                if operation == "count":
                    losses.extend(event for part in parts for event in part.event_ids)
            if destination not in virtual:
                deltas[(product, destination)] += quantity
        if not events:
            return []
        return (alerts.evaluate(cur, deltas, min(events), max(events))
                + alerts.shrink(cur, sql.shrink_reads(cur, losses)))

    def _alerts_available(self, cur) -> bool:
        """Whether this database has the alert functions (asked once per connection)."""
        connection, alerting = self._alerting
        if connection is not self._db.raw:
            alerting = alerts.available(cur)
            self._alerting = (self._db.raw, alerting)
        return alerting

    def _announce(self, cur, raised: list[int]) -> None:
        """The bus messages of the alerts just committed, in a short transaction of their
        own (``alerts.announce``); a failure costs the live update, never the alerts."""
        if not raised:
            return
        try:
            alerts.announce(cur, raised)
            self._db.commit()
        except psycopg2.Error as exc:
            self._db.rollback()
            _logger.warning("alerts %s committed, their bus messages not sent: %s",
                            raised[:10], exc)

    def _group(self, pending: list[sql.PendingMove]) -> dict[tuple, list[sql.PendingMove]]:
        """Aggregate events into moves, keeping each product's value flow in read order.

        Events of one (product, lot, route, picking type, operation) become one
        move (the database has summed them; order-sensitive products' events come
        one per row), except that the events of a FIFO or average-cost product are cut
        into segments wherever its stock changes direction (into the company's
        internal locations, or out of them): its value depends on whether a
        receipt is valued before or after a sale, so the moves of segment n get
        smaller ids than those of segment n + 1, and the valuation step, which
        goes by id, sees them in the order they were read. Standard-cost
        products aggregate freely. Groups come out in the order of their first
        event (rows are claimed in that order).
        """
        locations = self.reference.locations
        order_sensitive = self.reference.order_sensitive
        groups: dict[tuple, list[sql.PendingMove]] = defaultdict(list)
        direction_of: dict[int, str] = {}
        segment_of: dict[int, int] = {}
        for part in pending:
            direction = _direction(locations.get(part.location_id),
                                   locations.get(part.location_dest_id)) if (
                part.product_id, part.company_id) in order_sensitive else None
            product = part.product_id
            if direction and direction_of.get(product, direction) != direction:
                segment_of[product] = segment_of.get(product, 0) + 1
            if direction:
                direction_of[product] = direction
            groups[(product, part.lot_id, part.location_id, part.location_dest_id,
                    part.picking_type_id, part.operation, part.company_id,
                    segment_of.get(product, 0))].append(part)
        return groups

    def _pickings(self, cur, keys) -> dict[tuple, tuple[int, str]]:
        routes = sorted({(k[4], k[2], k[3], k[6]) for k in keys if k[4] is not None})
        if not routes:
            return {}
        if self._sequences is None:
            self._sequences = sql.picking_type_sequences(cur)
        ids = sql.reserve_ids(cur, "stock_picking", len(routes))
        rows, result = [], {}
        for (picking_type, source, destination, company), picking_id in zip(routes, ids,
                                                                              strict=True):
            sequence = self._sequences.get(picking_type)
            if sequence is None:
                name = f"RRS/{picking_id}"
            else:
                sequence_id, implementation, prefix, suffix, padding = sequence
                number = sql.next_sequence_numbers(cur, sequence_id, implementation, 1)[0]
                name = sequence_name(prefix, suffix, padding, number)
            rows.append({"id": picking_id, "name": name, "picking_type_id": picking_type,
                         "location_id": source, "location_dest_id": destination,
                         "company_id": company, "origin": "rtstock"})
            result[(picking_type, source, destination)] = (picking_id, name)
        sql.insert_pickings(cur, rows, self.user_id)
        return result

    def _scraps(self, cur, keys, groups) -> dict[tuple, tuple[int, str]]:
        wanted = [k for k in keys if k[5] == "scrap"]
        if not wanted:
            return {}
        ids = sql.reserve_ids(cur, "stock_scrap", len(wanted))
        rows, result = [], {}
        for key, scrap_id in zip(wanted, ids, strict=True):
            product_id, lot_id, source, destination, _type, _op, company, _n = key
            sequence = sql.sequence_by_code(cur, "stock.scrap", company)
            if sequence is None:
                name = f"SP/RRS{scrap_id}"
            else:
                sequence_id, implementation, prefix, suffix, padding = sequence
                number = sql.next_sequence_numbers(cur, sequence_id, implementation, 1)[0]
                name = sequence_name(prefix, suffix, padding, number)
            product = self.reference.products.get(product_id)
            rows.append({"id": scrap_id, "name": name, "product_id": product_id,
                         "product_uom_id": product.uom_id if product else 1, "lot_id": lot_id,
                         "location_id": source, "scrap_location_id": destination,
                         "scrap_qty": sum(part.quantity for part in groups[key]),
                         "company_id": company})
            result[key] = (scrap_id, name)
        sql.insert_scraps(cur, rows, self.user_id)
        return result
