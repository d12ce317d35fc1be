"""RFID cycle counts: sessions that collect distinct EPCs and end as Odoo counts.

What it is: ``CountStore`` opens a session (API, handheld, or a row the
add-on inserts with ``state = 'open'``), adds the EPCs a ``count`` reader
sees to it, closes it and reports on it. Closing compares, per product (and
lot), the EPCs counted with Odoo's quants at the session's location and
either writes the differences as Odoo's own count (``inventory_quantity``,
``inventory_quantity_set``, ``inventory_diff_quantity``, ``inventory_date``,
``user_id``) so that Odoo's *Apply* works as usual, or, for an auto-apply
session, returns ``count`` reads for the group-commit writer, which moves the
quants exactly as a scanned count does (events, quants, journal moves).

How it works: one connection, used from a worker thread (``asyncio.to_thread``)
under a lock; every call is one short transaction, retried on serialization
failures. Reads share-lock their session row and the close takes it for
update, so no EPC is added to a closed session. Scope of a count: products
counted in the session plus products with EPCs known to be in stock at the
location (see ``sql.count_comparison``). Only lines whose counted quantity
differs from the expected one are written to Odoo.

Caveats: EPCs first met in a count become known (``rrs_epc``: in stock at the
counted location) when the session closes; known EPCs are not relocated by a
count. Missing / unexpected EPC lists are as of the time of the report.
Counted quantities are one unit per tag (case-level tags are not multiplied).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime

import psycopg2
import psycopg2.errors

from ingest_core.odoo import sql
from ingest_core.resolve.pipeline import PreparedBatch, ResolvedRead
from ingest_core.resolve.reference import Device, ReferenceData
from ingest_core.rfid.stage import TaggedItem

RETRYABLE = (psycopg2.errors.SerializationFailure, psycopg2.errors.DeadlockDetected)
EPC_LIST_LIMIT = 10_000


class CountError(Exception):
    """A count request that cannot be served; ``status`` is the HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def accuracy(lines) -> float:
    """100 x sum(min(expected, counted)) / sum(max(expected, counted)): 100 when all match."""
    high = sum(max(expected, counted) for _p, _l, expected, counted in lines)
    low = sum(min(expected, counted) for _p, _l, expected, counted in lines)
    return round(100.0 * low / high, 2) if high else 100.0


class CountStore:
    def __init__(self, dsn: str, reference: ReferenceData, user_id: int = 1,
                 auto_apply_stores: frozenset[int] = frozenset()) -> None:
        self._dsn = dsn
        self.reference = reference
        self.user_id = user_id
        self.auto_apply_stores = auto_apply_stores
        self._lock = threading.Lock()
        self._connection = None

    def close_connection(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(psycopg2.Error):
                self._connection.close()
        self._connection = None

    def _run(self, work: Callable):
        """``work(cur)`` in one transaction, retried on conflicts."""
        with self._lock:
            for attempt in range(1, 11):
                if self._connection is None or self._connection.closed:
                    self._connection = psycopg2.connect(self._dsn)
                try:
                    with self._connection.cursor() as cur:
                        result = work(cur)
                    self._connection.commit()
                    return result
                except RETRYABLE:
                    self._connection.rollback()
                    time.sleep(0.01 * attempt)
                except psycopg2.InterfaceError:
                    self.close_connection()
                    if attempt == 10:
                        raise
                except BaseException:
                    if self._connection is not None and not self._connection.closed:
                        self._connection.rollback()
                    raise
            raise RuntimeError("count transaction still conflicting after 10 attempts")

    # ------------------------------------------------------------------ sessions
    def open(self, device: Device, location_id: int | None = None, name: str | None = None,
             auto_apply: bool | None = None, per_device: bool = False) -> dict:
        location_id = location_id or device.location_id
        location = self.reference.locations.get(location_id)
        if (location is None or location.usage != "internal"
                or location.warehouse_id != device.warehouse_id):
            raise CountError(403, f"location {location_id} is not an internal location of "
                                  "the device's store")
        if auto_apply is None:
            auto_apply = device.warehouse_id in self.auto_apply_stores
        # A device in training counts on its own, in a session that is never applied.
        per_device = per_device or device.training

        def work(cur):
            session_id = sql.open_count_session(
                cur, name=name, warehouse_id=device.warehouse_id, location_id=location_id,
                company_id=device.company_id, device_id=device.id if per_device else None,
                auto_apply=bool(auto_apply) and not device.training, user_id=self.user_id,
                training=device.training)
            return sql.count_session(cur, session_id)

        return self._run(work)

    def add(self, device: Device, items: list[TaggedItem]) -> tuple[int, int]:
        """Add tags to the device's open session: (session id, EPCs new to it)."""

        def work(cur):
            session_id = sql.open_session_for_device(cur, device.id, device.location_id,
                                                     device.training)
            if session_id is None:
                raise CountError(409, f"no open count session for device {device.name!r}")
            lots = sql.find_or_create_lots(cur, [
                (item.product_id, item.lot_name, device.company_id) for item in items
                if item.lot_name and item.product_id], self.user_id)
            added = sql.insert_count_epcs(
                cur, session_id, [i.epc for i in items], [i.product_id for i in items],
                [lots.get((i.product_id, i.lot_name)) for i in items],
                [datetime.fromtimestamp(i.seen_at, UTC).replace(tzinfo=None).isoformat()
                 for i in items], self.user_id)
            return session_id, added

        return self._run(work)

    def touch(self, device: Device, items: list[TaggedItem]) -> None:
        """Sightings by a reader that moves nothing: ``last_seen`` of the EPCs already known."""
        if items:
            seen = datetime.fromtimestamp(max(i.seen_at for i in items), UTC).replace(tzinfo=None)
            self._run(lambda cur: sql.touch_epcs(cur, sorted(i.epc for i in items), device.id,
                                                 seen.isoformat()))

    def add_unknown_tags(self, counts: dict[int, int]) -> None:
        if counts:
            self._run(lambda cur: sql.add_unknown_tags(cur, counts))

    def _session(self, cur, session_id: int, device: Device, lock: str = "") -> dict:
        session = sql.count_session(cur, session_id, lock)
        if session is None:
            raise CountError(404, f"count session {session_id} does not exist")
        if session["warehouse_id"] != device.warehouse_id:
            raise CountError(403, "the session belongs to another store")
        return session

    def close(self, session_id: int, device: Device) -> tuple[dict, PreparedBatch | None]:
        """Close: store the comparison; write Odoo counts, or return the auto-apply batch.
        A training session stops at the comparison: no Odoo count, no EPC registered."""

        def work(cur):
            session = self._session(cur, session_id, device, "FOR UPDATE")
            if session["state"] != "open":
                return session, None
            location = session["location_id"]
            lines = sql.count_comparison(cur, session_id, location)
            sql.insert_count_lines(cur, session_id, location, lines, self.user_id)
            sql.set_session_state(cur, session_id, "closed", self.user_id)
            if session["training"]:
                return sql.count_session(cur, session_id), None
            sql.register_counted_epcs(cur, session_id, location, session["device_id"],
                                      self.user_id)
            differences = [line for line in lines if line[2] != line[3]]
            batch = None
            if session["auto_apply"]:
                batch = self._apply_batch(cur, session, device, differences)
            else:
                keys = [((p, location, lot), counted) for p, lot, _e, counted in differences]
                sql.lock_quant_keys(cur, [key for key, _c in keys])
                sql.set_inventory_counts(cur, keys, self.reference.company_of_location,
                                         date.today(), session["user_id"] or self.user_id)
            return sql.count_session(cur, session_id), batch

        return self._run(work)

    def _apply_batch(self, cur, session: dict, device: Device, differences) -> PreparedBatch:
        """``count`` reads (key per session, product and lot: replays are duplicates)."""
        names = sql.lot_names(cur, [lot for _p, lot, _e, _c in differences if lot])
        now = datetime.now(UTC).replace(tzinfo=None)
        reads = [ResolvedRead(index, f"count:{session['id']}:{product}:{lot or 0}", now, "count",
                              f"rrs_count_session:{session['id']}", product, names.get(lot),
                              counted, session["location_id"], None)
                 for index, (product, lot, _expected, counted) in enumerate(differences)]
        return PreparedBatch(device, len(reads), reads)

    def apply_batch(self, session_id: int, device: Device) -> PreparedBatch:
        """The auto-apply batch of a closed session, from its stored lines (idempotent keys)."""

        def work(cur):
            session = self._session(cur, session_id, device)
            lines = [line for line in sql.count_lines(cur, session_id) if line[2] != line[3]]
            return self._apply_batch(cur, session, device, lines)

        return self._run(work)

    def mark_applied(self, session_id: int) -> None:
        self._run(lambda cur: sql.set_session_state(cur, session_id, "applied", self.user_id))

    def report(self, session_id: int, device: Device) -> dict:
        def work(cur):
            session = self._session(cur, session_id, device)
            location = session["location_id"]
            if session["state"] == "open":
                lines = sql.count_comparison(cur, session_id, location)
            else:
                lines = sql.count_lines(cur, session_id)
            epcs, unknown = sql.count_epc_total(cur, session_id)
            missing = sql.missing_epcs(cur, session_id, location, EPC_LIST_LIMIT)
            unexpected = sql.unexpected_epcs(cur, session_id, location, EPC_LIST_LIMIT)
            return session, lines, epcs, unknown, missing, unexpected

        session, lines, epcs, unknown, missing, unexpected = self._run(work)
        return {
            **{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in session.items()},
            "epcs_counted": epcs, "epcs_of_unknown_products": unknown,
            "expected_total": sum(line[2] for line in lines),
            "counted_total": sum(line[3] for line in lines),
            "accuracy_pct": accuracy(lines),
            "lines": [{"product_id": p, "lot_id": lot, "expected": e, "counted": c,
                       "difference": c - e} for p, lot, e, c in lines],
            "missing_epcs": missing,
            "unexpected_epcs": [{"epc": code, "why": why} for code, why in unexpected],
        }
