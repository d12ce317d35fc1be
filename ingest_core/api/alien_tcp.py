"""Alien readers' TCP notifications into the RFID stage (``alien_port``).

What it is: the listener Alien ALR readers push to (``NotifyAddress =
<ingest host>:<alien_port>``, ``NotifyFormat = Text``): they open a TCP
connection, write NUL-terminated text notifications
(``ingest_core.rfid.alien``) and expect no answer, so there is no HTTP and no
token. The header's ``#ReaderName`` names the device (``rrs_device.name``), as
an MQTT topic level does: the store network decides which reader may reach
the port (bind it to the readers' VLAN with ``alien_host``).

How it works: one asyncio server; each connection is read in order, each
complete message parsed and committed as a ``POST /v1/rfid/alien`` would be
(``commit_tags``) before the next one is read. A commit that fails (database
away, writer overloaded) is retried with a growing pause, the same message,
until it succeeds or the ingest stops: meanwhile the connection is not read,
so TCP's flow control holds the reader's further notifications in its own
buffers instead of losing them. A message of no known, active device is
counted and logged (once per name), never retried, and so is one the device
may not post (not allowed, a count reader without an open session: what HTTP
answers 403 / 409); a message larger than
``MAX_MESSAGE`` bytes without a NUL is cut there and reported.

Caveats: a notification has no acknowledgement in Alien's protocol: a message
the reader wrote just before the ingest died is lost unless the reader
resends; the reader-side ``NotifyRetryCount`` / ``NotifyRetryPause`` cover
failed connections only. Ingest-side, nothing read from the socket is dropped
while the process runs.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from ingest_core import metrics
from ingest_core.api.rfid_http import commit_tags
from ingest_core.rfid import alien
from ingest_core.rfid.counts import CountError

if TYPE_CHECKING:
    from ingest_core.api.server import Ingest

_logger = logging.getLogger(__name__)

MAX_MESSAGE = 4 * 1024 * 1024
RETRY_MAX_S = 30.0


class AlienListener:
    def __init__(self, ingest: Ingest, host: str, port: int) -> None:
        self.ingest, self.host, self.port = ingest, host, port
        self._server: asyncio.base_events.Server | None = None
        self._stopping = asyncio.Event()
        self._unknown: set[str] = set()

    async def start(self) -> AlienListener:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        _logger.info("alien: listening on %s:%d", self.host, self.port)
        return self

    async def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        stream = bytearray()
        try:
            while not self._stopping.is_set():
                chunk = await reader.read(65536)
                if not chunk:
                    break
                stream += chunk
                for message in alien.messages(stream):
                    await self._deliver(message, peer)
                if len(stream) > MAX_MESSAGE:
                    _logger.error("alien: %s sent %d bytes without a NUL; cut there", peer,
                                  len(stream))
                    await self._deliver(bytes(stream), peer)
                    stream.clear()
            if stream.strip(b"\0\r\n \t") and not self._stopping.is_set():
                await self._deliver(bytes(stream), peer)  # the last message, closed unended
        except ConnectionError as error:
            _logger.warning("alien: connection from %s lost: %s", peer, error)
        finally:
            writer.close()

    async def _deliver(self, message: bytes, peer) -> None:
        name = _reader_name(message)
        device = self.ingest.reference.device_by_name(name) if name else None
        if device is None or not device.active:
            metrics.ALIEN_MESSAGES.labels("unknown_device").inc()
            if name not in self._unknown:
                self._unknown.add(name)
                _logger.warning("alien: %s sent notifications of %r, no active device of "
                                "that name (#ReaderName must be the device's name in Odoo)",
                                peer, name)
            return
        pause = 0.5
        while True:
            result = self.ingest.rfid.read_payload(device, alien.ALIEN, message)
            try:
                await commit_tags(self.ingest, result)
            except CountError as error:  # the device's setup, not a passing fault: no retry
                self.ingest.rfid.failed(device)
                metrics.ALIEN_MESSAGES.labels("refused").inc()
                _logger.warning("alien: %s's notification refused: %s", device.name, error)
                return
            except Exception as error:  # noqa: BLE001 - retried: the reader will not resend
                self.ingest.rfid.failed(device)
                metrics.ALIEN_MESSAGES.labels("retried").inc()
                _logger.error("alien: committing %s's notification failed (%s); retrying in "
                              "%.1f s", device.name, error, pause)
                try:
                    await asyncio.wait_for(self._stopping.wait(), pause)
                    return  # stopping: the message was not committed (logged above)
                except TimeoutError:
                    pause = min(pause * 2, RETRY_MAX_S)
                    continue
            self.ingest.rfid.succeeded(device)
            metrics.ALIEN_MESSAGES.labels("committed").inc()
            return


def _reader_name(message: bytes) -> str | None:
    for line in message.decode("latin-1").splitlines():
        key, colon, value = line.strip().lstrip("#").partition(":")
        if colon and key.strip() == "ReaderName":
            return value.strip()
    return None
