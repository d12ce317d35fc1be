"""Quarantine replay: reads the back office fixed (a barcode added, a device allowed) go in again.

What it is: a loop that takes quarantined reads marked ``replay`` in Odoo
(the add-on's *Replay* button), runs them through the same pipeline and
group-commit writer as live reads of their device, and settles each row:
``replayed`` with the event it became, or ``new`` again with the new reason.

How it works: rows are claimed with ``FOR UPDATE SKIP LOCKED`` in a
transaction that stays open until the writer has committed their reads and
the rows are settled, so two ingests never replay the same row and a crash
leaves the rows marked ``replay`` for the next attempt. The replayed read
keeps its device key, so a read that did reach the event log meanwhile is
answered ``duplicate`` and moves nothing twice. Rejected replays are not
quarantined again (the row itself carries the new reason).

Caveats: the device must still exist and be active; a timestamp past the
retention window is rejected as ``ancient_timestamp`` like any late read.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from concurrent.futures import Future

import msgspec

from ingest_core.commit.writer import GroupCommitWriter
from ingest_core.db.connection import Connection
from ingest_core.odoo import sql
from ingest_core.resolve.pipeline import Preparer, decode_body
from ingest_core.resolve.reference import ReferenceData

_logger = logging.getLogger(__name__)


class QuarantineReplayer:
    def __init__(self, dsn: str, reference: ReferenceData, preparer: Preparer,
                 writer: GroupCommitWriter, *, interval_s: float = 1.0, batch: int = 500,
                 user_id: int = 1) -> None:
        self.reference = reference
        self.preparer = preparer
        self.writer = writer
        self.interval_s = interval_s
        self.batch = batch
        self.user_id = user_id
        self._db = Connection(dsn, name="rtstock replay")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> QuarantineReplayer:
        self._thread = threading.Thread(target=self._run, name="rtstock-replay", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(30)
        self._db.reset()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.run_once()
            except Exception:
                _logger.exception("quarantine replay failed; retrying")
                self._db.reset()

    def run_once(self) -> int:
        """Replay one batch of marked rows; returns how many rows were settled."""
        cur = self._db.cursor()
        try:
            rows = sql.claim_replays(cur, self.batch)
            outcomes = self._replay(rows) if rows else []
            sql.settle_replays(cur, outcomes, self.user_id)
            self._db.commit()
            return len(outcomes)
        except BaseException:
            self._db.rollback()
            raise
        finally:
            cur.close()

    def _replay(self, rows) -> list[tuple]:
        by_device: dict[int, list[tuple[int, dict]]] = defaultdict(list)
        for quarantine_id, device_id, raw in rows:
            by_device[device_id].append((quarantine_id, raw))
        devices = {device.id: device for device in self.reference.devices.values()}
        outcomes = []
        for device_id, items in by_device.items():
            device = devices.get(device_id)
            if device is None or not device.active:
                outcomes += [(qid, "rejected", None, "device_unavailable",
                              "the device is disabled or has no token") for qid, _raw in items]
                continue
            body = msgspec.json.encode({"reads": [raw for _qid, raw in items]})
            reads, rejections = decode_body(body, len(items))
            batch = self.preparer.prepare(device, reads, rejections)
            batch.quarantine = False
            committed: Future = Future()
            self.writer.submit(batch, committed.set_result)
            fates = committed.result()
            if isinstance(fates, BaseException):
                raise fates
            outcomes += [(qid, fate.status, fate.event_id, fate.reason_code, fate.reason)
                         for (qid, _raw), fate in zip(items, fates, strict=True)]
        return outcomes
