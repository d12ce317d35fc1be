"""``rtstock bench rfid``: EPC decode rates and an RFID cycle count end to end over HTTP.

What it is: one run that measures (1) SGTIN-96 decodes per second on one
core, compiled and pure Python (``ingest_core.bench.epc``); (2) a cycle count
of ``TAGS`` tags, each read ``READS_PER_TAG`` times (1 M reads), posted by
``DEVICES`` handheld readers in their vendors' own formats (half Impinj R700
``tagInventory`` arrays, half Zebra IoT Connector arrays) to
``/v1/rfid/impinj|zebra`` of a real ``rtstock serve`` against the genuine
Odoo 18 database (or the own schema where ``shared/odoo18`` is absent):
reads/s from the first request to the last ack, ack latency percentiles,
the ingest's RSS, and the time to close the session (comparison with the
quants, written as Odoo counts). The run checks that the session counted
every tag exactly once.

How it works: PostgreSQL runs durable (fsync on). Payloads are generated
before the clock starts, in the load process (a separate process, so its CPU
is not the ingest's); each reader sweeps its shelves as a handheld does (64
tags at a time, each read 20 times in random order) and posts
``EVENTS_PER_POST`` events per request, one request at a time.

Caveats: the 2-core machine runs the load generator, the ingest and
PostgreSQL together; figures are end to end on that machine.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import threading
import time
from concurrent.futures import ProcessPoolExecutor

import httpx

from ingest_core.bench.epc import measure_decode_rate
from ingest_core.bench.process import IngestProcess, rss_mb
from ingest_core.db.pgembed import EmbeddedPostgres
from ingest_core.odoo import templates
from ingest_core.resolve.devices import provision

TAGS = 50_000
READS_PER_TAG = 20
DEVICES = 4
EVENTS_PER_POST = 5_000
SHELF = 64
PRODUCTS = 2000


def decode_rates() -> dict:
    from ingest_core.decode.fallback import epc as pure

    result = {"python_per_s": round(measure_decode_rate(pure, 50_000, 2.0))}
    try:
        from ingest_core.decode._speedups import epc as compiled
    except ImportError:
        result["cython_per_s"] = None
        return result
    result["cython_per_s"] = round(measure_decode_rate(compiled, 200_000, 2.0))
    result["ratio"] = round(result["cython_per_s"] / result["python_per_s"], 1)
    return result


def payloads(device: int, devices: int, tags: int, reads_per_tag: int) -> list[bytes]:
    """The requests of one handheld: its share of the tags, swept shelf by shelf."""
    from hardware.simulators import catalog
    from hardware.simulators.vendor import impinj_r700_event, zebra_iot_event

    rng = random.Random(device)
    mine = [catalog.sgtin96(serial % PRODUCTS, serial) for serial in range(device, tags, devices)]
    zebra = device % 2 == 1
    events, at, bodies = [], 0.0, []
    for start in range(0, len(mine), SHELF):
        reads = [code for code in mine[start:start + SHELF] for _ in range(reads_per_tag)]
        rng.shuffle(reads)
        for code in reads:
            at += 0.0005
            events.append(zebra_iot_event(rng, code, at, len(events)) if zebra
                          else impinj_r700_event(rng, code, at, f"hh-{device}"))
            if len(events) == EVENTS_PER_POST:
                bodies.append(json.dumps(events).encode())
                events = []
    if events:
        bodies.append(json.dumps(events).encode())
    return bodies


async def _post_all(url: str, token: str, vendor: str, bodies: list[bytes],
                    latencies: list[float], failures: list[int]) -> int:
    reads = 0
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}",
                                          "Content-Type": "application/json"},
                                 timeout=120) as client:
        for body in bodies:
            while True:
                started = time.monotonic()
                response = await client.post(f"{url}/v1/rfid/{vendor}", content=body)
                if response.status_code == 200:
                    latencies.append(time.monotonic() - started)
                    reads += response.json()["reads"]
                    break
                failures[0] += 1
                await asyncio.sleep(float(response.headers.get("retry-after", "0.2")))
    return reads


def load_worker(url: str, tokens: list[str], tags: int, reads_per_tag: int) -> dict:
    """In its own process: generate every payload, then post them and time it."""
    devices = len(tokens)
    bodies = [payloads(n, devices, tags, reads_per_tag) for n in range(devices)]
    latencies: list[float] = []
    failures = [0]

    async def main():
        return await asyncio.gather(*(
            _post_all(url, token, "zebra" if n % 2 else "impinj", bodies[n], latencies,
                      failures) for n, token in enumerate(tokens)))

    started = time.monotonic()
    reads = sum(asyncio.run(main()))
    elapsed = time.monotonic() - started
    ordered = sorted(latencies)

    def percentile(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000, 1)

    return {"reads": reads, "requests": len(latencies), "seconds": round(elapsed, 3),
            "reads_per_s": round(reads / elapsed), "p50_ack_ms": percentile(0.5),
            "p99_ack_ms": percentile(0.99), "failures": failures[0],
            "payload_mb": round(sum(len(b) for device in bodies for b in device) / 2**20, 1)}


def _sample_rss(pid: int, stop: threading.Event, samples: list[float]) -> None:
    while not stop.wait(0.1):
        samples.append(rss_mb(pid))


def run(args, progress=print) -> dict:
    result: dict = {"machine_cores": os.cpu_count() or 0}
    progress("EPC decode rates, one core, compiled and pure Python...")
    result["decode"] = decode_rates()
    server = None
    dsn = getattr(args, "dsn", None)
    result["database"] = "dsn"
    if not dsn:
        server = EmbeddedPostgres(durable=True).start()
        result["database"] = templates.build_best(server, "bench_rfid")
        dsn = server.dsn("bench_rfid")
    try:
        result["ingest"] = _cycle_count(dsn, progress)
    finally:
        if server is not None:
            server.stop()
    return result


def _cycle_count(dsn: str, progress) -> dict:
    tokens = [provision(dsn, name=f"bench-hh-{n}-{time.time_ns()}", kind="rfid_handheld",
                        allowed=("count",), rfid_role="count")[1] for n in range(DEVICES)]
    with IngestProcess(dsn) as ingest:
        headers = {"Authorization": f"Bearer {tokens[0]}"}
        session = httpx.post(f"{ingest.url}/v1/count-sessions", headers=headers,
                             json={"name": "bench rfid"}, timeout=30).json()
        progress(f"cycle count: {TAGS:,} tags x {READS_PER_TAG} reads by {DEVICES} handhelds "
                 f"(payloads generated first)...")
        stop, rss = threading.Event(), []
        sampler = threading.Thread(target=_sample_rss, args=(ingest.pid, stop, rss))
        sampler.start()
        try:
            with ProcessPoolExecutor(1) as pool:
                load = pool.submit(load_worker, ingest.url, tokens, TAGS, READS_PER_TAG).result()
        finally:
            stop.set()
            sampler.join()
        progress("closing the session (comparison with Odoo's quants)...")
        started = time.monotonic()
        response = httpx.post(f"{ingest.url}/v1/count-sessions/{session['id']}/close",
                              headers=headers, timeout=300)
        close_ms = (time.monotonic() - started) * 1000
        report = response.json()
    return {**load, "tags": TAGS, "reads_per_tag": READS_PER_TAG, "devices": DEVICES,
            "events_per_post": EVENTS_PER_POST,
            "rss_mb": round(max(rss), 1) if rss else None,
            "rss_mb_median": round(statistics.median(rss), 1) if rss else None,
            "close_ms": round(close_ms, 1), "epcs_counted": report.get("epcs_counted"),
            "count_lines": len(report.get("lines", [])),
            "every_tag_counted_once": report.get("epcs_counted") == TAGS}


def table(result: dict) -> str:
    decode, ingest = result["decode"], result["ingest"]
    cython = decode.get("cython_per_s")
    lines = [
        f"database: {result['database']}; cores: {result['machine_cores']}",
        f"EPC decode, one core: compiled {cython or 0:,.0f}/s, pure Python "
        f"{decode['python_per_s']:,.0f}/s" + (f" ({decode['ratio']}x)" if cython else ""),
        f"cycle count over HTTP: {ingest['tags']:,} tags x {ingest['reads_per_tag']} reads = "
        f"{ingest['reads']:,} reads in {ingest['seconds']} s = {ingest['reads_per_s']:,.0f} "
        f"reads/s (target >= 100,000)",
        f"ack p50 {ingest['p50_ack_ms']} ms, p99 {ingest['p99_ack_ms']} ms over "
        f"{ingest['requests']} requests of {ingest['events_per_post']} events; failures "
        f"{ingest['failures']}",
        f"ingest RSS max {ingest['rss_mb']} MB; close {ingest['close_ms']} ms; EPCs counted "
        f"{ingest['epcs_counted']:,} (every tag once: {ingest['every_tag_counted_once']})",
    ]
    return "\n".join(lines)
