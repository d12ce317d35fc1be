"""Locust users for every device kind that talks to the ingest.

What it is: one user class per device kind: a store agent posting scan
batches, an Impinj R700 webhook, a Zebra IoT Connector posting data events,
and a back-office reader polling the ingest's health and metrics (the live
stock a back office sees comes from Odoo itself, fed by the same commits).

How it works: each simulated device has its own token, taken from
``RTSTOCK_LOAD_TOKENS`` (JSON: kind -> list of tokens; ``load_tests/run.py``
provisions them); payloads come from the seeded simulators in
``hardware.simulators``, so they are exactly what the real devices send.
Keys are unique per user, so every read is new.

Caveats: only loopback hosts are allowed (``--host http://127.0.0.1:PORT``).
"""

from __future__ import annotations

import itertools
import json
import os
import random
from urllib.parse import urlparse

import msgspec
from locust import HttpUser, between, events, task

from hardware.simulators import catalog, vendor
from ingest_core.odoo.catalog import ean13

TOKENS: dict[str, list[str]] = json.loads(os.environ.get("RTSTOCK_LOAD_TOKENS", "{}"))
_encode = msgspec.json.Encoder().encode
_ids = itertools.count()


@events.test_start.add_listener
def _loopback_only(environment, **_kwargs) -> None:
    host = urlparse(environment.host or "").hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"refusing to load {host!r}: loopback targets only")


class _Device(HttpUser):
    abstract = True
    kind = ""

    def on_start(self) -> None:
        number = next(_ids)
        pool = TOKENS.get(self.kind) or []
        if not pool:
            raise RuntimeError(f"no token for {self.kind}: set RTSTOCK_LOAD_TOKENS")
        self.token = pool[number % len(pool)]
        self.name_prefix = f"{self.kind}-{number}-{random.getrandbits(32):08x}"
        self.rng = random.Random(number)
        self.counter = itertools.count()
        self.headers = {"Authorization": f"Bearer {self.token}",
                        "Content-Type": "application/json"}

    def post(self, path: str, payload, name: str) -> None:
        with self.client.post(path, data=_encode(payload), headers=self.headers, name=name,
                              catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}: {response.text[:200]}")


class ScannerAgentUser(_Device):
    """A store agent forwarding its queue: batches of 50 scans."""

    kind = "scanner"
    wait_time = between(0.05, 0.2)

    @task
    def scan_batch(self) -> None:
        reads = [{"key": f"{self.name_prefix}:{next(self.counter)}",
                  "code": ean13(self.rng.randrange(1900)),
                  "op": "sale" if self.rng.random() < 0.9 else "return"} for _ in range(50)]
        self.post("/v1/reads", {"reads": reads}, "scanner batch")


class ImpinjWebhookUser(_Device):
    """An Impinj R700 webhook: JSON arrays of tagInventory events."""

    kind = "impinj"
    wait_time = between(0.1, 0.3)

    @task
    def webhook(self) -> None:
        events_ = [vendor.impinj_r700_event(
            self.rng, catalog.sgtin96(self.rng.randrange(1900), next(self.counter)),
            self.rng.random() * 10, self.name_prefix) for _ in range(100)]
        self.post("/v1/rfid/impinj", events_, "impinj webhook")


class ZebraConnectorUser(_Device):
    """A Zebra FX IoT Connector posting batches of data events."""

    kind = "zebra"
    wait_time = between(0.1, 0.3)

    @task
    def data_events(self) -> None:
        events_ = [vendor.zebra_iot_event(
            self.rng, catalog.sgtin96(self.rng.randrange(1900), next(self.counter)),
            self.rng.random() * 10, next(self.counter)) for _ in range(100)]
        self.post("/v1/rfid/zebra", events_, "zebra data")


class BackOfficeReader(HttpUser):
    """A back-office screen polling the service's health (journal lag) and metrics."""

    wait_time = between(0.5, 1.5)

    @task(3)
    def health(self) -> None:
        self.client.get("/healthz", name="healthz")

    @task(1)
    def metrics(self) -> None:
        self.client.get("/metrics", name="metrics")
