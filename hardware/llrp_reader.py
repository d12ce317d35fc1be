"""Fixed RFID readers driven directly over LLRP (Impinj Speedway/R700, Zebra FX), with
sllurp: the store agent as the reader's client.

What it is: :class:`LlrpReader`, the agent's reader for a device of ``kind = "llrp"``
(``port = "host[:5084]"``). It connects to the reader, has it inventory all its
antennas, and hands each tag report on as a :class:`hardware.reads.Read` (``op =
"rfid"``: the EPC as upper-case hex in ``code``, the antenna in ``location``, the
reader's ``TagSeenCount`` in ``qty``, its first-seen time in ``ts``) to the durable
queue, from which :mod:`hardware.forwarder` posts them to the ingest's RFID stage.

How it works: sllurp (the LLRP client the field uses; :class:`sllurp.llrp.LLRPReaderClient`)
runs the LLRP conversation: capabilities, configuration, a ROSpec that starts at once
and reports every ``report_every_n_tags`` tags or every ``report_timeout_ms``, tag
reports on its own socket thread. The callback only builds reads, so a slow disk
never stalls the reader's socket. A lost connection (reader rebooted, cable out) ends
the session; the outer loop logs it once, backs off and connects again, as the
serial reader reopens its port. LLRP readers keep no buffer for a client that was
away: what they saw meanwhile is lost at the reader, and the queue guarantees the rest.

Caveats: the reader's clock stamps the reads (``FirstSeenTimestampUTC``); a reader
without NTP is caught by the ingest's read-time check. Peak RSSI is not carried through
the queue (the ingest makes no decision on it). Every read of every round is queued:
the ingest's dedupe and EPC states thin and gate them; at an exit gate's rate (a few
hundred tags/s) the queue's group commit carries that easily.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import Any

from hardware.config import DeviceConfig
from hardware.reads import RFID_OP, Read
from hardware.serial_scanner import DeviceReader

_logger = logging.getLogger(__name__)

LLRP_PORT = 5084
_CONTENT = {"EnableROSpecID": False, "EnableSpecIndex": False,
            "EnableInventoryParameterSpecID": False, "EnableAntennaID": True,
            "EnableChannelIndex": False, "EnablePeakRSSI": True,
            "EnableFirstSeenTimestamp": True, "EnableLastSeenTimestamp": True,
            "EnableTagSeenCount": True, "EnableAccessSpecID": False}


def address_of(device: DeviceConfig) -> tuple[str, int]:
    """(host, port) of ``port = "host[:port]"``."""
    host, _sep, port = device.port.rpartition(":")
    if not host:
        return device.port, LLRP_PORT
    return host, int(port)


def reads_of(device: str, tags: list[dict[str, Any]]) -> list[Read]:
    """The agent's reads of one sllurp tag report (tags without an EPC are skipped)."""
    reads = []
    for tag in tags:
        epc = tag.get("EPC") or tag.get("EPC-96")
        if not epc:
            continue
        epc = epc.decode() if isinstance(epc, bytes) else str(epc)
        micros = tag.get("FirstSeenTimestampUTC") or tag.get("LastSeenTimestampUTC")
        seen = (datetime.fromtimestamp(micros / 1e6, UTC) if micros
                else datetime.now(UTC))
        reads.append(Read(device=device, code=epc.upper(),
                          ts=seen.isoformat(timespec="microseconds").replace("+00:00", "Z"),
                          op=RFID_OP, qty=int(tag.get("TagSeenCount") or 1),
                          location=tag.get("AntennaID")))
    return reads


class LlrpReader(DeviceReader):
    """One LLRP reader: connect, inventory, emit tag reads; reconnect until stopped."""

    def __init__(self, device: DeviceConfig, emit, stop: threading.Event,
                 reopen_delay_s: float = 2.0, report_every_n_tags: int = 100,
                 report_timeout_ms: int = 200) -> None:
        super().__init__(device, emit, stop, reopen_delay_s)
        self.report_every_n_tags = report_every_n_tags
        self.report_timeout_ms = report_timeout_ms

    def _config(self):
        from sllurp.llrp import LLRPReaderConfig

        return LLRPReaderConfig({
            "antennas": [0],  # LLRP's antenna 0: every antenna the reader has
            "report_every_n_tags": self.report_every_n_tags,
            "report_timeout_ms": self.report_timeout_ms,
            "tag_content_selector": dict(_CONTENT),
            "reconnect": False,  # the outer loop reconnects, stop-aware
            "start_inventory": True,
            "reset_on_connect": True,
        })

    def _on_tags(self, _reader, tags: list[dict[str, Any]]) -> None:
        for read in reads_of(self.device.name, tags):
            self.reads += 1
            self._emit(read)

    def run(self) -> None:
        """Outer loop: one LLRP session at a time until stopped; errors logged, not raised."""
        from sllurp.llrp import LLRPReaderClient

        host, port = address_of(self.device)
        while not self._stop.is_set():
            ended = threading.Event()
            client = LLRPReaderClient(host, port, self._config())
            client.add_tag_report_callback(self._on_tags)
            client.add_disconnected_callback(lambda *_, ended=ended: ended.set())
            try:
                client.connect()
            except OSError as exc:
                self._note_error(f"cannot connect to LLRP reader {host}:{port}: {exc}")
                self._stop.wait(self._reopen_delay_s)
                continue
            self.connected = True
            self.last_error = None
            _logger.info("LLRP reader %s: inventorying %s:%d", self.device.name, host, port)
            while not self._stop.is_set() and not ended.is_set() and client.is_alive():
                self._stop.wait(0.2)
            self.connected = False
            if self._stop.is_set():
                client.disconnect(timeout=2)
            client.hard_disconnect()
            if not self._stop.is_set():
                self._note_error(f"LLRP reader {host}:{port} closed the connection")
                self._stop.wait(self._reopen_delay_s)
