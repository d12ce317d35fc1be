"""The store agent process (``rtstock agent --config store.toml``).

What it is: wiring of the store side: one reader thread per configured
device (serial and wedge scanners, LLRP readers), the group writer into the
durable queue, the forwarder to the ingest, the loopback status endpoint, and a
periodic status line in the log.

How it works: every worker runs under :func:`_supervised`, an outer loop that
recovers (log the exception, back off, run the worker again) around the
worker's own inner loop. SIGTERM and SIGINT only set the stop event; each
worker notices it at its next wait: readers stop reading, the writer drains
what readers handed over, the forwarder finishes the batch in hand (request
answered, acks written) and exits, then the queue is checkpointed and closed.
Whatever is still queued stays on disk for the next start.

Caveats: a second SIGTERM/SIGINT does not force anything; use SIGKILL, which
is safe by construction (see :mod:`hardware.queue` and the tests). The status
endpoint binds loopback only.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from hardware.config import AgentConfig, DeviceConfig
from hardware.forwarder import Forwarder
from hardware.intake import GroupWriter
from hardware.queue import DurableQueue
from hardware.serial_scanner import SerialScannerReader
from hardware.status import StatusServer

_logger = logging.getLogger(__name__)


def _supervised(name: str, work: Callable[[], None], stop: threading.Event) -> Callable[[], None]:
    """Outer loop for a worker: restart it after an unexpected exception until stopped."""

    def loop() -> None:
        delay = 1.0
        while True:
            try:
                work()
                return
            except Exception:
                _logger.exception("%s crashed; restarting in %.0fs", name, delay)
                if stop.wait(delay):
                    return
                delay = min(delay * 2, 60.0)

    return loop


def make_reader(device: DeviceConfig, emit, stop: threading.Event):
    """Reader object for ``device.kind`` (``serial``, ``evdev`` or ``llrp``)."""
    if device.kind == "llrp":
        from hardware.llrp_reader import LlrpReader

        return LlrpReader(device, emit, stop)
    if device.kind == "evdev":
        from hardware.wedge_scanner import WedgeScannerReader

        return WedgeScannerReader(device, emit, stop)
    return SerialScannerReader(device, emit, stop)


class Agent:
    """One store agent; :meth:`run` blocks until stopped and returns an exit code."""

    def __init__(self, config: AgentConfig) -> None:
        self.config = config
        self.stop_event = threading.Event()
        self.wake = threading.Event()
        self.started_at = time.time()
        self.queue = DurableQueue(
            config.agent.queue_path,
            max_bytes=config.queue.max_bytes,
            alarm_ratio=config.queue.alarm_ratio,
            min_free_bytes=config.queue.min_free_bytes,
            on_corrupt=config.queue.on_corrupt,
        )
        self.writer = GroupWriter(self.queue, self.wake)
        self.readers = [make_reader(d, self.writer.put, self.stop_event) for d in config.devices]
        devices = {device.name: device for device in config.devices}
        ingest = config.ingest
        self.forwarder = Forwarder(
            self.queue,
            ingest.url,
            lambda name: config.token_for(devices.get(name)),
            verify=ingest.verify,
            batch_size=ingest.batch_size,
            timeout_s=ingest.timeout_s,
            backoff_base_s=ingest.backoff_base_s,
            backoff_max_s=ingest.backoff_max_s,
        )
        self.status = StatusServer(
            config.agent.status_host, config.agent.status_port, self.snapshot
        )

    def request_stop(self, *_: Any) -> None:
        """Signal handler and API: ask every worker to finish and exit."""
        if not self.stop_event.is_set():
            _logger.info("stop requested: finishing the batch in hand")
        self.stop_event.set()
        self.wake.set()

    def snapshot(self) -> dict[str, Any]:
        """Everything the status endpoint and the periodic log line show."""
        usage = self.queue.usage()
        oldest = self.queue.oldest_unsent()
        stats = self.forwarder.stats
        return {
            "uptime_s": round(time.time() - self.started_at, 1),
            "queue": {
                "depth": self.queue.depth(),
                "oldest_unsent_key": oldest.key if oldest else None,
                "oldest_unsent_ts": oldest.ts if oldest else None,
                "oldest_unsent_age_s": round(time.time() - oldest.enqueued_at, 1)
                if oldest
                else None,
                "used_bytes": usage.used_bytes,
                "max_bytes": usage.max_bytes,
                "free_disk_bytes": usage.free_disk_bytes,
                "alarm": usage.alarm,
                "full": usage.full,
                "pending_in_memory": self.writer.pending(),
                "appended": self.writer.appended,
                "refused": self.writer.refused,
                "recovery": self.queue.recovery_report,
            },
            "forwarder": {
                "acked": stats.acked,
                "applied": stats.applied,
                "duplicate": stats.duplicate,
                "rejected": stats.rejected,
                "training": stats.training,
                "last_ack_at": stats.last_ack_at,
                "last_error": stats.last_error,
                "consecutive_failures": stats.consecutive_failures,
                "next_attempt_at": stats.next_attempt_at,
                "batch_size": self.forwarder.batch_size,
            },
            "devices": {
                reader.device.name: {
                    "port": reader.device.port,
                    "connected": reader.connected,
                    "reads": reader.reads,
                    "last_error": reader.last_error,
                }
                for reader in self.readers
            },
        }

    def run(self) -> int:
        """Start every worker, log status periodically, stop cleanly on request."""
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self.request_stop)
            signal.signal(signal.SIGINT, self.request_stop)
        stop = self.stop_event
        writer = self._thread("writer", lambda: self.writer.run(stop))
        forwarder = self._thread("forwarder", lambda: self.forwarder.run(stop, self.wake))
        readers = [
            self._thread(f"reader-{reader.device.name}", reader.run) for reader in self.readers
        ]
        self.status.start()
        _logger.info(
            "agent started: %d device(s), queue %s (depth %d), ingest %s",
            len(self.readers),
            self.queue.path,
            self.queue.depth(),
            self.config.ingest.url,
        )
        while not stop.wait(self.config.agent.log_every_s):
            self.log_status()
        for thread in readers:
            thread.join(10)
        writer.join()
        forwarder.join()
        self.status.stop()
        self.log_status()
        self.queue.close()
        _logger.info("agent stopped")
        return 0

    def log_status(self) -> None:
        """One line with the queue's state: readable in a journal during an outage."""
        state = self.snapshot()
        queue, forwarder = state["queue"], state["forwarder"]
        _logger.info(
            "queue depth=%d oldest_unsent=%s age_s=%s used=%d/%d alarm=%s refused=%d "
            "acked=%d last_error=%s",
            queue["depth"],
            queue["oldest_unsent_ts"],
            queue["oldest_unsent_age_s"],
            queue["used_bytes"],
            queue["max_bytes"],
            queue["alarm"],
            queue["refused"],
            forwarder["acked"],
            forwarder["last_error"],
        )

    def _thread(self, name: str, work: Callable[[], None]) -> threading.Thread:
        thread = threading.Thread(
            target=_supervised(name, work, self.stop_event), name=name, daemon=True
        )
        thread.start()
        return thread
