"""The real store agent under load behind a link that can be cut: the fault tool's
``link_cut``.

What it is: one agent process (``hardware.agent_process``) with two serial scanners on
pty pairs (one selling, one receiving, at store S01), posting to the ingest through a
``LinkCutter``. A thread scans at a steady rate; every scan it wrote is a read the agent
must deliver exactly once, whatever the link did.

How it works: the agent numbers each scanner's reads from 0 (``NAME:000000``), so the
reads it must deliver are known from what was scanned, in order. ``drain`` stops the
scanning, waits until the agent's durable queue is empty (every read answered) and
returns them as the fault tool's reads (key -> read, key -> location).
"""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path

from hardware.agent_process import AgentProcess, wait_for
from hardware.simulators.pty_scanner import PtyScannerPort
from ingest_core.odoo.catalog import ean13
from ingest_core.tools.link_cutter import LinkCutter

#: (scanner name, operation); the names prefix the read keys the checks look for.
SCANNERS = (("link-sale", "sale"), ("link-receipt", "receipt"))
PRODUCTS = 20  # the fault tool's products (``faults.expected_deltas``)


class AgentLoad:
    def __init__(self, ingest_port: int, token: str, location: int, workdir: Path,
                 rate: float = 200.0, timeout_s: float = 2.0) -> None:
        self.location = location
        self.rate = rate
        self.link = LinkCutter(ingest_port).start()
        self.ports = {name: PtyScannerPort() for name, _op in SCANNERS}
        devices = [{"name": name, "port": self.ports[name].path, "op": op}
                   for name, op in SCANNERS]
        workdir.mkdir(parents=True, exist_ok=True)
        # A short request timeout: a cut link shows as requests that never answer.
        self.agent = AgentProcess(workdir, self.link.url, token, devices, batch_size=50,
                                  timeout_s=timeout_s)
        self.scanned: dict[str, list[str]] = {name: [] for name, _op in SCANNERS}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._scan, name="agent-load", daemon=True)

    def start(self) -> AgentLoad:
        self.agent.start()
        self._thread.start()
        return self

    def acked(self) -> int:
        """Reads the agent has had answered so far."""
        return self.agent.status()["forwarder"]["acked"]

    def first_ack_after(self, timeout: float = 120.0) -> float | None:
        """When the agent's count of answered reads next grew (monotonic), or None."""
        before = self.acked()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.acked() > before:
                return time.monotonic()
            time.sleep(0.02)
        return None

    def figures(self) -> dict:
        """What the cut did: bytes it swallowed, and the agent's resends answered
        ``duplicate`` (reads the ingest had committed but whose answer was lost)."""
        forwarder = self.agent.status()["forwarder"]
        return {"link_dropped_bytes": self.link.dropped_bytes,
                "agent_resent_duplicates": forwarder["duplicate"],
                "agent_applied": forwarder["applied"]}

    def drain(self, timeout: float = 120.0) -> tuple[dict[str, dict], dict[str, int], int]:
        """Stop scanning; wait for the agent's queue to empty. Returns (key -> read,
        key -> location, reads still queued when ``timeout`` ran out)."""
        self._stop.set()
        self._thread.join(10)
        total = sum(len(codes) for codes in self.scanned.values())
        try:
            wait_for(lambda: self.acked() >= total
                     and self.agent.status()["queue"]["depth"] == 0, timeout,
                     "the agent's queue drained")
            left = 0
        except AssertionError:
            left = self.agent.status()["queue"]["depth"]
        reads, locations = {}, {}
        for name, op in SCANNERS:
            for number, code in enumerate(self.scanned[name]):
                key = f"{name}:{number:06d}"
                reads[key] = {"key": key, "code": code, "op": op, "qty": 1}
                locations[key] = self.location
        return reads, locations, left

    def stop(self) -> None:
        self._stop.set()
        if self.agent.process is not None and self.agent.process.poll() is None:
            self.agent.terminate()
        self.link.stop()
        for port in self.ports.values():
            port.close()

    def _scan(self) -> None:
        interval = len(SCANNERS) / self.rate
        next_at = time.monotonic()
        for number in itertools.count():
            if self._stop.is_set():
                return
            for name, _op in SCANNERS:
                code = ean13((number * 7 + len(name)) % PRODUCTS)
                self.scanned[name].append(code)
                self.ports[name].write(f"{code}\r".encode())
            next_at += interval
            time.sleep(max(next_at - time.monotonic(), 0.0))
