"""Single-core EPC decode rate, for ``rtstock bench rfid``.

What it is: ``measure_decode_rate(impl_module, n, seconds)`` returns how many
EPCs per second one implementation of the ``epc`` stage decodes.

How it works: a batch of ``n`` distinct SGTIN-96 hex EPCs (the common retail
tag) goes through ``impl_module.decode_many`` repeatedly until ``seconds``
have passed; each result's ``gtin`` and ``serial`` are read, as the ingest
does, so lazily formatted fields are paid for. The best batch rate wins
(least disturbed by other processes).

Caveats: wall-clock timing on a shared machine; run it on an idle core for
numbers you quote. URIs are not touched (the ingest does not need them).
"""

from __future__ import annotations

import time
from types import ModuleType

from ingest_core.decode.epc_encode import encode_sgtin96


def sample_epcs(n: int) -> list[str]:
    """``n`` distinct SGTIN-96 EPCs as uppercase hex, over a few products."""
    prefixes = ("4012345", "0614141", "761234567", "50123456789")
    epcs = []
    for index in range(n):
        prefix = prefixes[index % len(prefixes)]
        item_ref = str(index % 97).zfill(13 - len(prefix))
        epcs.append(encode_sgtin96(prefix, item_ref, 100_000 + index, filter=1))
    return epcs


def measure_decode_rate(impl_module: ModuleType, n: int = 100_000, seconds: float = 1.0) -> float:
    """Decodes per second of ``impl_module`` (``decode_many`` + ``gtin``/``serial`` access)."""
    batch = sample_epcs(n)
    decode_many = impl_module.decode_many
    best = 0.0
    deadline = time.perf_counter() + seconds
    while True:
        started = time.perf_counter()
        for result in decode_many(batch):
            result.gtin  # noqa: B018 - touching the attribute is the point: lazy fields cost here
            result.serial  # noqa: B018 - same reason
        elapsed = time.perf_counter() - started
        best = max(best, len(batch) / elapsed)
        if time.perf_counter() >= deadline:
            return best


if __name__ == "__main__":
    from ingest_core.decode.fallback import epc as pure

    try:
        from ingest_core.decode._speedups import epc as compiled
    except ImportError:
        compiled = None
    pure_rate = measure_decode_rate(pure, 50_000, 2.0)
    print(f"pure python: {pure_rate:,.0f} decodes/s")
    if compiled is not None:
        compiled_rate = measure_decode_rate(compiled, 200_000, 2.0)
        print(f"cython:      {compiled_rate:,.0f} decodes/s ({compiled_rate / pure_rate:.1f}x)")
