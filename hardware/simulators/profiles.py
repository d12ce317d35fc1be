"""Seeded traffic profiles: a normal store day, a Black-Friday peak, an RFID cycle count.

What it is: generators of simulated reads, each a :class:`SimRead` with its
time offset (seconds since the start of the run), code, operation and kind
(``barcode`` or ``epc``). Every simulator consumes these, so the same profile
and seed give the same reads whether they go out through a pty, HTTP batches
or a vendor envelope.

How it works: one ``random.Random(seed)`` per run, nothing else random.
Arrivals are a Poisson process (exponential gaps) at the profile's rate;
product popularity is skewed (a few products sell most, as in any store);
``normal_day`` mixes sales, returns, receipts and scrap and sometimes scans a
GS1 element string with a lot and FNC1; ``black_friday`` runs at ~40x the
rate, almost all sales of a few hot products, in bursts; ``cycle_count``
reads N tags, each many times (geometric repeat count around ``reads_per_tag``)
in a sweep order, with a chosen share of unknown (our prefix, product never
created) and foreign (another company's prefix) tags.

Caveats: times are simulated; the simulators replay them at ``speed`` x real
time (``speed=0`` means as fast as possible). Shares are probabilities, so a
small run deviates from them by sampling noise.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from hardware.simulators import catalog


@dataclass(frozen=True, slots=True)
class SimRead:
    """One simulated read."""

    at_s: float
    code: str
    op: str = "sale"
    kind: str = "barcode"
    qty: int = 1


PROFILES = ("normal_day", "black_friday", "cycle_count")


def _popular_index(rng: random.Random, hot: int, hot_share: float) -> int:
    if rng.random() < hot_share:
        return rng.randrange(hot)
    return rng.randrange(catalog.PRODUCT_COUNT)


def _code(rng: random.Random, index: int, with_lot: bool = False) -> str:
    """The barcode a store scans for product ``index``: the GS1 string with its lot when the
    product is tracked by lot (or ``with_lot``), else its EAN-13."""
    if with_lot or catalog.lot_tracked(index):
        return catalog.gs1_with_lot(index, f"L{rng.randrange(1000):03d}")
    return catalog.ean13(index)


def normal_day(rng: random.Random, count: int, rate_per_s: float = 0.5) -> Iterator[SimRead]:
    """A weekday: ~0.5 scans/s per device; sales, some returns, receipts, scrap, lots."""
    ops = ["sale", "return", "receipt", "scrap"]
    weights = [85, 5, 8, 2]
    at = 0.0
    for _ in range(count):
        at += rng.expovariate(rate_per_s)
        op = rng.choices(ops, weights)[0]
        index = _popular_index(rng, hot=200, hot_share=0.5)
        code = _code(rng, index, with_lot=rng.random() < 0.05)
        qty = rng.choice([6, 12, 24]) if op == "receipt" else 1
        yield SimRead(at, code, op, "barcode", qty)


def black_friday(rng: random.Random, count: int, rate_per_s: float = 20.0) -> Iterator[SimRead]:
    """Peak day: bursts at up to 3x the mean rate, 95 % sales of a few hot products."""
    at = 0.0
    burst_left = 0
    for _ in range(count):
        if burst_left == 0 and rng.random() < 0.02:
            burst_left = rng.randrange(20, 200)
        rate = rate_per_s * (3 if burst_left else 1)
        burst_left = max(0, burst_left - 1)
        at += rng.expovariate(rate)
        op = rng.choices(["sale", "return", "receipt"], [95, 3, 2])[0]
        index = _popular_index(rng, hot=50, hot_share=0.6)
        yield SimRead(at, _code(rng, index), op)


def cycle_count(
    rng: random.Random,
    tags: int,
    reads_per_tag: float = 8.0,
    unknown_share: float = 0.02,
    foreign_share: float = 0.01,
    reads_per_s: float = 600.0,
) -> Iterator[SimRead]:
    """RFID count of ``tags`` tags, each read ~``reads_per_tag`` times, in sweep order."""
    population: list[str] = []
    for serial in range(tags):
        draw = rng.random()
        if draw < unknown_share:
            code = catalog.sgtin96(catalog.PRODUCT_COUNT + rng.randrange(8000), serial)
        elif draw < unknown_share + foreign_share:
            code = catalog.sgtin96(
                rng.randrange(catalog.PRODUCT_COUNT), serial, prefix=catalog.FOREIGN_PREFIX
            )
        else:
            code = catalog.sgtin96(rng.randrange(catalog.PRODUCT_COUNT), serial)
        population.append(code)
    # The handheld sweeps shelf by shelf: tags near each other are read together, repeatedly.
    window = 64
    at = 0.0
    for start in range(0, tags, window):
        shelf = population[start : start + window]
        reads = []
        for code in shelf:
            repeats = 1 + int(rng.expovariate(1 / max(reads_per_tag - 1, 1e-9)))
            reads += [code] * repeats
        rng.shuffle(reads)
        for code in reads:
            at += rng.expovariate(reads_per_s)
            yield SimRead(at, code, "count", "epc")


def generate(profile: str, seed: int, count: int, **options: float) -> Iterator[SimRead]:
    """Reads of ``profile``; ``count`` is reads (day profiles) or tags (cycle count)."""
    rng = random.Random(seed)
    if profile == "normal_day":
        return normal_day(rng, count, **options)
    if profile == "black_friday":
        return black_friday(rng, count, **options)
    if profile == "cycle_count":
        return cycle_count(rng, count, **options)
    raise ValueError(f"unknown profile {profile!r}; one of {', '.join(PROFILES)}")
