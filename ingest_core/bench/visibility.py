"""Scan → visible: from the POST of a read to the moment Odoo's bus has it for the web client.

Why: an ack says the stock changed; a store's staff see it only when the live screens
do. Odoo's bus dispatcher LISTENs on ``imbus`` in the ``postgres`` database and, woken,
reads the new ``bus_bus`` rows and pushes them to the subscribed web clients. The
benchmark measures up to that point: the notification received and the row read that
carries the read's new quantity (the websocket hop to the browser is Odoo's, the same
for any write).

How it works: a probe device of the store sells and receives, in turn, one unit of a
product of its own (``RRSPROBE``, created for the run, so no other read's message
carries it) every ``every_s``, one read a request; a listener does what Odoo's
dispatcher does (LISTEN ``imbus``; on each notification, the ``bus_bus`` rows after the
last one seen) and pairs each message that carries the probe product with the oldest
probe not yet seen. The latency is from just before the POST to the row read.

Caveats: one probe at a time in flight (a probe waits for its answer), so the probe
adds about 5 reads/s to the load it measures.
"""

from __future__ import annotations

import contextlib
import json
import select
import threading
import time
from collections import deque

import httpx
import psycopg2
import psycopg2.extensions

from ingest_core.bench.stats import p99
from ingest_core.odoo.history import copy_products

PROBE_CODE = "RRSPROBE"


def create_probe_product(dsn: str) -> int:
    """The probe's own product (a copy of the first storable one); its id."""
    connection = psycopg2.connect(dsn)
    try:
        with connection, connection.cursor() as cur:
            return copy_products(cur, [PROBE_CODE], ["Scan-to-visible probe"], [1.0], 0.6,
                                 1)[PROBE_CODE]
    finally:
        connection.close()


class VisibilityProbe:
    def __init__(self, url: str, token: str, dsn: str, product_id: int,
                 every_s: float = 0.2) -> None:
        self.url, self.token, self.dsn = url, token, dsn
        self.product_id = product_id
        self.every_s = every_s
        self.latencies: list[float] = []
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._number = 0
        self._threads: list[threading.Thread] = []
        self._listening = threading.Event()

    def start(self) -> VisibilityProbe:
        self._stop.clear()
        self.latencies, self._sent = [], deque()
        self._threads = [threading.Thread(target=self._listen, name="probe-listen", daemon=True),
                         threading.Thread(target=self._post, name="probe-post", daemon=True)]
        self._threads[0].start()
        self._listening.wait(10)
        self._threads[1].start()
        return self

    def stop(self) -> dict:
        """Stop probing; the figures (ms) of the probes seen on the bus."""
        self._stop.set()
        for thread in self._threads:
            thread.join(10)
        seen = sorted(self.latencies)
        return {"probes": self._number, "seen": len(seen),
                "p50_ms": round(seen[len(seen) // 2] * 1000, 1) if seen else None,
                "p99_ms": round(p99(seen) * 1000, 1) if seen else None,
                "max_ms": round(seen[-1] * 1000, 1) if seen else None}

    def _post(self) -> None:
        with httpx.Client(timeout=30, headers={"Authorization": f"Bearer {self.token}"}) as client:
            while not self._stop.wait(self.every_s):
                self._number += 1
                read = {"key": f"probe:{time.time_ns()}", "code": PROBE_CODE, "qty": 1,
                        "op": "sale" if self._number % 2 else "receipt"}
                sent = time.perf_counter()
                with self._lock:
                    self._sent.append(sent)
                try:
                    response = client.post(f"{self.url}/v1/reads", json={"reads": [read]})
                    applied = (response.status_code == 200
                               and response.json()["results"][0]["status"] == "applied")
                except httpx.HTTPError:
                    applied = False
                if not applied:  # no bus message will carry it: not a probe to pair
                    with self._lock, contextlib.suppress(ValueError):
                        self._sent.remove(sent)

    def _listen(self) -> None:
        params = psycopg2.extensions.parse_dsn(self.dsn)
        waker = psycopg2.connect(**{**params, "dbname": "postgres"})
        waker.autocommit = True
        reader = psycopg2.connect(self.dsn)
        reader.autocommit = True
        try:
            with waker.cursor() as cur:
                cur.execute("LISTEN imbus")
            with reader.cursor() as cur:
                cur.execute("SELECT coalesce(max(id), 0) FROM bus_bus")
                last = cur.fetchone()[0]
            self._listening.set()
            while not self._stop.is_set():
                if not select.select([waker], [], [], 0.2)[0]:
                    continue
                waker.poll()
                waker.notifies.clear()
                with reader.cursor() as cur:
                    cur.execute("SELECT id, message FROM bus_bus WHERE id > %s ORDER BY id",
                                (last,))
                    rows = cur.fetchall()
                now = time.perf_counter()
                for row_id, message in rows:
                    last = row_id
                    if self._carries_probe(message):
                        with self._lock:
                            if self._sent:
                                self.latencies.append(now - self._sent.popleft())
        finally:
            waker.close()
            reader.close()

    def _carries_probe(self, message: str) -> bool:
        body = json.loads(message)
        if body.get("type") != "rrs_stock/quants":
            return False
        return any(quant[0] == self.product_id for quant in body["payload"]["quants"])
