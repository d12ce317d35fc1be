"""HTTP load generator for the scan benchmark: many simulated devices, one asyncio loop.

What it is: ``run_load`` drives the ingest from N devices either as fast as the
service acks (closed loop: each device posts its next batch when the previous
one is acked) or at a fixed total rate (open loop), and reports reads/s
applied and ack latency percentiles, overall and per device kind.

How it works: aiohttp, one kept-alive connection per device over loopback (a
lighter client than httpx: the generator shares the cores it measures).
Products are drawn from a Zipf (s = 1) popularity curve over the whole
catalog, the long tail of store sales. Each device has a kind:

* ``scanner``: a store agent, ``POST /v1/reads``, keys ``<device>:<counter>``
  so every read is new; 90 % sales, 10 % receipts;
* ``pos_gate`` (Impinj R700 webhook), ``exit`` (Zebra IoT Connector),
  ``dock`` (Impinj, receipts): fixed RFID readers posting tags of units never
  seen before (the serial carries the phase, the device and a counter), so
  each tag is one movement;
* ``count``: an RFID handheld in a count session (opened before its first
  request, closed when the phase ends: the close is timed apart), whose tags
  are counted, not moved. A person walks it through a department: in a
  closed loop it posts ``HANDHELD_TAGS_PER_S`` (as fast as acks come it would
  take the largest share, its requests waiting for no group); in an open loop
  its share of the rate, like every device.

``MIXED`` is the share of each kind in a store's traffic (``docs/benchmarks.md``
says why). It runs in its own process so its CPU is not counted against the
ingest's.

Caveats: on a 2-core machine the generator, the ingest and PostgreSQL share
the cores; the figures are end to end on that machine, not of the ingest alone.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import itertools
import random
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

import aiohttp
import msgspec

from hardware.simulators.catalog import sgtin96
from ingest_core.chain.demand import weights
from ingest_core.decode.epc_encode import encode_sgtin96
from ingest_core.odoo.catalog import ean13

encode = msgspec.json.Encoder().encode
JSON = {"content-type": "application/json"}
KINDS = ("scanner", "pos_gate", "exit", "dock", "count")
#: Devices of each kind in 16 of a store's (so also its share of reads: every device
#: posts batches of the same size at the same pace): tills and handheld scanners
#: through store agents, RFID gates at the tills, exit readers, the receiving dock,
#: a handheld counting a department.
MIXED = {"scanner": 10, "pos_gate": 2, "exit": 2, "dock": 1, "count": 1}
#: A handheld's pace in a count (Zebra RFD40-class readers read ~1 300 tags/s at most; a
#: person sweeping shelves posts a few hundred new tags a second).
HANDHELD_TAGS_PER_S = 600.0
#: Device kind, RFID role and operations of each load kind (``devices.provision``).
PROVISION = {"scanner": ("scanner", None, ("sale", "receipt")),
             "pos_gate": ("pos_gate", "pos_gate", ("sale",)),
             "exit": ("rfid_fixed", "exit", ("sale",)),
             "dock": ("rfid_fixed", "dock", ("receipt",)),
             "count": ("rfid_handheld", "count", ("count",))}


def mixed_kinds(devices: int) -> list[str]:
    """``devices`` kinds in ``MIXED``'s proportions, interleaved (both stores get each)."""
    pattern = [kind for kind, share in MIXED.items() for _ in range(share)]
    spread = [pattern[(n * 7) % len(pattern)] for n in range(len(pattern))]  # 7 is coprime to 16
    return [spread[n % len(spread)] for n in range(devices)]


@dataclass
class LoadResult:
    reads: int = 0
    applied: int = 0
    rejected: int = 0
    counted: int = 0  # tags added to count sessions (not events until a session applies)
    requests: int = 0
    failures: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    by_kind: dict[str, LoadResult] = field(default_factory=dict)
    closes: list[float] = field(default_factory=list)  # count session closes, seconds

    def kind(self, name: str) -> LoadResult:
        return self.by_kind.setdefault(name, LoadResult())

    def percentile(self, share: float, values: list[float] | None = None) -> float:
        values = self.latencies if values is None else values
        if not values:
            return 0.0
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000.0

    def as_dict(self) -> dict:
        result = {"reads": self.reads, "applied": self.applied, "rejected": self.rejected,
                  "requests": self.requests, "failures": self.failures,
                  "seconds": round(self.seconds, 3),
                  "events_per_s": round(self.applied / self.seconds, 1) if self.seconds else 0.0,
                  "p50_ms": round(self.percentile(0.50), 2),
                  "p99_ms": round(self.percentile(0.99), 2)}
        if len(self.by_kind) > 1 or self.counted:
            result["reads_per_s"] = round(self.reads / self.seconds, 1) if self.seconds else 0.0
            result["counted"] = self.counted
            result["kinds"] = {}
            for name, part in sorted(self.by_kind.items()):
                timed = dataclasses.replace(part, seconds=self.seconds)  # the phase's clock
                result["kinds"][name] = {
                    **{key: value for key, value in timed.as_dict().items() if key != "seconds"},
                    "reads_per_s": round(part.reads / self.seconds, 1) if self.seconds else 0.0}
                if name == "count":
                    result["kinds"][name]["counted"] = part.counted
        if self.closes:
            result["count_closes"] = len(self.closes)
            result["count_close_max_ms"] = round(max(self.closes) * 1000.0, 1)
        return result


@dataclass
class _Catalog:
    """Built once, before the clock starts: 64 devices each building their own blocked the
    loop for the first ~0.2 s of a phase, and the requests sent meanwhile counted it."""

    codes: list[str]
    cumulative: list[float]
    indices: list[int]
    #: SGTIN-96 of each product with serial 0: a unit's EPC is ``stem | serial`` (the
    #: serial is the low 38 bits), 0.3 µs instead of the encoder's 4.4 µs
    stems: list[int] = field(default_factory=list)

    def epc(self, index: int, serial: int) -> str:
        return f"{self.stems[index] | serial:024X}"


#: The vendors' tag events as the simulators write them (``hardware.simulators.vendor``),
#: filled in by ``%``: the generator shares the cores it measures, and building each
#: event as a dict cost 12-16 µs a tag (a scan read: 1.3 µs).
IMPINJ_EVENT = ('{"timestamp":"%s","hostname":"%s","eventType":"tagInventory",'
                '"tagInventoryEvent":{"epc":"%s","epcHex":"%s","antennaPort":%d,'
                '"antennaName":"Antenna %d","peakRssiCdbm":%d,"frequency":%d,'
                '"transmitPowerCdbm":3000,"lastSeenTime":"%s"}}')
ZEBRA_EVENT = ('{"type":"SIMPLE","timestamp":"%s","data":{"eventNum":%d,"format":"epc",'
               '"idHex":"%s","antenna":%d,"peakRssi":%d,"reads":%d,"channel":%s}}')
FREQUENCIES = (902750, 915250, 920250, 927250)


class _Device:
    """One simulated device: builds its requests, reads the answers."""

    def __init__(self, kind: str, number: int, name: str, batch: int, catalog: _Catalog,
                 serial_base: int) -> None:
        self.kind, self.name, self.batch, self.catalog = kind, name, batch, catalog
        self.rng = random.Random(number)
        self.counter = 0
        self.serial = serial_base  # RFID: every tag a unit never seen before
        self.session_id: int | None = None

    def request(self) -> tuple[str, bytes]:
        """(path, body) of the next request."""
        rng, catalog = self.rng, self.catalog
        if self.kind == "scanner":
            reads = []
            for code in rng.choices(catalog.codes, cum_weights=catalog.cumulative,
                                    k=self.batch):
                self.counter += 1
                reads.append({"key": f"{self.name}:{self.counter}", "code": code,
                              "op": "sale" if rng.random() < 0.9 else "receipt"})
            return "/v1/reads", encode({"reads": reads})
        now = datetime.now(UTC)
        tags = []
        if self.kind == "exit":  # Zebra IoT Connector
            stamp = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}+0000"
            for index in rng.choices(catalog.indices, cum_weights=catalog.cumulative,
                                     k=self.batch):
                self.serial += 1
                self.counter += 1
                tags.append(ZEBRA_EVENT % (
                    stamp, self.counter, catalog.epc(index, self.serial).lower(),
                    rng.randint(1, 4), rng.randint(-75, -35), rng.randint(1, 5),
                    FREQUENCIES[self.counter % 4] / 1000))
            return "/v1/rfid/zebra", ("[" + ",".join(tags) + "]").encode()
        stamp = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        for index in rng.choices(catalog.indices, cum_weights=catalog.cumulative, k=self.batch):
            self.serial += 1
            epc = catalog.epc(index, self.serial)
            antenna = rng.randint(1, 4)
            tags.append(IMPINJ_EVENT % (
                stamp, self.name, base64.b64encode(bytes.fromhex(epc)).decode(), epc, antenna,
                antenna, rng.randint(-7500, -3500), FREQUENCIES[self.serial % 4], stamp))
        return "/v1/rfid/impinj", ("[" + ",".join(tags) + "]").encode()

    def count(self, answer: dict, result: LoadResult) -> None:
        part = result.kind(self.kind)
        for target in (result, part):
            target.requests += 1
            target.reads += self.batch
            if self.kind == "count":
                target.counted += answer.get("counted", 0)
            else:
                target.applied += answer.get("applied", 0)
                target.rejected += answer.get("rejected", 0)


async def _post(session: aiohttp.ClientSession, url: str, body: bytes,
                headers: dict) -> tuple[int, bytes, str]:
    async with session.post(url, data=body, headers=headers) as response:
        return (response.status, await response.read(),
                response.headers.get("retry-after", "0.2"))


async def _drive(session: aiohttp.ClientSession, url: str, token: str, device: _Device,
                 started: float, stop_at: float, interval: float | None,
                 result: LoadResult) -> None:
    rng = device.rng
    if device.kind == "count" and interval is None:  # open loop: its share, like the others
        interval = device.batch / HANDHELD_TAGS_PER_S
    # Open loop: each device keeps its own phase, as independent devices do; all devices
    # posting at the same instant would be one fleet-wide burst per interval, not a rate.
    next_at = started + (rng.random() * interval - interval if interval is not None else 0.0)
    headers = {**JSON, "Authorization": f"Bearer {token}"}
    if device.kind == "count":
        status, content, _retry = await _post(session, f"{url}/v1/count-sessions", b"{}",
                                              headers)
        if status != 200:
            raise RuntimeError(f"count session not opened: {status} {content[:200]!r}")
        device.session_id = msgspec.json.decode(content)["id"]
    while time.monotonic() < stop_at:
        if interval is not None:
            next_at += interval
            delay = next_at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        path, body = device.request()
        sent = time.monotonic()
        try:
            status, content, retry_after = await _post(session, url + path, body, headers)
        except (TimeoutError, aiohttp.ClientError):
            result.failures += 1
            result.kind(device.kind).failures += 1
            continue
        if status != 200:
            result.failures += 1
            result.kind(device.kind).failures += 1
            await asyncio.sleep(float(retry_after))
            continue
        latency = time.monotonic() - sent
        result.latencies.append(latency)
        result.kind(device.kind).latencies.append(latency)
        device.count(msgspec.json.decode(content), result)
    if device.session_id is not None:
        sent = time.monotonic()
        status, content, _retry = await _post(
            session, f"{url}/v1/count-sessions/{device.session_id}/close", b"{}", headers)
        if status != 200:
            result.failures += 1
            result.kind("count").failures += 1
        result.closes.append(time.monotonic() - sent)


def _catalog(products: int, chain: bool, zipf: float = 1.0) -> _Catalog:
    """The dump's products (``ean13``), or a generated chain's (``chain_history.barcode``,
    GS1 prefix 4099999); store sales follow a long tail: the product of popularity rank
    r sells ~ r^-zipf (Zipf; the chain benchmark's exponent is fitted to the real year,
    ``chain.demand``)."""
    if chain:
        from ingest_core.odoo.chain_history import BARCODE_PREFIX, barcode

        codes = [barcode(index + 1) for index in range(products)]
        stems = [int(encode_sgtin96(BARCODE_PREFIX, f"0{index + 1:05d}", 0, 1), 16)
                 for index in range(products)]
    else:
        codes = [ean13(index) for index in range(products)]
        stems = [int(sgtin96(index, 0), 16) for index in range(products)]
    return _Catalog(codes,
                    list(itertools.accumulate(weights(products, zipf))),
                    list(range(products)), stems)


async def _run(url, tokens, kinds, batch, products, seconds, rate, phase,
               chain=False, zipf=1.0) -> LoadResult:
    result = LoadResult()
    interval = None if rate is None else len(tokens) * batch / rate
    # One connection per device, kept alive, as a store's agents hold theirs.
    connector = aiohttp.TCPConnector(limit=len(tokens))
    catalog = _catalog(products, chain, zipf)
    async with aiohttp.ClientSession(connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=60)) as session:
        started = time.monotonic()
        stop_at = started + seconds
        # SGTIN-96 serials (38 bits): 8 of the phase, 6 of the device, 24 of a counter
        devices = [_Device(kind, n, f"bench{n}-{int(started * 1000)}", batch, catalog,
                           ((phase % 256 * 64 + n % 64) << 24))
                   for n, kind in enumerate(kinds)]
        await asyncio.gather(*(
            _drive(session, url, token, device, started, stop_at, interval, result)
            for token, device in zip(tokens, devices, strict=True)))
        result.seconds = time.monotonic() - started
    return result


def run_load(url: str, tokens: list[str], *, batch: int = 100, products: int = 2000,
             seconds: float = 10.0, rate: float | None = None,
             kinds: list[str] | None = None, phase: int = 0, chain: bool = False,
             zipf: float = 1.0) -> LoadResult:
    """Closed loop when ``rate`` is None, else open loop at ``rate`` reads/s in total.

    ``kinds``: each token's device kind (``KINDS``); scanners when omitted. ``phase``
    (0..255) keeps one run's RFID tags apart from another's on the same database.
    ``chain``: sell a generated chain's products (``rtstock chain generate``); ``zipf``:
    the popularity law's exponent.
    """
    kinds = kinds or ["scanner"] * len(tokens)
    return asyncio.run(_run(url, tokens, kinds, batch, products, seconds, rate, phase, chain,
                            zipf))


def load_as_dict(url: str, tokens: list[str], **options) -> dict:
    """``run_load(...).as_dict()``: the entry a worker process runs (picklable)."""
    return run_load(url, tokens, **options).as_dict()


def load_in_process(url: str, tokens: list[str], **options) -> dict:
    """``run_load`` in a process of its own, so its CPU is not counted as the measured
    side's; ``options`` as ``run_load``'s."""
    with ProcessPoolExecutor(1) as pool:
        return pool.submit(load_as_dict, url, tokens, **options).result()
