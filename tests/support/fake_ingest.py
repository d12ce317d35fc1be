"""Contract peer for the store agent's tests: NOT the product's ingest.

What it is: a small real HTTP server on 127.0.0.1 that implements the
*semantics* of "Ingest HTTP contract (v1)" (docs/architecture.md) and nothing
more: Bearer tokens mapped to devices, per-device key memory (first time
``applied``, again ``duplicate``), ``rejected`` for codes it is told are bad,
``401`` for unknown tokens, ``422`` for malformed bodies. Tests can make it
answer 429/503 with ``Retry-After``, hold answers (to kill a client
mid-batch), or go down and come back on the same port.

How it works: ``http.server.ThreadingHTTPServer`` in a thread. It records
every application in ``applications`` (device, key, code) so a test can say
"each read applied exactly once"; the answer is sent after the read is
recorded, as the real ingest answers only after commit.

Caveats: it stores nothing on disk and knows no products; end-to-end tests
take their ingest URL from the ``ingest_url`` fixture so that they can be
pointed at the real ``rtstock serve`` once it exists.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OPERATIONS = {"sale", "return", "receipt", "transfer_out", "transfer_in", "scrap", "count"}


class FakeIngest:
    """A contract peer of the ingest; see the module docstring."""

    def __init__(
        self,
        tokens: dict[str, str] | None = None,
        port: int = 0,
        tls: tuple[str, str] | None = None,
    ) -> None:
        self.tokens = dict(tokens or {"test-token": "S01"})
        self.rejected_codes: set[str] = set()
        self.applications: list[tuple[str, str, str]] = []
        self.seen: set[tuple[str, str]] = set()
        self.requests = 0
        self.statuses: list[int] = []
        self.request_times: list[float] = []
        self.answer_delay_s = 0.0
        self._scripted: list[tuple[int, str | None]] = []
        self._lock = threading.Lock()
        self._port = port
        self._tls = tls
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- control -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        scheme = "https" if self._tls else "http"
        return f"{scheme}://127.0.0.1:{self._port}"

    def start(self) -> FakeIngest:
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # name fixed by http.server
                peer._handle(self)

            def log_message(self, *args) -> None:  # quiet test output
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        if self._tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self._tls)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._server.daemon_threads = True
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def down(self) -> None:
        """Stop listening: clients get 'connection refused' as when the ingest is down."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def up(self) -> None:
        """Listen again on the same port, remembering every key seen before."""
        if self._server is None:
            self.start()

    def script(self, *answers: tuple[int, str | None]) -> None:
        """Answer the next requests with these (status, Retry-After) before normal service."""
        with self._lock:
            self._scripted.extend(answers)

    def counts(self) -> Counter:
        """How many times each (device, key) was applied (exactly once means all 1)."""
        with self._lock:
            return Counter((device, key) for device, key, _ in self.applications)

    # -- the contract --------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.requests += 1
            self.request_times.append(time.monotonic())
            scripted = self._scripted.pop(0) if self._scripted else None
        if handler.path != "/v1/reads":
            return self._reply(handler, 404, {"error": "not found"})
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length)
        if scripted is not None:
            status, retry_after = scripted
            headers = {"Retry-After": retry_after} if retry_after is not None else {}
            return self._reply(handler, status, {"error": "scripted"}, headers)
        auth = handler.headers.get("Authorization", "")
        device = self.tokens.get(auth.removeprefix("Bearer ").strip())
        if device is None:
            return self._reply(handler, 401, {"error": "unknown token"})
        try:
            reads = json.loads(body)["reads"]
            assert isinstance(reads, list)
            assert all(isinstance(read["key"], str) for read in reads)
        except (ValueError, KeyError, TypeError, AssertionError):
            return self._reply(handler, 422, {"error": "malformed body"})
        results = []
        with self._lock:
            for read in reads:
                results.append(self._apply(device, read))
        if self.answer_delay_s:
            time.sleep(self.answer_delay_s)
        summary = Counter(result["status"] for result in results)
        self._reply(
            handler,
            200,
            {
                "results": results,
                "applied": summary["applied"],
                "duplicate": summary["duplicate"],
                "rejected": summary["rejected"],
            },
        )

    def _apply(self, device: str, read: dict) -> dict:
        key = read["key"]
        if (device, key) in self.seen:
            return {"key": key, "status": "duplicate", "reason": None, "event_id": None}
        self.seen.add((device, key))
        if not read.get("code") or read.get("op", "sale") not in OPERATIONS:
            reason = "malformed read"
        elif read["code"] in self.rejected_codes:
            reason = "unknown barcode"
        else:
            self.applications.append((device, key, read["code"]))
            return {
                "key": key,
                "status": "applied",
                "reason": None,
                "event_id": len(self.applications),
            }
        return {"key": key, "status": "rejected", "reason": reason, "event_id": None}

    def _reply(self, handler, status: int, payload: dict, headers: dict | None = None) -> None:
        data = json.dumps(payload).encode()
        with self._lock:
            self.statuses.append(status)
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client was killed mid-batch: exactly what some tests do
