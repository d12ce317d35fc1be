"""Locust users for every device kind a store points at the ingest, all at once.

What it is: one user class per device kind, each user one device with its own
token: a store agent forwarding scanner batches (``ScannerAgentUser``), POS
gates selling what they see (``PosGateUser``, Impinj R700 webhook), exit
readers (``ImpinjExitUser``, ``ZebraExitUser``), a dock reader receiving a
delivery (``DockReaderUser``, Zebra IoT Connector), a handheld counting
(``HandheldCountUser``: open a session, sweep, close) and a back-office
screen polling health and metrics (``BackOfficeReader``). Request names are
the kinds of ``load_tests/report.py``; weights, wait times and batch sizes,
and why they resemble a store, are in ``load_tests/README.md``.

How it works: tokens come from ``RTSTOCK_LOAD_TOKENS`` (JSON: pool -> tokens,
one per device; ``load_tests/run.py`` provisions them); users of a pool take
its tokens in turn, so no two users share a device. Payloads come from the
seeded simulators in ``hardware.simulators``, stamped with the wall clock.
EPC serials are unique per user (``SerialBlocks``), so every tag is new:
a dock receives only EPCs never seen, and no kind moves another's tags.
Each request says how many reads it carries (``context``); a listener adds up
those of successful requests per kind and, when the run stops, writes them
with locust's final stats per kind and the run's duration to the JSON file
``RTSTOCK_LOAD_RESULT_FILE`` names.

Caveats: only loopback hosts are allowed (``--host http://127.0.0.1:PORT``).
A handheld whose close failed retries the close before it opens another
session: a device has at most one open session. A run cut short leaves the
last session of each handheld open.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

import msgspec
from locust import HttpUser, between, events, task

from hardware.simulators import catalog, vendor
from ingest_core.odoo.catalog import LOT_TRACKED_TAIL, ean13

TOKENS: dict[str, list[str]] = json.loads(os.environ.get("RTSTOCK_LOAD_TOKENS", "{}"))
#: Products 0..N-1 carry no lot (the last ones of the catalogue are lot-tracked: a tag
#: without AI 10 of those is rejected, which is not what this suite measures).
PRODUCTS = catalog.PRODUCT_COUNT - LOT_TRACKED_TAIL
#: The simulators stamp a read ``at_s`` seconds after the start of their simulated day;
#: a load run stamps reads with the wall clock, as real readers do.
SIMULATED_DAY_START = vendor._BASE.timestamp()

_encode = msgspec.json.Encoder().encode
_taken: Counter[str] = Counter()  # tokens of each pool handed out so far
_reads: Counter[str] = Counter()  # reads carried by successful requests, per kind
_clock: dict[str, float] = {}


@events.test_start.add_listener
def _loopback_only(environment, **_kwargs) -> None:
    host = urlparse(environment.host or "").hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"refusing to load {host!r}: loopback targets only")
    _clock["start"] = time.monotonic()


@events.request.add_listener
def _count_reads(name, exception, context, **_kwargs) -> None:
    if exception is None and context:
        _reads[name] += context.get("reads", 0)


@events.test_stop.add_listener
def _write_result(environment, **_kwargs) -> None:
    """Locust's final stats per request name with the reads they carried, and the duration.

    Written here, after the users stopped, rather than read from the stats CSV,
    which locust rewrites only every second: these figures are final.
    """
    path = os.environ.get("RTSTOCK_LOAD_RESULT_FILE")
    if not path or "start" not in _clock:
        return
    entries = {entry.name: entry for entry in environment.stats.entries.values()}
    entries["Aggregated"] = environment.stats.total
    Path(path).write_text(json.dumps({
        "duration_s": time.monotonic() - _clock["start"],
        "stats": {name: {"requests": entry.num_requests, "failures": entry.num_failures,
                         "p50_ms": entry.get_response_time_percentile(0.5),
                         "p99_ms": entry.get_response_time_percentile(0.99),
                         "reads": _reads[name]} for name, entry in entries.items()}}))


class SerialBlocks:
    """SGTIN-96 serials unique per run and user: 10 bits of run, 10 of block, 18 of tag.

    A user draws a block of 2^18 serials and draws another when it runs out; the
    run's random high bits make a clash between two runs against one long-lived
    database unlikely (1 in 1 024).
    """

    RUN = random.SystemRandom().getrandbits(10)
    _blocks = itertools.count()

    def __init__(self) -> None:
        self._serials = iter(())

    def __next__(self) -> int:
        serial = next(self._serials, None)
        if serial is None:
            block = next(self._blocks)
            if block >= 1 << 10:
                raise RuntimeError("SGTIN-96 serials of this run exhausted (2^28 tags)")
            base = (self.RUN << 28) | (block << 18)
            self._serials = iter(range(base, base + (1 << 18)))
            serial = next(self._serials)
        return serial


class _Device(HttpUser):
    """One device of pool ``pool``: its own token, generator, serials and read keys."""

    abstract = True
    pool = ""

    def on_start(self) -> None:
        tokens = TOKENS.get(self.pool) or []
        number = _taken[self.pool]
        _taken[self.pool] += 1
        if number >= len(tokens):
            raise RuntimeError(f"{len(tokens)} {self.pool!r} tokens in RTSTOCK_LOAD_TOKENS "
                               f"for more {self.pool!r} users: one device per user")
        self.headers = {"Authorization": f"Bearer {tokens[number]}",
                        "Content-Type": "application/json"}
        self.device_name = f"{self.pool}-{number}-{random.getrandbits(32):08x}"
        self.rng = random.Random(f"{self.pool}-{number}")
        self.serials = SerialBlocks()
        self.sequence = itertools.count()

    def post(self, path: str, payload, name: str, reads: int = 0) -> dict | None:
        """POST; a non-200 answer is a failure; the answer's JSON, or None."""
        with self.client.post(path, data=_encode(payload), headers=self.headers, name=name,
                              context={"reads": reads}, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}: {response.text[:200]}")
                return None
            return response.json()

    def tag_events(self, tags: int, max_sightings: int, build) -> list:
        """Events of ``tags`` new tags, each seen 1..``max_sightings`` times, interleaved
        as a reader reports them; ``build(epc, at_s)`` makes one vendor event."""
        now = time.time() - SIMULATED_DAY_START
        events_ = []
        for _ in range(tags):
            epc = catalog.sgtin96(self.rng.randrange(PRODUCTS), next(self.serials))
            for sighting in range(self.rng.randint(1, max_sightings)):
                events_.append(build(epc, now - 0.2 * sighting))
        self.rng.shuffle(events_)
        return events_

    def impinj(self, epc: str, at_s: float) -> dict:
        return vendor.impinj_r700_event(self.rng, epc, at_s, self.device_name)

    def zebra(self, epc: str, at_s: float) -> dict:
        return vendor.zebra_iot_event(self.rng, epc, at_s, next(self.sequence))


class ScannerAgentUser(_Device):
    """A store agent forwarding its tills' queue: batches of 50 scans."""

    pool = "scanner"
    weight = 3
    wait_time = between(0.3, 0.9)

    @task
    def scan_batch(self) -> None:
        reads = []
        for _ in range(50):
            draw = self.rng.random()
            op = "sale" if draw < 0.85 else "return" if draw < 0.90 else "receipt"
            reads.append({"key": f"{self.device_name}:{next(self.sequence)}", "op": op,
                          "code": ean13(self.rng.randrange(PRODUCTS))})
        self.post("/v1/reads", {"reads": reads}, "scanner_batch", len(reads))


class PosGateUser(_Device):
    """A POS gate (Impinj R700 webhook): one basket per post, each new tag a sale."""

    pool = "pos_gate"
    weight = 3
    wait_time = between(0.5, 1.5)

    @task
    def basket(self) -> None:
        events_ = self.tag_events(self.rng.randint(1, 8), 4, self.impinj)
        self.post("/v1/rfid/impinj", events_, "pos_gate", len(events_))


class ImpinjExitUser(_Device):
    """An exit reader (Impinj R700 webhook) posting what passed its door since the last post."""

    pool = "exit"
    weight = 1
    wait_time = between(0.5, 1.5)

    @task
    def webhook(self) -> None:
        events_ = self.tag_events(40, 3, self.impinj)
        self.post("/v1/rfid/impinj", events_, "exit_impinj", len(events_))


class ZebraExitUser(_Device):
    """An exit reader (Zebra IoT Connector) posting batches of data events."""

    pool = "exit"
    weight = 1
    wait_time = between(0.5, 1.5)

    @task
    def data_events(self) -> None:
        events_ = self.tag_events(40, 3, self.zebra)
        self.post("/v1/rfid/zebra", events_, "exit_zebra", len(events_))


class DockReaderUser(_Device):
    """A dock door (Zebra IoT Connector) reading cartons of a delivery: receipts of new EPCs."""

    pool = "dock"
    fixed_count = 1
    wait_time = between(1.0, 3.0)

    @task
    def cartons(self) -> None:
        events_ = self.tag_events(200, 5, self.zebra)
        self.post("/v1/rfid/zebra", events_, "dock", len(events_))


class HandheldCountUser(_Device):
    """An RFID handheld counting: open a session, sweep ``SWEEPS`` times, close; again.

    Every other session is applied at close (``auto_apply``: count moves through
    the group-commit writer); the others leave Odoo counts for a manager to apply.
    """

    pool = "handheld"
    fixed_count = 1
    wait_time = between(0.3, 1.0)
    SWEEPS = 4

    def on_start(self) -> None:
        super().on_start()
        self.session_id: int | None = None
        self.sweeps = 0
        self.sessions = 0

    @task
    def step(self) -> None:
        if self.session_id is None:
            session = self.post("/v1/count-sessions", {
                "auto_apply": self.sessions % 2 == 0, "per_device": True,
                "name": f"load {self.device_name} #{self.sessions}"}, "count_open")
            if session is not None:
                self.session_id, self.sweeps = session["id"], 0
                self.sessions += 1
        elif self.sweeps < self.SWEEPS:
            events_ = self.tag_events(100, 2, self.impinj)
            self.post("/v1/rfid/impinj", events_, "count_tags", len(events_))
            self.sweeps += 1
        elif self.post(f"/v1/count-sessions/{self.session_id}/close", {},
                       "count_close") is not None:
            self.session_id = None


class BackOfficeReader(HttpUser):
    """A back-office screen polling the service's health (journal lag) and metrics."""

    fixed_count = 1
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        self.polls = 0

    @task
    def poll(self) -> None:
        """Health every poll, metrics every third, starting with the first: in turn rather
        than by chance, so a short run has both (a 10 s run once drew no metrics)."""
        if self.polls % 3 == 0:
            self.client.get("/metrics", name="metrics")
        self.client.get("/healthz", name="healthz")
        self.polls += 1
