"""Durable local queue of reads waiting for the ingest's ack.

What it is: the store agent's only buffer between a device and the network.
A read enters with :meth:`DurableQueue.append` (which also gives it its key)
and leaves only through :meth:`DurableQueue.ack`, i.e. only once the ingest
has answered 200 for its key. Nothing else deletes a read.

How it works: one SQLite file in WAL mode with ``synchronous=FULL``, so every
committed append has been fsynced to the WAL before :meth:`append` returns.
Why SQLite and not a hand-written append-only log: it is the most tested
embedded store there is (crash/power-loss tested, in every phone), it ships
with Python, and it gives atomic multi-row transactions, which is what lets
:mod:`hardware.keys` advance the key counter in the same commit as the reads.
Throughput comes from group commit: :meth:`append` takes a list and writes it
in one transaction, one fsync. The disk bound is checked before each append
(used pages plus WAL against ``max_bytes``, and free space on the filesystem
against ``min_free_bytes``); past ``alarm_ratio`` of the bound the queue is in
alarm (logged, shown on the status endpoint) while it still accepts reads; at
the bound it refuses with :class:`QueueFullError`, loudly, never by dropping
old reads. On open, ``PRAGMA quick_check`` runs; a corrupt file is either
reported (:class:`QueueCorruptError`, ``on_corrupt="raise"``) or moved aside,
salvaged into a fresh file and reported (``on_corrupt="recover"``, see
:mod:`hardware.queue_recovery`).

Caveats: one connection guarded by a lock is shared by the agent's threads;
that is simpler than per-thread connections and the fsync dominates anyway.
``quick_check`` reads the whole file: on a queue of millions of reads it
takes seconds at start-up, which is the price of never trusting a bad file.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hardware import keys
from hardware.reads import QueuedRead, Read

_logger = logging.getLogger(__name__)

SCHEMA_SQL = (
    """
    CREATE TABLE IF NOT EXISTS queued_read (
        seq INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        device TEXT NOT NULL,
        code TEXT NOT NULL,
        ts TEXT NOT NULL,
        op TEXT NOT NULL,
        qty NUMERIC NOT NULL,
        location INTEGER,
        enqueued_at REAL NOT NULL
    )
    """,
    keys.COUNTER_TABLE_SQL,
    "CREATE TABLE IF NOT EXISTS queue_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
)

_COLUMNS = "seq, key, device, code, ts, op, qty, location, enqueued_at"
SQLITE_FULL = 13


class QueueError(Exception):
    """Base of the queue's errors; the message says what to do."""


class QueueFullError(QueueError):
    """The read was refused: the disk bound or the filesystem is full. Nothing was written."""


class QueueCorruptError(QueueError):
    """The queue file failed ``PRAGMA quick_check`` (or is not a database)."""


@dataclass(frozen=True, slots=True)
class QueueUsage:
    """Disk use of the queue, for the alarm, the status endpoint and the log."""

    used_bytes: int
    max_bytes: int
    free_disk_bytes: int
    min_free_bytes: int
    alarm_ratio: float

    @property
    def alarm(self) -> bool:
        """True once the queue is past ``alarm_ratio`` of its bound (or of free space)."""
        return (
            self.used_bytes >= self.alarm_ratio * self.max_bytes
            or self.free_disk_bytes < 2 * self.min_free_bytes
        )

    @property
    def full(self) -> bool:
        """True when a further append would break the bound."""
        return self.used_bytes >= self.max_bytes or self.free_disk_bytes < self.min_free_bytes


class DurableQueue:
    """SQLite-backed FIFO of reads; see the module docstring for the guarantees."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        max_bytes: int = 256 * 1024 * 1024,
        alarm_ratio: float = 0.8,
        min_free_bytes: int = 64 * 1024 * 1024,
        on_corrupt: str = "recover",
    ) -> None:
        if on_corrupt not in {"recover", "raise"}:
            raise ValueError("on_corrupt must be 'recover' or 'raise'")
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.alarm_ratio = alarm_ratio
        self.min_free_bytes = min_free_bytes
        #: Set when the file was found corrupt at open and recovered; shown on status.
        self.recovery_report: dict[str, object] | None = None
        self._lock = threading.Lock()
        self._alarm_logged = False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        problem = check_integrity(self.path)
        if problem is not None:
            if on_corrupt == "raise":
                raise QueueCorruptError(
                    f"queue file {self.path} is corrupt ({problem}); it was left in place. "
                    "Move it aside (the agent does so itself with on_corrupt = 'recover') "
                    "and keep it: it may hold unsent reads."
                )
            from hardware.queue_recovery import recover_corrupt_queue

            self.recovery_report = recover_corrupt_queue(self.path, problem)
        self._connection = _connect(self.path)
        self._counter_floor = int(self._meta("counter_floor") or 0)
        self._depth = self._connection.execute("SELECT count(*) FROM queued_read").fetchone()[0]

    # -- writing -------------------------------------------------------------------------

    def append(self, reads: Sequence[Read]) -> list[str]:
        """Store ``reads`` durably in one transaction (one fsync); return their keys in order.

        Raises :class:`QueueFullError` before writing anything when the bound is reached
        or the disk is full; the counter is then not advanced either.
        """
        if not reads:
            return []
        with self._lock:
            usage = self._usage_locked()
            if usage.full:
                # The WAL may hold pages of reads already acked: reclaim them before refusing.
                self._checkpoint_locked()
                usage = self._usage_locked()
            self._note_alarm(usage)
            if usage.full:
                raise QueueFullError(
                    f"queue {self.path} refused {len(reads)} read(s): "
                    f"{usage.used_bytes} bytes used of {usage.max_bytes}, "
                    f"{usage.free_disk_bytes} bytes free on disk (minimum {usage.min_free_bytes}). "
                    "Restore the connection to the ingest or raise queue.max_bytes."
                )
            now = time.time()
            conn = self._connection
            try:
                conn.execute("BEGIN IMMEDIATE")
                result = self._insert_locked(reads, now)
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if getattr(exc, "sqlite_errorcode", None) == SQLITE_FULL:
                    raise QueueFullError(
                        f"queue {self.path} refused {len(reads)} read(s): the disk is full "
                        f"({exc}). Nothing was written; free space on {self.path.parent}."
                    ) from exc
                raise
            self._depth += len(reads)
            return result

    def _insert_locked(self, reads: Sequence[Read], now: float) -> list[str]:
        counts: dict[str, int] = {}
        for read in reads:
            counts[read.device] = counts.get(read.device, 0) + 1
        counters = {
            device: iter(keys.allocate(self._connection, device, count, self._counter_floor))
            for device, count in counts.items()
        }
        rows = []
        result = []
        for read in reads:
            key = keys.format_key(read.device, next(counters[read.device]))
            result.append(key)
            rows.append(
                (key, read.device, read.code, read.ts, read.op, read.qty, read.location, now)
            )
        self._connection.executemany(
            "INSERT INTO queued_read (key, device, code, ts, op, qty, location, enqueued_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        return result

    def ack(self, acked_keys: Iterable[str]) -> int:
        """Remove reads the ingest answered for; return how many left the queue."""
        key_list = list(acked_keys)
        if not key_list:
            return 0
        with self._lock:
            conn = self._connection
            removed = 0
            conn.execute("BEGIN IMMEDIATE")
            try:
                for start in range(0, len(key_list), 500):
                    chunk = key_list[start : start + 500]
                    marks = ",".join("?" * len(chunk))
                    cursor = conn.execute(f"DELETE FROM queued_read WHERE key IN ({marks})", chunk)
                    removed += cursor.rowcount
                conn.execute("COMMIT")
            except sqlite3.Error:
                conn.execute("ROLLBACK")
                raise
            self._depth -= removed
            return removed

    # -- reading -------------------------------------------------------------------------

    def peek_batch(self, limit: int) -> list[QueuedRead]:
        """The ``limit`` oldest reads, oldest first; they stay queued until acked."""
        with self._lock:
            rows = self._connection.execute(
                f"SELECT {_COLUMNS} FROM queued_read ORDER BY seq LIMIT ?", (limit,)
            ).fetchall()
        return [QueuedRead(*row) for row in rows]

    def depth(self) -> int:
        """Number of reads not yet acked."""
        with self._lock:
            return self._depth

    def oldest_unsent(self) -> QueuedRead | None:
        """The oldest read not yet acked, or None when the queue is empty."""
        batch = self.peek_batch(1)
        return batch[0] if batch else None

    def usage(self) -> QueueUsage:
        """Current disk use against the bound."""
        with self._lock:
            usage = self._usage_locked()
            self._note_alarm(usage)
            return usage

    def close(self) -> None:
        """Checkpoint the WAL into the main file and close."""
        with self._lock:
            self._checkpoint_locked()
            self._connection.close()

    # -- internals -----------------------------------------------------------------------

    def _checkpoint_locked(self) -> None:
        try:
            self._connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as exc:  # must not fail because the disk is full
            _logger.warning("queue %s: WAL checkpoint failed: %s", self.path, exc)

    def _usage_locked(self) -> QueueUsage:
        conn = self._connection
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        free_pages = conn.execute("PRAGMA freelist_count").fetchone()[0]
        wal = self.path.with_name(self.path.name + "-wal")
        wal_bytes = wal.stat().st_size if wal.exists() else 0
        return QueueUsage(
            used_bytes=(pages - free_pages) * page_size + wal_bytes,
            max_bytes=self.max_bytes,
            free_disk_bytes=shutil.disk_usage(self.path.parent).free,
            min_free_bytes=self.min_free_bytes,
            alarm_ratio=self.alarm_ratio,
        )

    def _note_alarm(self, usage: QueueUsage) -> None:
        # Log the transition, not every append: the log must stay readable during an outage.
        if usage.alarm and not self._alarm_logged:
            _logger.error(
                "QUEUE ALARM %s: %d of %d bytes used (alarm at %.0f%%), %d bytes free on disk; "
                "reads will be refused at the bound",
                self.path,
                usage.used_bytes,
                usage.max_bytes,
                usage.alarm_ratio * 100,
                usage.free_disk_bytes,
            )
        elif not usage.alarm and self._alarm_logged:
            _logger.warning("queue %s: back under the alarm threshold", self.path)
        self._alarm_logged = usage.alarm

    def _meta(self, name: str) -> str | None:
        row = self._connection.execute(
            "SELECT value FROM queue_meta WHERE name = ?", (name,)
        ).fetchone()
        return row[0] if row else None


def _connect(path: Path) -> sqlite3.Connection:
    """Open with the durability settings the module docstring promises."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA journal_size_limit=67108864")
    for statement in SCHEMA_SQL:
        conn.execute(statement)
    return conn


def check_integrity(path: Path) -> str | None:
    """None when ``path`` is absent or passes ``PRAGMA quick_check``, else what is wrong."""
    if not path.exists():
        return None
    try:
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            rows = conn.execute("PRAGMA quick_check").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    messages = [str(row[0]) for row in rows]
    return None if messages == ["ok"] else "; ".join(messages[:5])
