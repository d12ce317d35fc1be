"""HTTP load generator for the scan benchmark: many simulated devices, one asyncio loop.

What it is: ``run_load`` drives ``POST /v1/reads`` from N devices either as fast
as the service acks (closed loop: each device posts its next batch when the
previous one is acked) or at a fixed total rate (open loop), and reports
reads/s applied and ack latency percentiles.

How it works: one ``httpx.AsyncClient`` per device over loopback; keys are
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

import httpx
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


async def _device(client: httpx.AsyncClient, url: str, name: str, batch: int, products: int,
                  seed: int, started: float, stop_at: float, interval: float | None,
                  result: LoadResult) -> None:
    rng = random.Random(seed)
    codes = [ean13(index) for index in range(products)]
    # Store sales follow a long tail: product of popularity rank r sells ~ 1/r (Zipf, s=1).
    cumulative = list(itertools.accumulate(1.0 / (rank + 1) for rank in range(products)))
    counter = 0
    # Open loop: each device keeps its own phase, as independent scanners do; all devices
    # posting at the same instant would be one fleet-wide burst per interval, not a rate.
    next_at = started + (rng.random() * interval - interval if interval is not None else 0.0)
    async with client:
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
                response = await client.post(f"{url}/v1/reads", content=body,
                                             headers=JSON)
            except httpx.HTTPError:
                result.failures += 1
                continue
            if response.status_code != 200:
                result.failures += 1
                await asyncio.sleep(float(response.headers.get("retry-after", "0.2")))
                continue
            result.latencies.append(time.monotonic() - sent)
            body = msgspec.json.decode(response.content)
            result.requests += 1
            result.reads += batch
            result.applied += body["applied"]
            result.rejected += body["rejected"]


async def _run(url, tokens, batch, products, seconds, rate) -> LoadResult:
    result = LoadResult()
    # Clients first (each builds an SSL context, ~10 ms of blocked loop): created while
    # devices already post, they would delay those devices' posts into one burst.
    clients = [httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60)
               for token in tokens]
    interval = None if rate is None else len(tokens) * batch / rate
    started = time.monotonic()
    stop_at = started + seconds
    await asyncio.gather(*(
        _device(client, url, f"bench{n}-{int(started * 1000)}", batch, products, n, started,
                stop_at, interval, result) for n, client in enumerate(clients)))
    result.seconds = time.monotonic() - started
    return result


def run_load(url: str, tokens: list[str], *, batch: int = 100, products: int = 2000,
             seconds: float = 10.0, rate: float | None = None) -> LoadResult:
    """Closed loop when ``rate`` is None, else open loop at ``rate`` reads/s in total."""
    return asyncio.run(_run(url, tokens, batch, products, seconds, rate))
