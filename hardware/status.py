"""Local status endpoint of the store agent (loopback only).

What it is: ``GET /status`` answers JSON with the queue depth, the oldest
unsent read and its age, disk use against the bound and the alarm, the
forwarder's last ack and last error, and each device's state; ``GET
/healthz`` answers 200 while the queue is under its alarm threshold and
503 otherwise, for a store's monitoring to poll.

How it works: a ``ThreadingHTTPServer`` in a daemon thread calls a snapshot
function supplied by the agent, so this module knows nothing of the agent's
parts.

Caveats: it binds only to loopback addresses (127.0.0.1 or ::1) on purpose:
it has no authentication. A ``status_host`` that is not loopback is refused.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_logger = logging.getLogger(__name__)


class StatusServer:
    """Serves ``snapshot()`` as JSON on a loopback port."""

    def __init__(self, host: str, port: int, snapshot: Callable[[], dict[str, Any]]) -> None:
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"status endpoint must bind a loopback address, not {host}")
        server_snapshot = snapshot

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # name fixed by http.server
                if self.path in ("/status", "/"):
                    self._send(200, server_snapshot())
                elif self.path == "/healthz":
                    state = server_snapshot()
                    self._send(
                        503 if state["queue"]["alarm"] else 200, {"alarm": state["queue"]["alarm"]}
                    )
                else:
                    self._send(404, {"error": "try /status or /healthz"})

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload, indent=1).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:  # polled often: keep the log for events
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="status", daemon=True
        )

    @property
    def port(self) -> int:
        """The bound port (useful when configured as 0)."""
        return self._server.server_address[1]

    def start(self) -> None:
        self._thread.start()
        _logger.info("status endpoint on http://127.0.0.1:%d/status", self.port)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
