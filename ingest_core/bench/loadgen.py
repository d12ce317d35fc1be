"""HTTP load generator for the scan benchmark: many simulated devices, one asyncio loop.

What it is: ``run_load`` drives ``POST /v1/reads`` from N devices either as fast
as the service acks (closed loop: each device posts its next batch when the
previous one is acked) or at a fixed total rate (open loop), and reports
reads/s applied and ack latency percentiles.

How it works: aiohttp, one kept-alive connection per device over loopback (a
lighter client than httpx: the generator shares the cores it measures); keys are
``<device>:<counter>`` so every read is new; products are drawn from a Zipf
(s = 1) popularity curve over the whole catalog, the long tail of store
sales; 90 % sales, 10 % receipts. It runs in its own process so its CPU is not
counted against the ingest's.

Caveats: on a 2-core machine the generator, the ingest and PostgreSQL share
the cores; the figures are end to end on that machine, not of the ingest alone.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from dataclasses import dataclass, field

import aiohttp
import msgspec

from ingest_core.odoo.catalog import ean13

encode = msgspec.json.Encoder().encode
JSON = {"content-type": "application/json"}


@dataclass
class LoadResult:
    reads: int = 0
    applied: int = 0
    rejected: int = 0
    requests: int = 0
    failures: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)

    def percentile(self, share: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000.0

    def as_dict(self) -> dict:
        return {"reads": self.reads, "applied": self.applied, "rejected": self.rejected,
                "requests": self.requests, "failures": self.failures,
                "seconds": round(self.seconds, 3),
                "events_per_s": round(self.applied / self.seconds, 1) if self.seconds else 0.0,
                "p50_ms": round(self.percentile(0.50), 2),
                "p99_ms": round(self.percentile(0.99), 2)}


async def _device(session: aiohttp.ClientSession, url: str, token: str, name: str, batch: int,
                  catalog: tuple[list[str], list[float]], seed: int, started: float,
                  stop_at: float, interval: float | None, result: LoadResult) -> None:
    rng = random.Random(seed)
    codes, cumulative = catalog
    counter = 0
    # Open loop: each device keeps its own phase, as independent scanners do; all devices
    # posting at the same instant would be one fleet-wide burst per interval, not a rate.
    next_at = started + (rng.random() * interval - interval if interval is not None else 0.0)
    headers = {**JSON, "Authorization": f"Bearer {token}"}
    while time.monotonic() < stop_at:
        if interval is not None:
            next_at += interval
            delay = next_at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        reads = []
        for code in rng.choices(codes, cum_weights=cumulative, k=batch):
            counter += 1
            reads.append({"key": f"{name}:{counter}", "code": code,
                          "op": "sale" if rng.random() < 0.9 else "receipt"})
        body = encode({"reads": reads})
        sent = time.monotonic()
        try:
            async with session.post(f"{url}/v1/reads", data=body,
                                    headers=headers) as response:
                status, content = response.status, await response.read()
                retry_after = response.headers.get("retry-after", "0.2")
        except (TimeoutError, aiohttp.ClientError):
            result.failures += 1
            continue
        if status != 200:
            result.failures += 1
            await asyncio.sleep(float(retry_after))
            continue
        result.latencies.append(time.monotonic() - sent)
        body = msgspec.json.decode(content)
        result.requests += 1
        result.reads += batch
        result.applied += body["applied"]
        result.rejected += body["rejected"]


async def _run(url, tokens, batch, products, seconds, rate) -> LoadResult:
    result = LoadResult()
    interval = None if rate is None else len(tokens) * batch / rate
    # One connection per device, kept alive, as a store's agents hold theirs.
    connector = aiohttp.TCPConnector(limit=len(tokens))
    # Built once, before the clock starts: 64 devices each building their own blocked the
    # loop for the first ~0.2 s of a phase, and the requests sent meanwhile counted it.
    codes = [ean13(index) for index in range(products)]
    # Store sales follow a long tail: product of popularity rank r sells ~ 1/r (Zipf, s=1).
    cumulative = list(itertools.accumulate(1.0 / (rank + 1) for rank in range(products)))
    async with aiohttp.ClientSession(connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=60)) as session:
        started = time.monotonic()
        stop_at = started + seconds
        await asyncio.gather(*(
            _device(session, url, token, f"bench{n}-{int(started * 1000)}", batch,
                    (codes, cumulative), n, started, stop_at, interval, result)
            for n, token in enumerate(tokens)))
        result.seconds = time.monotonic() - started
    return result


def run_load(url: str, tokens: list[str], *, batch: int = 100, products: int = 2000,
             seconds: float = 10.0, rate: float | None = None) -> LoadResult:
    """Closed loop when ``rate`` is None, else open loop at ``rate`` reads/s in total."""
    return asyncio.run(_run(url, tokens, batch, products, seconds, rate))
