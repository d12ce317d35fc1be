"""``rtstock simulate``: drive one device kind with one profile.

What it is: the driver behind the CLI. Kinds: ``serial`` (a pty-pair scanner
the real agent reads), ``http`` (a scanner that posts ``/v1/reads`` batches
itself), ``pos_gate`` (an RFID reader at the checkout posting sales of tagged
items), ``impinj`` (R700 ``tagInventory`` events), ``zebra`` (IoT Connector data
events), ``speedway`` (Speedway Connect posts), ``edgex`` (EdgeX LLRP inventory
events), ``alien`` (ALR text notifications pushed over TCP to the ingest's
``alien_port``: ``--url tcp://host:port``), and ``llrp`` (an LLRP
1.1 reader, :mod:`hardware.simulators.llrp_emulator`, listening on ``--url
tcp://127.0.0.1:5084`` for the store agent's ``kind = "llrp"`` device: it
inventories the profile's tags ``rounds`` times at ``tags_per_s``).

How it works: :mod:`hardware.simulators.profiles` gives the seeded reads;
each kind turns them into its wire form (frames, contract batches, vendor
envelopes) and either sends them (paced at ``speed`` x real time, with a rich
progress bar) or, with ``out``, writes one JSON line per payload so that a
run can be inspected and diffed: same seed, same bytes. HTTP senders behave
as devices should: resend a batch until 200, honouring ``Retry-After``.

Caveats: timestamps are on a simulated day from 08:00 UTC (yesterday, so none
is in the future; or ``RTSTOCK_SIM_DAY``), so output is reproducible within a
day, or exactly with that variable set; keys are ``<device>:<n>`` from 0 on each run,
so re-running a simulation against the same ingest yields ``duplicate``
answers unless ``device`` or ``key_offset`` changes. Readers post to
``/v1/rfid/impinj`` and ``/v1/rfid/zebra`` (a POS gate posts Impinj events).
"""

from __future__ import annotations

import contextlib
import json
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from hardware.simulators import catalog, profiles, vendor
from hardware.simulators.pty_scanner import PtyScannerPort, frame
from hardware.simulators.runner import paced, progress

KINDS = ("serial", "http", "pos_gate", "impinj", "zebra", "speedway", "edgex", "alien", "llrp")
DEFAULT_PATHS = {
    "http": "/v1/reads",
    "pos_gate": "/v1/rfid/impinj",
    "impinj": "/v1/rfid/impinj",
    "zebra": "/v1/rfid/zebra",
    "speedway": "/v1/rfid/speedway",
    "edgex": "/v1/rfid/edgex",
}


@dataclass
class SimulationOptions:
    """Everything one run needs; the CLI fills it from its arguments."""

    kind: str
    profile: str = "normal_day"
    seed: int = 1
    count: int = 1000
    speed: float = 0.0
    device: str = "SIM-1"
    url: str = "http://127.0.0.1:8080"
    token: str = ""
    path: str = ""
    out: str = ""
    batch_size: int = 100
    key_offset: int = 0
    link: str = ""
    prefix: str = ""
    suffix: str = ""
    terminator: str = "\r"
    fnc1: str = ""
    start_delay_s: float = 1.0
    linger_s: float = 2.0
    unknown_share: float = 0.02
    foreign_share: float = 0.01
    reads_per_tag: float = 8.0
    rounds: int = 3
    tags_per_s: float = 1000.0
    show_progress: bool = True


def _profile_options(options: SimulationOptions) -> dict[str, float]:
    if options.profile == "cycle_count":
        return {
            "unknown_share": options.unknown_share,
            "foreign_share": options.foreign_share,
            "reads_per_tag": options.reads_per_tag,
        }
    return {}


def product_index(code: str) -> int:
    """Catalogue index of one of our EAN-13 codes or GS1 ``(01)`` strings."""
    gtin = code[3:16] if code.startswith("01") and len(code) > 16 else code
    return int(gtin[8:12])


def _as_epcs(reads: Iterator[profiles.SimRead]) -> Iterator[profiles.SimRead]:
    """Tagged items: barcode reads of a day profile become reads of unique SGTIN-96 tags."""
    for serial, read in enumerate(reads):
        if read.kind == "epc":
            yield read
        else:
            epc = catalog.sgtin96(product_index(read.code), 10_000_000 + serial)
            yield profiles.SimRead(read.at_s, epc, read.op, "epc", 1)


def payloads(options: SimulationOptions) -> Iterator[tuple[float, int, Any]]:
    """(simulated time, reads inside, payload) for the chosen kind, in order."""
    reads = profiles.generate(
        options.profile, options.seed, options.count, **_profile_options(options)
    )
    if options.kind == "serial":
        if options.profile == "cycle_count":
            raise ValueError("a barcode scanner cannot run an RFID cycle count")
        for read in reads:
            data = frame(
                read.code, options.prefix, options.suffix, options.terminator, options.fnc1
            )
            yield read.at_s, 1, data
        return
    if options.kind in ("pos_gate", "impinj", "zebra", "speedway", "edgex", "alien", "llrp"):
        reads = _as_epcs(reads)
        if options.kind == "pos_gate":
            reads = (profiles.SimRead(r.at_s, r.code, "sale", "epc", 1) for r in reads)
    rng = random.Random(options.seed + 1)  # signal values: seeded, apart from the profile
    batch: list[profiles.SimRead] = []
    counter = options.key_offset
    for read in reads:
        batch.append(read)
        if len(batch) == options.batch_size:
            yield batch[-1].at_s, len(batch), _envelope(options, rng, batch, counter)
            counter += len(batch)
            batch = []
    if batch:
        yield batch[-1].at_s, len(batch), _envelope(options, rng, batch, counter)


def _envelope(options, rng, batch: list[profiles.SimRead], first_key: int) -> Any:
    if options.kind == "alien":  # one text notification (bytes) of the batch's tags
        return vendor.alien_notification(options.device, [r.code for r in batch],
                                         vendor.moment(batch[-1].at_s))
    if options.kind in ("impinj", "pos_gate"):  # a POS gate is an RFID reader at the exit
        return [vendor.impinj_r700_event(rng, r.code, r.at_s, options.device) for r in batch]
    if options.kind == "zebra":
        return [
            vendor.zebra_iot_event(rng, r.code, r.at_s, first_key + n) for n, r in enumerate(batch)
        ]
    if options.kind == "speedway":
        return vendor.speedway_post(rng, [r.code for r in batch], batch[0].at_s,
                                    options.device)
    if options.kind == "edgex":
        return vendor.edgex_event(rng, [r.code for r in batch], batch[0].at_s, options.device,
                                  first_key)
    return {
        "reads": [
            {
                "key": f"{options.device}:{first_key + n:06d}",
                "ts": vendor._stamp(r.at_s),
                "code": r.code,
                "qty": r.qty,
                "op": r.op,
                "location": None,
            }
            for n, r in enumerate(batch)
        ]
    }


def run_simulation(options: SimulationOptions, report: TextIO = sys.stderr) -> dict[str, Any]:
    """Run one simulation; return a summary (also what the CLI prints as JSON)."""
    if options.kind not in KINDS:
        raise ValueError(f"unknown kind {options.kind!r}; one of {', '.join(KINDS)}")
    total = options.count
    summary: dict[str, Any] = {
        "kind": options.kind,
        "profile": options.profile,
        "seed": options.seed,
    }
    started = time.monotonic()
    if options.kind == "llrp":
        if options.out:
            raise ValueError("an LLRP reader is served, not sent: --out does not apply")
        sent_reads, sent_payloads = _serve_llrp(options, report)
    elif options.out:
        sent_reads, sent_payloads = _write_jsonl(options)
    elif options.kind == "serial":
        sent_reads, sent_payloads = _run_serial(options, report)
    elif options.kind == "alien":
        sent_reads, sent_payloads = _run_tcp(options)
    else:
        sent_reads, sent_payloads, statuses = _run_http(options)
        summary["answers"] = statuses
    summary.update(
        reads=sent_reads,
        payloads=sent_payloads,
        seconds=round(time.monotonic() - started, 3),
        requested=total,
    )
    return summary


def _write_jsonl(options: SimulationOptions) -> tuple[int, int]:
    reads = count = 0
    with contextlib.ExitStack() as stack:
        if options.out == "-":
            handle: TextIO = sys.stdout
        else:
            handle = stack.enter_context(open(options.out, "w", encoding="utf-8"))
        for _, inside, payload in payloads(options):
            if isinstance(payload, bytes):
                payload = {"frame": payload.decode("latin-1")}
            handle.write(json.dumps(payload, sort_keys=True) + "\n")
            reads += inside
            count += 1
    return reads, count


def _run_serial(options: SimulationOptions, report: TextIO) -> tuple[int, int]:
    port = PtyScannerPort(options.link or None)
    where = f"{port.path}" + (f" (link {options.link})" if options.link else "")
    print(f"simulated scanner on {where}", file=report, flush=True)
    sent = 0
    try:
        time.sleep(options.start_delay_s)
        with progress(f"serial {options.profile}", options.count, options.show_progress) as step:
            for _, _, data in paced(payloads(options), options.speed, at=lambda item: item[0]):
                port.write(data)
                sent += 1
                step()
        time.sleep(options.linger_s)
    finally:
        port.close()
    return sent, sent


def _run_http(options: SimulationOptions) -> tuple[int, int, dict[str, int]]:
    import httpx

    url = options.url.rstrip("/") + (options.path or DEFAULT_PATHS[options.kind])
    headers = {"Authorization": f"Bearer {options.token}"} if options.token else {}
    statuses: dict[str, int] = {}
    reads = count = 0
    with (
        httpx.Client(timeout=30) as client,
        progress(f"{options.kind} {options.profile}", None, options.show_progress) as step,
    ):
        for _, inside, payload in paced(payloads(options), options.speed, at=lambda i: i[0]):
            status = _post_until_answered(client, url, headers, payload)
            statuses[str(status)] = statuses.get(str(status), 0) + 1
            reads += inside
            count += 1
            step(inside)
    return reads, count, statuses


def _run_tcp(options: SimulationOptions) -> tuple[int, int]:
    """An Alien reader: one TCP connection to ``url`` (``tcp://host:port``, the ingest's
    ``alien_port``), NUL-terminated notifications written in order, no answer read."""
    import socket
    from urllib.parse import urlsplit

    where = urlsplit(options.url if "://" in options.url else f"tcp://{options.url}")
    reads = count = 0
    with (
        socket.create_connection((where.hostname, where.port), timeout=30) as connection,
        progress(f"alien {options.profile}", None, options.show_progress) as step,
    ):
        for _, inside, payload in paced(payloads(options), options.speed, at=lambda i: i[0]):
            connection.sendall(payload)
            reads += inside
            count += 1
            step(inside)
    return reads, count


def _post_until_answered(client, url: str, headers: dict[str, str], payload: Any) -> int:
    """Resend like a device: on 429/503 wait Retry-After, on network errors back off."""
    import httpx

    from hardware.forwarder import parse_retry_after

    delay = 0.2
    for _ in range(30):
        try:
            response = client.post(url, json=payload, headers=headers)
        except httpx.HTTPError:  # network error: back off and resend, as a device does
            time.sleep(delay)
            delay = min(delay * 2, 10)
            continue
        if response.status_code in (429, 503):
            time.sleep(parse_retry_after(response.headers.get("Retry-After")) or delay)
            continue
        return response.status_code
    return 0


def _serve_llrp(options: SimulationOptions, report: TextIO) -> tuple[int, int]:
    """An LLRP reader listening on ``url`` (``tcp://127.0.0.1:5084``) until a client has
    had every round of the profile's tags, then ``linger_s``; returns (tag reports sent,
    connections)."""
    from urllib.parse import urlsplit

    from hardware.simulators.llrp_emulator import LLRP_PORT, LlrpReaderEmulator

    where = urlsplit(options.url if "://" in options.url else f"tcp://{options.url}")
    if where.scheme == "tcp":  # otherwise the CLI's default ingest URL: the standard port
        host, port = where.hostname or "127.0.0.1", where.port or LLRP_PORT
    else:
        host, port = "127.0.0.1", LLRP_PORT
    reads = profiles.generate(options.profile, options.seed, options.count,
                              **_profile_options(options))
    tags = list(dict.fromkeys(read.code for read in _as_epcs(reads)))
    emulator = LlrpReaderEmulator(tags, host=host, port=port, tags_per_s=options.tags_per_s,
                                  rounds=options.rounds, seed=options.seed)
    print(f"LLRP reader on {emulator.host}:{emulator.port}: {len(tags)} tags, "
          f"{options.rounds or 'endless'} rounds", file=report, flush=True)
    total = len(tags) * options.rounds if options.rounds else None
    with emulator, progress("llrp reports", total, options.show_progress) as step:
        done = 0
        try:
            while total is None or emulator.reported < total:
                time.sleep(0.2)
                step(emulator.reported - done)
                done = emulator.reported
            time.sleep(options.linger_s)
        except KeyboardInterrupt:
            pass
    return emulator.reported, emulator.connections
