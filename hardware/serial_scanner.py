"""Barcode scanners on serial ports (USB-CDC or RS-232), read with pyserial.

What it is: :class:`FrameDecoder` turns the scanner's byte stream into codes,
and :class:`SerialScannerReader` owns one port and hands each code on as a
:class:`hardware.reads.Read`.

How it works: scanners send ``[prefix] code [suffix] terminator``. The
decoder buffers bytes, cuts frames at the configured terminator, strips the
prefix and suffix when present, and replaces the configured FNC1 substitute
(many scanners are set to send e.g. ``^`` or ``<GS>`` because ASCII 29 is
awkward in their keyboard modes) with ASCII 29, the form the ingest contract
expects; scanners that already send GS need no setting. The reader is an
outer loop that recovers (port unplugged or not there yet: log, close, back
off, reopen) around an inner loop that reads with a short timeout so that a
stop request is noticed within ``read_timeout_s``.

Caveats: bytes are decoded as Latin-1, so no byte is ever an error; codes are
ASCII in practice. A frame longer than ``max_frame`` bytes means the
terminator is misconfigured: it is logged at ERROR with its bytes (never
dropped silently) and the buffer restarts. The read's timestamp is taken
when the terminator arrives; serial scanners have no clock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import serial

from hardware.config import DeviceConfig
from hardware.reads import Read, utc_now_rfc3339

_logger = logging.getLogger(__name__)

GS = "\x1d"


class FrameDecoder:
    """Bytes in, codes out; keeps a partial frame between calls."""

    def __init__(
        self,
        terminator: str = "\r",
        prefix: str = "",
        suffix: str = "",
        fnc1: str = "",
        max_frame: int = 1024,
    ) -> None:
        if not terminator:
            raise ValueError("terminator must not be empty")
        self._terminator = terminator.encode("latin-1")
        self._prefix = prefix
        self._suffix = suffix
        self._fnc1 = fnc1 if fnc1 not in {"", GS, "GS"} else ""
        self._max_frame = max_frame
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[str]:
        """Add ``data``; return every complete code it finished, in order."""
        self._buffer += data
        codes: list[str] = []
        while True:
            end = self._buffer.find(self._terminator)
            if end < 0:
                break
            frame = bytes(self._buffer[:end])
            del self._buffer[: end + len(self._terminator)]
            code = self._clean(frame)
            if code:
                codes.append(code)
        if len(self._buffer) > self._max_frame:
            _logger.error(
                "serial frame of %d bytes without terminator %r (check the scanner's "
                "terminator setting); bytes kept in this log line: %s",
                len(self._buffer),
                self._terminator,
                self._buffer.hex(),
            )
            self._buffer.clear()
        return codes

    def _clean(self, frame: bytes) -> str:
        # A CR/LF pair with terminator CR leaves the LF at the start of the next frame.
        text = frame.decode("latin-1").strip("\r\n")
        if self._prefix and text.startswith(self._prefix):
            text = text[len(self._prefix) :]
        if self._suffix and text.endswith(self._suffix):
            text = text[: -len(self._suffix)]
        if self._fnc1:
            text = text.replace(self._fnc1, GS)
        return text


class DeviceReader:
    """What every device reader shares (scanners, LLRP readers): its device, where reads
    go, its status fields."""

    def __init__(
        self,
        device: DeviceConfig,
        emit: Callable[[Read], None],
        stop: threading.Event,
        reopen_delay_s: float = 2.0,
    ) -> None:
        self.device = device
        self._emit = emit
        self._stop = stop
        self._reopen_delay_s = reopen_delay_s
        #: Reads emitted since start (shown on the status endpoint).
        self.reads = 0
        self.connected = False
        self.last_error: str | None = None

    def _emit_code(self, code: str) -> None:
        """One decoded code becomes a read of this device, stamped now."""
        self.reads += 1
        self._emit(Read(device=self.device.name, code=code, ts=utc_now_rfc3339(),
                        op=self.device.op, qty=self.device.qty, location=self.device.location))

    def _note_error(self, message: str) -> None:
        if message != self.last_error:  # one line per new problem, not one per retry
            _logger.error("device %s: %s; retrying", self.device.name, message)
        self.last_error = message


class SerialScannerReader(DeviceReader):
    """One serial scanner: opens its port, decodes frames, emits reads until stopped."""

    def run(self) -> None:
        """Outer loop: (re)open the port until stopped; errors are logged, never raised."""
        while not self._stop.is_set():
            try:
                port = serial.Serial(
                    self.device.port,
                    baudrate=self.device.baud,
                    timeout=self.device.read_timeout_s,
                )
            except (serial.SerialException, OSError) as exc:
                self._note_error(f"cannot open {self.device.port}: {exc}")
                self._stop.wait(self._reopen_delay_s)
                continue
            self.connected = True
            _logger.info("scanner %s: reading %s", self.device.name, self.device.port)
            try:
                self._read_until_stopped(port)
            except (serial.SerialException, OSError) as exc:
                self._note_error(f"read from {self.device.port} failed: {exc}")
                self._stop.wait(self._reopen_delay_s)
            finally:
                self.connected = False
                port.close()

    def _read_until_stopped(self, port: serial.Serial) -> None:
        decoder = FrameDecoder(
            terminator=self.device.terminator,
            prefix=self.device.prefix,
            suffix=self.device.suffix,
            fnc1=self.device.fnc1,
        )
        while not self._stop.is_set():
            data = port.read(port.in_waiting or 1)
            if not data:
                continue
            for code in decoder.feed(data):
                self._emit_code(code)
