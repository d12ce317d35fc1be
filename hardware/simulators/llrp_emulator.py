"""An LLRP 1.1 reader on loopback: what a fixed UHF reader (Impinj Speedway/R700, Zebra
FX) speaks to the client that drives it, for tests and demos without the hardware.

What it is: a TCP server on the LLRP port that plays the reader's side of EPCglobal
LLRP 1.1: it greets each client with a ``READER_EVENT_NOTIFICATION`` (connection
attempt: success), answers ``GET_READER_CAPABILITIES`` (general device, LLRP, regulatory
and C1G2 capabilities: antennas, a transmit-power table, a hop table, one RF mode),
``GET_READER_CONFIG``, ``SET_READER_CONFIG``, ``ADD/ENABLE/START/STOP/DISABLE/
DELETE_ROSPEC``, ``ADD/ENABLE/DISABLE/DELETE_ACCESSSPEC``, ``KEEPALIVE_ACK`` and
``CLOSE_CONNECTION``, and while a ROSpec runs (from ``START_ROSPEC``, or from
``ENABLE_ROSPEC`` when its start trigger is *Immediate*) sends ``RO_ACCESS_REPORT``s of its
tag population at ``tags_per_s``.

How it works: every message is built and parsed here with :mod:`struct` from the
standard's definitions (message header: 3 reserved bits, version 1, 10-bit type,
32-bit length, 32-bit ID; TLV parameters: 10-bit type, 16-bit length; TV
parameters: 1, then a 7-bit type), not with the client library it is meant to test,
so an encoding mistake on either side shows. The population is ``tags`` (hex EPCs);
``rounds`` inventory rounds each report every tag once, in a shuffled order, as a real
reader re-reads whatever stays in its field (``rounds=0``: for ever). Each
``TagReportData`` carries the EPC (``EPC-96`` for 96-bit EPCs, else ``EPCData``),
``AntennaID``, ``PeakRSSI``, ``FirstSeenTimestampUTC``, ``LastSeenTimestampUTC`` and
``TagSeenCount``, on one of the antennas the ROSpec's AISpecs name; a report holds
the ROSpec's ``ROReportSpec`` N tags (N=0: whatever one 50 ms tick produced).
``reported`` counts the tag reports sent, for the tests.

Caveats: the reader reports all those fields whatever the ROSpec's
``TagReportContentSelector`` asks (a real reader leaves out what is not enabled); there
are no access specs (they are acknowledged, never run), no keepalives, no GPIO, and
one client at a time per population (a second connection is served but gets its own
rounds). A ROSpec's stop trigger is not timed: it runs until stopped, disabled or
deleted. Message types it does not know are answered with ``ERROR_MESSAGE``
(``M_UnsupportedMessageType``), as the standard says.
"""

from __future__ import annotations

import logging
import random
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Iterator, Sequence

_logger = logging.getLogger(__name__)

LLRP_PORT = 5084
VERSION = 1

# Message types (LLRP 1.1, section 16 and the message type table).
GET_READER_CAPABILITIES, GET_READER_CAPABILITIES_RESPONSE = 1, 11
GET_READER_CONFIG, GET_READER_CONFIG_RESPONSE = 2, 12
SET_READER_CONFIG, SET_READER_CONFIG_RESPONSE = 3, 13
CLOSE_CONNECTION_RESPONSE, CLOSE_CONNECTION = 4, 14
ADD_ROSPEC, DELETE_ROSPEC, START_ROSPEC, STOP_ROSPEC = 20, 21, 22, 23
ENABLE_ROSPEC, DISABLE_ROSPEC = 24, 25
ADD_ACCESSSPEC, DELETE_ACCESSSPEC, ENABLE_ACCESSSPEC, DISABLE_ACCESSSPEC = 40, 41, 42, 43
RO_ACCESS_REPORT, KEEPALIVE, READER_EVENT_NOTIFICATION = 61, 62, 63
ENABLE_EVENTS_AND_REPORTS, KEEPALIVE_ACK, ERROR_MESSAGE = 64, 72, 100
#: Client request -> the response type; answered with an LLRPStatus of success.
RESPONSES = {GET_READER_CONFIG: GET_READER_CONFIG_RESPONSE,
             SET_READER_CONFIG: SET_READER_CONFIG_RESPONSE,
             ADD_ROSPEC: 30, DELETE_ROSPEC: 31, START_ROSPEC: 32, STOP_ROSPEC: 33,
             ENABLE_ROSPEC: 34, DISABLE_ROSPEC: 35,
             ADD_ACCESSSPEC: 50, DELETE_ACCESSSPEC: 51, ENABLE_ACCESSSPEC: 52,
             DISABLE_ACCESSSPEC: 53}

# Parameter types.
P_LLRP_STATUS, P_RO_SPEC, P_RO_REPORT_SPEC = 287, 177, 237
P_RO_BOUNDARY_SPEC, P_RO_SPEC_START_TRIGGER, IMMEDIATE, P_AI_SPEC = 178, 179, 1, 183
P_READER_EVENT_NOTIFICATION_DATA, P_UTC_TIMESTAMP, P_CONNECTION_ATTEMPT_EVENT = 246, 128, 256
P_TAG_REPORT_DATA, P_EPC_DATA = 240, 241
TV_ANTENNA_ID, TV_FIRST_SEEN_UTC, TV_LAST_SEEN_UTC, TV_PEAK_RSSI = 1, 2, 4, 6
TV_TAG_SEEN_COUNT, TV_RO_SPEC_ID, TV_EPC_96 = 8, 9, 13
M_SUCCESS, M_UNSUPPORTED_MESSAGE_TYPE = 0, 108

_HEADER = struct.Struct("!HII")


def message(kind: int, body: bytes, message_id: int = 0) -> bytes:
    """One LLRP message: version 1, ``kind``, the length including the 10-byte header."""
    return _HEADER.pack((VERSION << 10) | kind, _HEADER.size + len(body), message_id) + body


def tlv(kind: int, body: bytes = b"") -> bytes:
    """A TLV parameter (the length includes the 4-byte header)."""
    return struct.pack("!HH", kind, 4 + len(body)) + body


def tv(kind: int, value: bytes) -> bytes:
    """A TV parameter: the high bit set, 7-bit type, then its fixed-size value."""
    return bytes([0x80 | kind]) + value


def status(code: int = M_SUCCESS, description: str = "") -> bytes:
    text = description.encode()
    return tlv(P_LLRP_STATUS, struct.pack("!HH", code, len(text)) + text)


def parameters(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(type, value) of each parameter in ``data``; TV values by their standard sizes."""
    sizes = {TV_ANTENNA_ID: 2, TV_FIRST_SEEN_UTC: 8, 3: 8, TV_LAST_SEEN_UTC: 8, 5: 8,
             TV_PEAK_RSSI: 1, 7: 2, TV_TAG_SEEN_COUNT: 2, TV_RO_SPEC_ID: 4, 10: 2, 11: 2,
             12: 2, TV_EPC_96: 12, 14: 2, 15: 4, 16: 4, 17: 2, 18: 4}
    position = 0
    while position < len(data):
        first = data[position]
        if first & 0x80:
            kind = first & 0x7F
            size = sizes.get(kind)
            if size is None:
                raise ValueError(f"unknown TV parameter type {kind}")
            yield kind, data[position + 1:position + 1 + size]
            position += 1 + size
            continue
        if len(data) - position < 4:
            raise ValueError("truncated parameter header")
        kind, length = struct.unpack_from("!HH", data, position)
        if length < 4 or position + length > len(data):
            raise ValueError(f"parameter {kind & 0x3FF} of bad length {length}")
        yield kind & 0x3FF, data[position + 4:position + length]
        position += length


def capabilities(antennas: int) -> bytes:
    """The body of GET_READER_CAPABILITIES_RESPONSE: a 4-port reader of 2015-era
    firmware's shape (Impinj's IANA enterprise number as manufacturer)."""
    firmware = b"5.14.0.240"
    general = tlv(137, struct.pack("!HHIIH", antennas, 0x4000, 25882, 2001002, len(firmware))
                  + firmware
                  + tlv(139, struct.pack("!Hh", 1, -80))
                  + b"".join(tlv(140, struct.pack("!HHB", port, 1, 1))  # EPCglobal C1G2
                             for port in range(1, antennas + 1))
                  + tlv(141, struct.pack("!HH", 4, 4)))
    llrp = tlv(142, struct.pack("!BBHIIIII", 0x10, 7, 0, 1, 32, 1, 508, 8))
    powers = b"".join(tlv(145, struct.pack("!Hh", index, 1000 + 25 * (index - 1)))
                      for index in range(1, 82))  # 10.00 .. 30.00 dBm
    hops = [902_750 + 500 * n for n in range(50)]
    frequency = tlv(146, bytes([0x80]) + tlv(147, struct.pack(
        "!BBH", 1, 0, len(hops)) + b"".join(struct.pack("!I", hop) for hop in hops)))
    mode = tlv(328, tlv(329, struct.pack("!IBBBBIIIII", 1000, 0x80, 2, 0, 4, 320_000, 1500,
                                         6250, 25000, 0)))
    regulatory = tlv(143, struct.pack("!HH", 840, 1) + tlv(144, powers + frequency + mode))
    c1g2 = tlv(327, struct.pack("!BH", 0x40, 2))
    return status() + general + llrp + regulatory + c1g2


def report_every(rospec: bytes) -> int:
    """N of the ROSpec's ROReportSpec (0 if it has none or says none)."""
    for kind, value in parameters(rospec[6:]):  # ROSpecID, Priority, CurrentState first
        if kind == P_RO_REPORT_SPEC and len(value) >= 3:
            trigger, every = struct.unpack_from("!BH", value)
            return every if trigger else 0
    return 0


def antennas_of(rospec: bytes, antennas: int) -> list[int]:
    """The ports the ROSpec's AISpecs inventory (ID 0: all of the reader's)."""
    ports: set[int] = set()
    for kind, value in parameters(rospec[6:]):
        if kind == P_AI_SPEC and len(value) >= 2:
            count = struct.unpack_from("!H", value)[0]
            for port in struct.unpack_from(f"!{count}H", value, 2):
                ports.update(range(1, antennas + 1) if port == 0 else (port,))
    return sorted(ports & set(range(1, antennas + 1))) or list(range(1, antennas + 1))


def starts_when_enabled(rospec: bytes) -> bool:
    """Whether the ROSpec's start trigger is *Immediate*: it runs once enabled, with no
    START_ROSPEC (what sllurp and most clients send)."""
    for kind, value in parameters(rospec[6:]):
        if kind == P_RO_BOUNDARY_SPEC:
            for inner, trigger in parameters(value):
                if inner == P_RO_SPEC_START_TRIGGER and trigger:
                    return trigger[0] == IMMEDIATE
    return False


class LlrpReaderEmulator:
    """The reader: ``with LlrpReaderEmulator(tags) as reader:`` serves ``reader.port``."""

    def __init__(self, tags: Sequence[str], *, host: str = "127.0.0.1", port: int = 0,
                 tags_per_s: float = 2000.0, rounds: int = 3, antennas: int = 4,
                 seed: int = 1) -> None:
        if not host.startswith("127.") and host != "localhost":
            raise ValueError("the emulator serves loopback only")
        self.tags = [tag.upper() for tag in tags]
        self.tags_per_s = tags_per_s
        self.rounds = rounds
        self.antennas = antennas
        self.seed = seed
        self.reported = 0
        self.connections = 0
        self.messages: list[int] = []  # types received, in order: what the client asked
        self._lock = threading.Lock()
        emulator = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                _Session(emulator, self.request).run()

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self._server = socketserver.ThreadingTCPServer((host, port), Handler)
        self._server.daemon_threads = True
        self.host, self.port = self._server.server_address[:2]
        self._thread: threading.Thread | None = None

    def start(self) -> LlrpReaderEmulator:
        self._thread = threading.Thread(target=self._server.serve_forever, name="llrp-reader",
                                        kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> LlrpReaderEmulator:
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()

    def _count(self, reports: int) -> None:
        with self._lock:
            self.reported += reports


class _Session:
    """One client connection: the request loop, and the inventory thread once started."""

    def __init__(self, emulator: LlrpReaderEmulator, connection: socket.socket) -> None:
        self.emulator = emulator
        self.connection = connection
        self.send_lock = threading.Lock()
        self.started = threading.Event()
        self.closed = threading.Event()
        self.rospec_id = 0
        self.every = 0
        self.immediate = False
        self.ports = list(range(1, emulator.antennas + 1))
        self.next_id = 1_000_000
        with emulator._lock:
            emulator.connections += 1
            self.rng = random.Random(emulator.seed + emulator.connections)

    def send(self, kind: int, body: bytes, message_id: int | None = None) -> None:
        if message_id is None:
            message_id, self.next_id = self.next_id, self.next_id + 1
        with self.send_lock:
            self.connection.sendall(message(kind, body, message_id))

    def run(self) -> None:
        inventory = threading.Thread(target=self._inventory, name="llrp-inventory", daemon=True)
        inventory.start()
        try:
            now_us = int(time.time() * 1_000_000)
            self.send(READER_EVENT_NOTIFICATION, tlv(P_READER_EVENT_NOTIFICATION_DATA, tlv(
                P_UTC_TIMESTAMP, struct.pack("!Q", now_us))
                + tlv(P_CONNECTION_ATTEMPT_EVENT, struct.pack("!H", 0))))
            for kind, message_id, body in self._messages():
                self.emulator.messages.append(kind)
                if not self._answer(kind, message_id, body):
                    break
        except (ConnectionError, OSError) as exc:
            _logger.debug("LLRP client gone: %s", exc)
        finally:
            self.closed.set()
            self.started.clear()
            inventory.join(5)

    def _messages(self) -> Iterator[tuple[int, int, bytes]]:
        buffer = b""
        while True:
            while len(buffer) < _HEADER.size or len(buffer) < _length(buffer):
                chunk = self.connection.recv(65536)
                if not chunk:
                    return
                buffer += chunk
            length = _length(buffer)
            if length < _HEADER.size:
                raise ConnectionError(f"LLRP message of impossible length {length}")
            kind_word, _length_again, message_id = _HEADER.unpack_from(buffer)
            yield kind_word & 0x3FF, message_id, buffer[_HEADER.size:length]
            buffer = buffer[length:]

    def _answer(self, kind: int, message_id: int, body: bytes) -> bool:
        if kind == GET_READER_CAPABILITIES:
            self.send(GET_READER_CAPABILITIES_RESPONSE, capabilities(self.emulator.antennas),
                      message_id)
        elif kind == ADD_ROSPEC:
            rospec = next((value for param, value in parameters(body) if param == P_RO_SPEC),
                          b"")
            if len(rospec) >= 6:
                self.rospec_id = struct.unpack_from("!I", rospec)[0]
                self.every = report_every(rospec)
                self.immediate = starts_when_enabled(rospec)
                self.ports = antennas_of(rospec, self.emulator.antennas)
            self.send(RESPONSES[kind], status(), message_id)
        elif kind == ENABLE_ROSPEC:
            self.send(RESPONSES[kind], status(), message_id)
            if self.immediate:
                self.started.set()
        elif kind == START_ROSPEC:
            self.send(RESPONSES[kind], status(), message_id)
            self.started.set()
        elif kind in (STOP_ROSPEC, DISABLE_ROSPEC, DELETE_ROSPEC):
            self.started.clear()
            self.send(RESPONSES[kind], status(), message_id)
        elif kind in RESPONSES:
            self.send(RESPONSES[kind], status(), message_id)
        elif kind == CLOSE_CONNECTION:
            self.started.clear()
            self.send(CLOSE_CONNECTION_RESPONSE, status(), message_id)
            return False
        elif kind in (ENABLE_EVENTS_AND_REPORTS, KEEPALIVE_ACK):
            pass  # no response defined
        else:
            self.send(ERROR_MESSAGE, status(M_UNSUPPORTED_MESSAGE_TYPE,
                                            f"message type {kind} not supported"), message_id)
        return True

    def _inventory(self) -> None:
        """Report the population round after round at the tag rate while started."""
        emulator = self.emulator
        rounds = 0
        pending: list[bytes] = []
        tick = 0.05
        while not self.closed.is_set():
            if not self.started.wait(0.1):
                continue
            if (emulator.rounds and rounds >= emulator.rounds) or not emulator.tags:
                self.closed.wait(0.1)
                continue
            order = list(emulator.tags)
            self.rng.shuffle(order)
            rounds += 1
            budget, started_at = 0.0, time.monotonic()
            for sent, epc in enumerate(order):
                while sent >= budget and self.started.is_set():  # pace: tags_per_s, in ticks
                    if self.closed.wait(tick):
                        return
                    budget = (time.monotonic() - started_at) * emulator.tags_per_s
                    if pending and not self.every:
                        self._report(pending)
                        pending = []
                if not self.started.is_set():  # stopped mid-round: the round is cut short
                    pending = []
                    break
                pending.append(self._tag(epc))
                if self.every and len(pending) >= self.every:
                    self._report(pending)
                    pending = []
            if pending:
                self._report(pending)
                pending = []

    def _tag(self, epc: str) -> bytes:
        raw = bytes.fromhex(epc)
        code = tv(TV_EPC_96, raw) if len(raw) == 12 else tlv(
            P_EPC_DATA, struct.pack("!H", len(raw) * 8) + raw)
        now_us = int(time.time() * 1_000_000)
        seen = self.rng.randint(1, 6)
        return tlv(P_TAG_REPORT_DATA, code
                   + tv(TV_RO_SPEC_ID, struct.pack("!I", self.rospec_id))
                   + tv(TV_ANTENNA_ID, struct.pack("!H", self.rng.choice(self.ports)))
                   + tv(TV_PEAK_RSSI, struct.pack("!b", self.rng.randint(-75, -35)))
                   + tv(TV_FIRST_SEEN_UTC, struct.pack("!Q", now_us - 1000 * seen))
                   + tv(TV_LAST_SEEN_UTC, struct.pack("!Q", now_us))
                   + tv(TV_TAG_SEEN_COUNT, struct.pack("!H", seen)))

    def _report(self, tags: list[bytes]) -> None:
        self.send(RO_ACCESS_REPORT, b"".join(tags))
        self.emulator._count(len(tags))


def _length(buffer: bytes) -> int:
    return struct.unpack_from("!I", buffer, 2)[0] if len(buffer) >= _HEADER.size else 1 << 31
