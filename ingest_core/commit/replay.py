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

RFID reads (a row whose ``raw`` is ``{"epc", "seen_at", "movement"}``, what the
RFID stage quarantines) go through that stage instead: the tag is decoded and
resolved again, without the deduplicator (a replay is never a repeat), and
committed through the same EPC-state gate, so a tag that moved meanwhile is
answered ``duplicate`` and moves nothing twice. Several rows of one EPC replay
it once; the others are settled as duplicates of it.

Caveats: the device must still exist and be active, and an RFID row's device
must still have the role that quarantined it (``device_role_changed``
otherwise); a timestamp past the retention window is rejected as
``ancient_timestamp`` like any late read.
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
from ingest_core.resolve.reference import Device, ReferenceData
from ingest_core.rfid.payload import TagRead
from ingest_core.rfid.stage import MOVING_ROLES, RfidReads, RfidStage, role_of

_logger = logging.getLogger(__name__)


class QuarantineReplayer:
    def __init__(self, dsn: str, reference: ReferenceData, preparer: Preparer,
                 writer: GroupCommitWriter, *, rfid: RfidStage | None = None,
                 interval_s: float = 1.0, batch: int = 500, user_id: int = 1) -> None:
        self.reference = reference
        self.rfid = rfid
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
            tags = [(qid, raw) for qid, raw in items if _is_tag(raw)]
            scans = [(qid, raw) for qid, raw in items if not _is_tag(raw)]
            if scans:
                outcomes += self._replay_scans(device, scans)
            if tags:
                outcomes += self._replay_tags(device, tags)
        return outcomes

    def _commit(self, batch) -> list:
        batch.quarantine = False
        committed: Future = Future()
        self.writer.submit(batch, committed.set_result)
        fates = committed.result()
        if isinstance(fates, BaseException):
            raise fates
        return fates

    def _replay_scans(self, device: Device, items: list[tuple[int, dict]]) -> list[tuple]:
        body = msgspec.json.encode({"reads": [raw for _qid, raw in items]})
        reads, rejections = decode_body(body, len(items))
        fates = self._commit(self.preparer.prepare(device, reads, rejections))
        return [(qid, fate.status, fate.event_id, fate.reason_code, fate.reason)
                for (qid, _raw), fate in zip(items, fates, strict=True)]

    def _replay_tags(self, device: Device, items: list[tuple[int, dict]]) -> list[tuple]:
        """RFID rows: each EPC once through the RFID stage and the EPC-state gate."""
        role = role_of(device)
        movement = self.rfid.movement_of(role) if self.rfid and role in MOVING_ROLES else None
        outcomes, first_row, reads = [], {}, []
        for qid, raw in items:
            if movement is None or raw.get("movement") != movement:
                outcomes.append((qid, "rejected", None, "device_role_changed",
                                 f"the read was a {raw.get('movement')}; the device's role "
                                 f"is now {role!r}"))
                continue
            try:
                read = TagRead(str(raw["epc"]).upper(), None, None, float(raw["seen_at"]), None)
            except (TypeError, ValueError) as exc:
                outcomes.append((qid, "rejected", None, "bad_read", f"malformed tag read: {exc}"))
                continue
            if read.epc in first_row:
                continue
            first_row[read.epc] = qid
            reads.append(read)
        if not reads:
            return outcomes
        result = self.rfid.read_tags(RfidReads(device, role, len(reads)), reads, dedupe=False)
        fates = self._commit(self.rfid.movements(result)) if result.items else []
        by_epc = {item.epc: fate for item, fate in zip(result.items, fates, strict=True)}
        settled = {outcome[0] for outcome in outcomes}
        for qid, raw in items:
            epc = str(raw.get("epc", "")).upper()
            if qid in settled:
                continue
            fate = by_epc.get(epc)
            if fate is None:
                outcomes.append((qid, "rejected", None, "not_gs1",
                                 "the tag is not a GS1 product tag"))
            elif first_row.get(epc) == qid:
                outcomes.append((qid, fate.status, fate.event_id, fate.reason_code, fate.reason))
            else:  # another row of the same EPC replayed it
                outcomes.append((qid, "duplicate", fate.event_id, None, None))
        return outcomes


def _is_tag(raw: object) -> bool:
    """Whether a quarantined read is the RFID stage's (``{"epc", "seen_at", "movement"}``)."""
    return isinstance(raw, dict) and "epc" in raw and "movement" in raw and "key" not in raw
