"""Hand-off from the device readers to the durable queue, with group commit.

What it is: :class:`GroupWriter`, the single thread that writes reads into
:class:`hardware.queue.DurableQueue`. Readers call :meth:`GroupWriter.put`,
which never blocks on the disk.

How it works: reads wait in an in-memory FIFO for at most one fsync: the
writer takes whatever has accumulated (up to ``max_group``) and appends it in
one transaction. Under a burst that turns thousands of fsyncs into a few
dozen, which is how the queue sustains a Black-Friday rate on store hardware.
When the queue refuses (disk bound or disk full) every refused read is
logged at ERROR with its device, code and time, and counted, so an outage
that outlives the disk bound loses reads loudly, never silently. Other
SQLite errors are retried with back-off with the same reads in hand.

Caveats: a read is durable only once :meth:`DurableQueue.append` returned;
the window before that is one fsync (milliseconds). A process killed inside
it loses the reads in that window, as the scanner's own beep already
happened; no design without a device-side ack can close it.
"""

from __future__ import annotations

import logging
import queue as stdlib_queue
import sqlite3
import threading
import time

from hardware.queue import DurableQueue, QueueFullError
from hardware.reads import Read

_logger = logging.getLogger(__name__)


class GroupWriter:
    """Single writer thread: drains the hand-off FIFO into the durable queue."""

    def __init__(
        self,
        queue: DurableQueue,
        wake_forwarder: threading.Event | None = None,
        max_group: int = 1000,
    ) -> None:
        self.queue = queue
        self._handoff: stdlib_queue.SimpleQueue[Read] = stdlib_queue.SimpleQueue()
        self._wake = wake_forwarder
        self.max_group = max_group
        #: Reads made durable / refused since start (status endpoint).
        self.appended = 0
        self.refused = 0
        self.last_error: str | None = None

    def put(self, read: Read) -> None:
        """Called by readers; returns at once."""
        self._handoff.put(read)

    def pending(self) -> int:
        """Reads handed over but not yet durable."""
        return self._handoff.qsize()

    def run(self, stop: threading.Event) -> None:
        """Write groups until ``stop`` is set *and* every handed-over read was written."""
        while True:
            try:
                first = self._handoff.get(timeout=0.1)
            except stdlib_queue.Empty:
                if stop.is_set():
                    return
                continue
            group = [first]
            while len(group) < self.max_group:
                try:
                    group.append(self._handoff.get_nowait())
                except stdlib_queue.Empty:
                    break
            self._write(group, stop)

    def _write(self, group: list[Read], stop: threading.Event) -> None:
        delay = 0.1
        while True:
            try:
                self.queue.append(group)
            except QueueFullError as exc:
                self.refused += len(group)
                self.last_error = str(exc)
                _logger.error("%s", exc)
                for read in group:
                    _logger.error(
                        "REFUSED READ device=%s code=%r ts=%s op=%s qty=%s",
                        read.device,
                        read.code,
                        read.ts,
                        read.op,
                        read.qty,
                    )
                return
            except sqlite3.Error as exc:
                self.last_error = f"queue write failed: {exc}"
                _logger.error("queue write of %d read(s) failed (%s); retrying", len(group), exc)
                if stop.is_set() and delay > 5:
                    for read in group:
                        _logger.error("UNWRITTEN READ at shutdown: %s", read)
                    return
                time.sleep(delay)  # not stop.wait: a stop must not skip the retry
                delay = min(delay * 2, 10.0)
                continue
            self.appended += len(group)
            self.last_error = None
            if self._wake is not None:
                self._wake.set()
            return
