"""Per-scan cost of GS1 decoding: biip vs ``ingest_core.decode.gs1`` (compiled and pure twin).

What it is: the measurement behind ``docs/decisions/gs1-decoding.md``.

How it works: builds a realistic store mix (80 % EAN-13, 5 % UPC-A, 5 % EAN-8,
10 % GS1-128 / DataMatrix element strings with lot, expiry, serial, some with a
symbology identifier and some in "(01)..." form), then times one decode per
scan with ``timeit`` (best of 5) and prints µs per scan and scans per second.

Caveats: single core, warm caches; run with ``RTSTOCK_PURE_PYTHON`` unset after
``setup.py build_ext --inplace`` so the compiled module is measured.
Usage: ``.venv/bin/python docs/decisions/bench_gs1.py [--biip-only]``
"""

from __future__ import annotations

import random
import sys
import timeit


def _check_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        total += int(ch) * (3 if i % 2 == 0 else 1)
    return str((10 - total % 10) % 10)


def _gtin(length: int, rng: random.Random) -> str:
    body = "".join(rng.choice("0123456789") for _ in range(length - 1))
    return body + _check_digit(body)


def realistic_mix(n: int = 10_000, seed: int = 42) -> list[str]:
    """Return ``n`` scans shaped like a supermarket till's stream."""
    rng = random.Random(seed)
    scans = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.80:
            scans.append(_gtin(13, rng))
        elif roll < 0.85:
            scans.append(_gtin(12, rng))
        elif roll < 0.90:
            scans.append(_gtin(8, rng))
        else:
            gtin = _gtin(14, rng)
            lot = "".join(rng.choice("ABCDEFGH0123456789-") for _ in range(rng.randint(3, 10)))
            expiry = f"{rng.randint(24, 30):02d}{rng.randint(1, 12):02d}{rng.randint(0, 28):02d}"
            style = rng.random()
            if style < 0.4:
                scans.append(f"]C101{gtin}17{expiry}10{lot}")
            elif style < 0.7:
                scans.append(f"]d201{gtin}17{expiry}10{lot}\x1d21{rng.randint(1, 10**8)}")
            elif style < 0.9:
                scans.append(f"01{gtin}10{lot}\x1d17{expiry}")
            else:
                scans.append(f"(01){gtin}(10){lot}(17){expiry}")
    return scans


def _biip_decode(code: str) -> object:
    """Decode one scan the way the ingest would have to with biip."""
    import biip
    from biip.gs1_messages import GS1Message

    if code.startswith("("):
        try:
            return GS1Message.parse_hri(code)
        except biip.ParseError as exc:
            return exc
    return biip.parse(code)


def _time_per_scan(func, scans: list[str], repeat: int = 5) -> float:
    def run() -> None:
        for code in scans:
            func(code)

    best = min(timeit.repeat(run, number=1, repeat=repeat))
    return best / len(scans) * 1e6


def main() -> None:
    scans = realistic_mix()
    rows = [("biip.parse", _time_per_scan(_biip_decode, scans[:2000]))]
    if "--biip-only" not in sys.argv:
        from ingest_core.decode._speedups import gs1 as compiled
        from ingest_core.decode.fallback import gs1 as pure

        rows.append(("rtstock compiled parse_scan", _time_per_scan(compiled.parse_scan, scans)))
        rows.append(("rtstock pure parse_scan", _time_per_scan(pure.parse_scan, scans)))
        for name, module in (("compiled", compiled), ("pure", pure)):
            best = min(timeit.repeat(lambda m=module: m.parse_many(scans), number=1, repeat=5))
            rows.append((f"rtstock {name} parse_many", best / len(scans) * 1e6))
    for name, micros in rows:
        print(f"{name:32s} {micros:8.2f} µs/scan  {1e6 / micros:12,.0f} scans/s")


if __name__ == "__main__":
    main()
