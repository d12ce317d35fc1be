"""Group-commit writer: many requests' reads, one transaction, answered after commit.

What it is: the commit stage. Requests hand ``PreparedBatch``es to
``GroupCommitWriter.submit``; a worker thread takes everything waiting
(bounded by ``batch_max_reads`` and ``batch_max_wait_ms``), commits it in one
transaction and then completes each request's future with per-read fates.
While one transaction commits, the next group accumulates, and with
``threads`` > 1 another worker writes it on its own connection meanwhile
(their locks are taken in the same global order, so they wait for each other
on hot quants but never deadlock; a lost race is retried).

How it works, in one transaction per group:
1. lots named by reads are found or created (advisory lock per lot);
2. event rows are inserted with ``ON CONFLICT (device_id, read_key) DO
   NOTHING``: a row comes back only for a read applied now, so a replayed
   read is a ``duplicate`` and moves nothing;
3. quant deltas of the applied reads are aggregated per (product, location,
   lot) for the stock (internal, transit) side of each movement, locked in
   one global order and applied (``quants``: the quant of each key is
   remembered, so this is by id); the virtual side moves with the done move
   (``docs/decisions/virtual-quants.md``);
4. ``count`` reads are resolved under the same locks: the difference between
   the counted and the on-hand quantity becomes the event's movement;
5. rejected reads go to the quarantine; a ``bus.bus`` message per store
   carries the new quantities; commit; the requests are answered and
   ``bus_wakeup`` wakes Odoo's bus (``pg_notify('imbus')``) beside the writer.
Serialization failures and deadlocks roll back and retry the whole group;
they are never returned. Done moves are written by ``journal.Journal``.

Caveats: inside one group, counts are applied after the other operations.
A request is failed (HTTP 503, the device resends) only when its group
cannot commit after all retries, and then alone, so one bad request cannot
block the others.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import psycopg2
import psycopg2.errors

from ingest_core import metrics
from ingest_core.commit import quants
from ingest_core.commit.bus_wakeup import BusWakeUp
from ingest_core.commit.pacing import JournalPacer
from ingest_core.db.connection import Connection
from ingest_core.odoo import sql
from ingest_core.resolve.operations import count_route
from ingest_core.resolve.pipeline import PreparedBatch, ResolvedRead
from ingest_core.resolve.reference import ReferenceData

_logger = logging.getLogger(__name__)

RETRYABLE = (psycopg2.errors.SerializationFailure, psycopg2.errors.DeadlockDetected,
             psycopg2.errors.LockNotAvailable, quants.StaleQuant)
MAX_ATTEMPTS = 20


@dataclass(slots=True)
class ReadFate:
    status: str  # applied | duplicate | rejected | training (logged, not applied)
    event_id: int | None = None
    reason_code: str | None = None
    reason: str | None = None


@dataclass
class _Pending:
    batch: PreparedBatch
    done: Callable[[list[ReadFate] | BaseException], None]
    enqueued: float = field(default_factory=time.monotonic)


class Overloaded(RuntimeError):
    """More reads are waiting than ``queue_max_reads``: answer 503 + Retry-After."""


class GroupCommitWriter:
    def __init__(self, dsn: str, reference: ReferenceData, *, batch_max_reads: int = 5000,
                 batch_max_wait_ms: float = 5.0, queue_max_reads: int = 200_000,
                 user_id: int = 1, notify_dsn: str | None = None, threads: int = 1,
                 pacer: JournalPacer | None = None) -> None:
        self.reference = reference
        self.pacer = pacer
        self.threads = max(1, threads)
        self.batch_max_reads = batch_max_reads
        self.batch_max_wait = batch_max_wait_ms / 1000.0
        self.queue_max_reads = queue_max_reads
        self.user_id = user_id
        self._queue: deque[_Pending] = deque()
        self._queued_reads = 0
        self._cond = threading.Condition()
        self._stopping = False
        self._workers: list[threading.Thread] = []
        self._dsn = dsn
        self._bus = BusWakeUp(notify_dsn or dsn)
        self._local = threading.local()  # each worker thread has its own connections
        self._connections: list[Connection] = []
        self._quant_ids = quants.QuantIds()
        self._seen_lock = threading.Lock()
        self._seen_devices: set[int] = set()
        #: Reads per (device, UTC day) and fate since the last flush (device health).
        self._device_fates: Counter[tuple[int, date, str]] = Counter()
        self._count_devices = True
        self._last_seen_flush = 0.0
        self._fallback_causes: set[str] = set()

    # ------------------------------------------------------------------ API
    @property
    def _db(self) -> Connection:
        """This thread's connection for the group transactions."""
        connection = getattr(self._local, "db", None)
        if connection is None:
            connection = self._local.db = Connection(self._dsn, name="rtstock writer")
            self._connections.append(connection)
        return connection

    @property
    def queued_reads(self) -> int:
        return self._queued_reads

    def submit(self, batch: PreparedBatch,
               done: Callable[[list[ReadFate] | BaseException], None]) -> None:
        with self._cond:
            if self._stopping:
                raise Overloaded("ingest is stopping")
            if self._queued_reads + batch.size > self.queue_max_reads:
                raise Overloaded(f"{self._queued_reads} reads waiting for commit")
            self._queue.append(_Pending(batch, done))
            self._queued_reads += batch.size
            metrics.QUEUE_DEPTH.set(self._queued_reads)
            self._cond.notify()

    async def commit(self, batch: PreparedBatch) -> list[ReadFate]:
        """Submit from asyncio and wait for the commit."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future = loop.create_future()

        def done(result):
            loop.call_soon_threadsafe(_settle, future, result)

        self.submit(batch, done)
        return await future

    def start(self) -> GroupCommitWriter:
        """Start the worker threads: while one group commits (and waits for the disk), the
        next is already being written on another connection."""
        self._workers = [threading.Thread(target=self._run, name=f"rtstock-writer-{n}",
                                          daemon=True) for n in range(self.threads)]
        for worker in self._workers:
            worker.start()
        self._bus.start()
        if self.pacer is not None:
            self.pacer.start()
        return self

    @property
    def quant_ids(self) -> quants.QuantIds:
        """The writer's memory of which quant each key writes to (``/metrics`` reads it)."""
        return self._quant_ids

    def stop(self, timeout: float = 30.0) -> None:
        """Finish what is queued, then stop."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self.pacer is not None:
            self.pacer.stop()  # drain at full speed
        for worker in self._workers:
            worker.join(timeout)
        self._flush_last_seen(force=True)
        self._bus.stop()
        for connection in self._connections:
            connection.reset()

    # ------------------------------------------------------------------ loop
    def _run(self) -> None:
        backoff = 0.05
        last_reads = 0
        while True:
            if self.pacer is not None and (
                    pause := self.pacer.pause_before(last_reads, self.batch_max_reads)):
                time.sleep(pause)
            group = self._take_group()
            if group is None:
                return
            last_reads = sum(pending.batch.size for pending in group)
            try:
                self._commit_group(group)
                backoff = 0.05
            except Exception as exc:  # noqa: BLE001 - counted, logged once per cause
                self._report_fallback(exc, group)
                self._db.reset()
                time.sleep(backoff)
                backoff = min(backoff * 2, 2.0)
                self._commit_alone(group, exc)

    def _take_group(self) -> list[_Pending] | None:
        with self._cond:
            while not self._queue:
                if self._stopping:
                    return None
                self._cond.wait(0.5)
            first_at = self._queue[0].enqueued
            deadline = first_at + self.batch_max_wait
            while (self._queued_reads < self.batch_max_reads and not self._stopping
                   and time.monotonic() < deadline):
                self._cond.wait(max(deadline - time.monotonic(), 0.0005))
            group, reads = [], 0
            while self._queue and (not group or reads + self._queue[0].batch.size
                                   <= self.batch_max_reads):
                pending = self._queue.popleft()
                group.append(pending)
                reads += pending.batch.size
            self._queued_reads -= reads
            metrics.QUEUE_DEPTH.set(self._queued_reads)
            return group

    def _report_fallback(self, exc: Exception, group: list[_Pending]) -> None:
        """Count the fallback by cause; log each cause once, with its traceback.

        A cause is the exception's type and the line that raised it: a fault that
        hits every group (as mixed groups once did) is one log entry and a rising
        counter, not a log line per group that buries everything else.
        """
        cause = fallback_cause(exc)
        metrics.GROUP_FALLBACKS.labels(cause).inc()
        with self._seen_lock:
            first = cause not in self._fallback_causes
            self._fallback_causes.add(cause)
        if first:
            _logger.error("group commit failed (%s, %d requests, %d reads); retrying its "
                          "requests one by one; later failures of this cause are only counted "
                          "(rtstock_group_fallbacks_total)", cause, len(group),
                          sum(pending.batch.size for pending in group), exc_info=exc)

    def _commit_alone(self, group: list[_Pending], first_error: BaseException) -> None:
        for pending in group:
            try:
                self._commit_group([pending])
            except Exception as exc:  # noqa: BLE001 - reported to that request alone
                _logger.error("request of device %s failed to commit: %s",
                              pending.batch.device.id, exc)
                self._db.reset()
                pending.done(exc)


    def _commit_group(self, group: list[_Pending]) -> None:
        started = time.perf_counter()
        for attempt in range(1, MAX_ATTEMPTS + 1):
            cur = self._db.cursor()
            try:
                fates, channels = self._gated_transaction(cur, group)
                self._db.commit()
                break
            except RETRYABLE as exc:
                self._db.rollback()
                metrics.RETRIES.labels(type(exc).__name__).inc()
                time.sleep(min(0.002 * attempt * attempt, 0.5))
            finally:
                cur.close()
        else:
            raise RuntimeError(f"group still conflicting after {MAX_ATTEMPTS} attempts")
        self._after_commit(group, fates, channels, time.perf_counter() - started)

    def _after_commit(self, group, fates, channels, elapsed: float) -> None:
        reads = sum(p.batch.size for p in group)
        metrics.COMMIT_SECONDS.observe(elapsed)
        metrics.BATCHES.inc()
        metrics.BATCH_READS.observe(reads)
        for pending, request_fates in zip(group, fates, strict=True):
            pending.done(request_fates)
        self._bus.wake(channels)
        statuses: Counter[str] = Counter()
        reasons: Counter[str] = Counter()
        for request_fates in fates:
            for fate in request_fates:
                statuses[fate.status] += 1
                if fate.reason_code:
                    reasons[fate.reason_code] += 1
        for status, count in statuses.items():
            metrics.READS.labels(status).inc(count)
        for reason, count in reasons.items():
            metrics.REJECTS.labels(reason).inc(count)
        today = datetime.now(UTC).date()
        with self._seen_lock:
            self._seen_devices.update(pending.batch.device.id for pending in group)
            for pending, request_fates in zip(group, fates, strict=True):
                device = pending.batch.device.id
                for fate in request_fates:
                    self._device_fates[(device, today, fate.status)] += 1
        self._flush_last_seen()

    def _flush_last_seen(self, force: bool = False) -> None:
        """``last_seen`` and the devices' daily read counts in their own short
        transaction every few seconds, not in the hot one. Counts that could not be
        written are kept for the next flush; a crash loses at most these seconds of
        them (health figures, not stock)."""
        with self._seen_lock:
            now = time.monotonic()
            if not force and (now - self._last_seen_flush < 5 or not self._seen_devices):
                return
            self._last_seen_flush = now
            seen, self._seen_devices = sorted(self._seen_devices), set()
            fates, self._device_fates = self._device_fates, Counter()
        try:
            with self._db.cursor() as cur:
                if seen:
                    sql.touch_devices(cur, seen)
                if fates and self._count_devices:
                    sql.add_device_daily(cur, fates)
            self._db.commit()
        except psycopg2.errors.UndefinedTable:
            _logger.warning("no rrs_device_daily table (add-on older than 18.0.1.8.0): the "
                            "devices' daily read counts are not kept")
            self._db.rollback()
            self._count_devices = False
        except psycopg2.Error as exc:
            _logger.warning("could not record last_seen and device counts: %s", exc)
            self._db.rollback()
            with self._seen_lock:
                self._device_fates.update(fates)

    # ------------------------------------------------------------------ transaction
    def _transaction(self, cur, group: list[_Pending]):
        reference = self.reference
        user = self.user_id
        lot_ids = sql.find_or_create_lots(cur, [
            (read.product_id, read.lot_name, pending.batch.device.company_id)
            for pending in group if not pending.batch.device.training
            for read in pending.batch.reads if read.lot_name], user)
        moving: list[tuple[int, ResolvedRead]] = []
        counting: list[tuple[int, ResolvedRead]] = []
        training: list[tuple[int, ResolvedRead]] = []
        for number, pending in enumerate(group):
            if pending.batch.device.training:
                training.extend((number, read) for read in pending.batch.reads)
                continue
            for read in pending.batch.reads:
                (counting if read.route is None else moving).append((number, read))
        fates: list[dict[int, ReadFate]] = [{} for _ in group]
        deltas: dict[sql.QuantKey, float] = defaultdict(float)
        event_rows = [self._event_row(group[n].batch, read, read.route, read.quantity, lot_ids)
                      for n, read in moving]
        counted_keys = [(read.product_id, read.location_id, _lot(read, lot_ids))
                        for _n, read in counting]
        virtual = reference.virtual_locations
        for (number, read), row, event_id in zip(
                moving, event_rows, sql.insert_events(cur, event_rows, user), strict=True):
            fates[number][read.index] = _fate(event_id)
            if event_id is not None:
                quants.add_stock_deltas(deltas, row, virtual)
        locked = quants.lock(cur, self._quant_ids, [key for key, delta in deltas.items() if delta],
                             also_advisory=counted_keys, rows=bool(counting))
        company_of = reference.company_of_location
        inventory_dates = reference.inventory_date_of_location
        new_quantities = quants.apply(cur, locked, self._quant_ids, deltas, company_of,
                                      inventory_dates, user)
        if counting:
            new_quantities.update(self._apply_counts(cur, group, counting, counted_keys, lot_ids,
                                                     fates, locked, company_of,
                                                     inventory_dates))
        quarantine = [(pending.batch.device.id, rejection.key, rejection.raw,
                       rejection.reason_code, rejection.reason)
                      for pending in group if pending.batch.quarantine
                      for rejection in pending.batch.rejections]
        sql.insert_quarantine(cur, quarantine, user)
        messages = self._bus_messages(new_quantities)
        if training:
            messages += self._log_training(cur, group, training, fates)
        channels = sql.insert_bus_messages(cur, self._db.dbname, messages, user)
        return [self._request_fates(pending.batch, fates[n]) for n, pending in
                enumerate(group)], channels

    # ------------------------------------------------------------------ RFID EPC movements
    def _gated_transaction(self, cur, group: list[_Pending]):
        """``_transaction``, after admitting each RFID movement by its EPC's state.

        EPCs are locked in one global order (before any quant lock, in every
        writer); a movement whose EPC is not in one of its ``allowed_from``
        states is answered ``duplicate`` (``epc_state``) and moves nothing; the
        applied ones move their EPC to its new state in the same transaction.
        A neighbouring reader or a replay therefore never moves a tag twice.
        """
        gated = [pending for pending in group
                 if pending.batch.epc_transitions and not pending.batch.device.training]
        if not gated:  # scans, counts and training readers: no EPC gates them
            return self._transaction(cur, group)
        epcs = [t.epc for pending in gated for t in pending.batch.epc_transitions]
        sql.lock_epcs(cur, epcs)
        states: dict[str, str | None] = dict(sql.epc_states(cur, epcs))
        admitted, stopped = [], []
        for pending in group:
            batch, blocked = pending.batch, {}
            if batch.epc_transitions is not None and not batch.device.training:
                reads = []
                for read, transition in zip(batch.reads, batch.epc_transitions, strict=True):
                    state = states.get(transition.epc)
                    if state in transition.allowed_from:
                        reads.append(read)
                        states[transition.epc] = transition.state
                    else:
                        blocked[read.index] = ReadFate("duplicate", None, "epc_state",
                                                       f"EPC {transition.epc} is {state}")
                batch = dataclasses.replace(batch, reads=reads)
            admitted.append(_Pending(batch, pending.done, pending.enqueued))
            stopped.append(blocked)
        fates, channels = self._transaction(cur, admitted)
        rows: dict[str, sql.EpcStateRow] = {}  # the last transition of an EPC wins
        for pending, request_fates, blocked in zip(group, fates, stopped, strict=True):
            for index, fate in blocked.items():
                request_fates[index] = fate
            if pending.batch.epc_transitions is None:
                continue
            for read, transition in zip(pending.batch.reads, pending.batch.epc_transitions,
                                        strict=True):
                if request_fates[read.index].status == "applied":
                    rows[transition.epc] = sql.EpcStateRow(
                        transition.epc, read.product_id, None, transition.state,
                        transition.location_id, read.read_at.isoformat(),
                        pending.batch.device.id)
        sql.upsert_epc_states(cur, list(rows.values()), self.user_id)
        return fates, channels

    def _apply_counts(self, cur, group, counting, counted_keys, lot_ids, fates, locked,
                      company_of, inventory_dates) -> dict[sql.QuantKey, float]:
        on_hand = sql.quant_totals(cur, counted_keys)
        # A count that is a repeat (resent, or twice in this group) must not become the
        # on-hand the next count of its quant is compared with: it is answered duplicate
        # here and never inserted.
        repeats = sql.recorded_read_keys(cur, [(group[number].batch.device.id, read.key)
                                               for number, read in counting])
        counted, rows = [], []
        for (number, read), key in zip(counting, counted_keys, strict=True):
            device = group[number].batch.device
            if (device.id, read.key) in repeats:
                fates[number][read.index] = ReadFate("duplicate")
                continue
            repeats.add((device.id, read.key))
            difference = read.quantity - on_hand.get(key, 0.0)
            movement = count_route(difference, read.location_id,
                                   self.reference.places[device.company_id])
            rows.append(self._event_row(group[number].batch, read, movement, abs(difference),
                                        lot_ids))
            counted.append((number, read))
            on_hand[key] = read.quantity
        deltas: dict[sql.QuantKey, float] = defaultdict(float)
        virtual = self.reference.virtual_locations
        for (number, read), row, event_id in zip(
                counted, rows, sql.insert_events(cur, rows, self.user_id), strict=True):
            fates[number][read.index] = _fate(event_id)
            if event_id is not None and row.quantity:
                quants.add_stock_deltas(deltas, row, virtual)
        return quants.apply(cur, locked, self._quant_ids, deltas, company_of, inventory_dates,
                            self.user_id)

    def _event_row(self, batch: PreparedBatch, read: ResolvedRead, movement, quantity: float,
                   lot_ids) -> sql.EventRow:
        device = batch.device
        return sql.EventRow(
            device.id, read.key, read.read_at.isoformat(), read.operation, read.code,
            read.product_id, _lot(read, lot_ids), quantity, movement.location_id,
            movement.location_dest_id, movement.picking_type_id, device.warehouse_id,
            device.company_id)

    def _log_training(self, cur, group, training, fates) -> list[tuple[str, str, dict]]:
        """Log the reads of devices in training (``sql.insert_training_reads``), answer them
        ``training`` (``duplicate`` when logged before) and tell each store's screens what
        they would have done: their bus messages."""
        rows = [_training_row(group[number].batch.device, read) for number, read in training]
        shown: dict[int, list] = defaultdict(list)
        for (number, read), row, row_id in zip(
                training, rows, sql.insert_training_reads(cur, rows, self.user_id), strict=True):
            fates[number][read.index] = ReadFate("training" if row_id else "duplicate")
            if row_id is not None:
                shown[row.warehouse_id].append([row.device_id, row.product_id, row.operation,
                                                row.quantity, row.location_id])
        return [(f"rrs_stock_{warehouse}", "rrs_stock/training",
                 {"warehouse_id": warehouse, "reads": reads})
                for warehouse, reads in sorted(shown.items())]

    def _bus_messages(self, quantities: dict[sql.QuantKey, float]):
        by_warehouse: dict[int, list] = defaultdict(list)
        locations = self.reference.locations
        for (product, location_id, lot), quantity in quantities.items():
            location = locations.get(location_id)
            if location is not None and location.usage == "internal" and location.warehouse_id:
                by_warehouse[location.warehouse_id].append([product, location_id, lot, quantity])
        return [(f"rrs_stock_{warehouse}", "rrs_stock/quants", {"warehouse_id": warehouse,
                                                                "quants": rows})
                for warehouse, rows in sorted(by_warehouse.items())]

    @staticmethod
    def _request_fates(batch: PreparedBatch, applied: dict[int, ReadFate]) -> list[ReadFate]:
        fates: list[ReadFate | None] = [None] * batch.size
        for index, fate in applied.items():
            fates[index] = fate
        for rejection in batch.rejections:
            fates[rejection.index] = ReadFate("rejected", None, rejection.reason_code,
                                              rejection.reason)
        for index, _key in batch.duplicates_in_request:
            fates[index] = ReadFate("duplicate")
        return [fate or ReadFate("rejected", None, "internal", "read was not processed")
                for fate in fates]


def fallback_cause(exc: BaseException) -> str:
    """``Type at file:line`` of the innermost frame that raised ``exc`` (a metric label)."""
    frame = None
    traceback = exc.__traceback__
    while traceback is not None:
        frame, traceback = traceback, traceback.tb_next
    if frame is None:
        return type(exc).__name__
    path = frame.tb_frame.f_code.co_filename.rsplit("/", 1)[-1]
    return f"{type(exc).__name__} at {path}:{frame.tb_lineno}"


def _training_row(device, read: ResolvedRead) -> sql.TrainingRow:
    """What a read would have done: its route's locations (a count: the counted one)."""
    route = read.route
    source, destination = ((route.location_id, route.location_dest_id) if route is not None
                           else (read.location_id, read.location_id))
    return sql.TrainingRow(device.id, read.key, read.read_at.isoformat(), read.operation,
                           read.code, read.product_id, read.lot_name, read.quantity, source,
                           destination, device.warehouse_id, device.company_id)


def _lot(read: ResolvedRead, lot_ids) -> int | None:
    return lot_ids[(read.product_id, read.lot_name)] if read.lot_name else None


def _fate(event_id: int | None) -> ReadFate:
    return ReadFate("applied", event_id) if event_id is not None else ReadFate("duplicate")


def _settle(future: asyncio.Future, result) -> None:
    if future.done():
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)
