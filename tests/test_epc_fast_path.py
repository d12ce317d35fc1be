"""EPC stage: the compiled SGTIN-96 fast path gives exactly the twin's results."""

from __future__ import annotations

import gc
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest_core.bench.epc import measure_decode_rate, sample_epcs
from ingest_core.decode.fallback import epc as pure

try:
    from ingest_core.decode._speedups import epc as compiled
except ImportError:
    compiled = None

needs_compiled = pytest.mark.skipif(
    compiled is None,
    reason="compiled epc not built (run `python setup.py build_ext --inplace`): "
    "nothing to compare the twin with",
)
HEX = "0123456789ABCDEF"
# 24 characters that start like a SGTIN-96, with the odd lowercase digit, bad partition,
# out-of-range company/reference, space or non-hex character mixed in.


def _mutate(parts: tuple[str, str, str]) -> str:
    prefix, body, change = parts
    text = prefix + body
    if change == "lower":
        return text.lower()
    return text[: 24 - len(change)] + change


sgtin96_like = st.tuples(
    st.sampled_from(["30", "30", "30", "31", "3o", "E2"]),
    st.text(HEX, min_size=22, max_size=22),
    st.sampled_from(["", "", "", "", "lower", " ", "g", "="]),
).map(_mutate)


@needs_compiled
@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=sgtin96_like)
def test_fast_path_matches_pure_twin(text):
    """decode_epc / decode_hex / decode_many agree field by field on SGTIN-96-like text."""
    expected = pure.decode_epc(text)
    assert compiled.decode_epc(text).as_dict() == expected.as_dict()
    assert compiled.decode_hex(text).as_dict() == pure.decode_hex(text).as_dict()
    fast = compiled.decode_many([text])[0]
    # Lazy fields first, as the ingest reads them, then everything.
    assert (fast.gtin, fast.serial) == (expected.gtin, expected.serial)
    assert fast.as_dict() == expected.as_dict()


@needs_compiled
def test_bench_sample_decodes_identically():
    """The benchmark's SGTIN-96 batch decodes to the twin's results."""
    batch = sample_epcs(2000)
    fast = compiled.decode_many(batch)
    slow = pure.decode_many(batch)
    assert [r.as_dict() for r in fast] == [r.as_dict() for r in slow]
    assert fast[0].epc_hex is batch[0], "uppercase hex input is kept, not copied"


@needs_compiled
def test_results_are_not_gc_tracked():
    """Compiled results stay out of the cyclic GC (the main cost of large batches)."""
    assert not gc.is_tracked(compiled.decode_epc(sample_epcs(1)[0]))


@pytest.mark.skipif(os.environ.get("RTSTOCK_BENCH") != "1", reason="set RTSTOCK_BENCH=1 to run")
@needs_compiled
def test_compiled_rate_requirement():
    """>= 1,000,000 SGTIN-96 decodes/s compiled and >= 20x the pure twin (idle machine)."""
    pure_rate = measure_decode_rate(pure, 50_000, 2.0)
    compiled_rate = measure_decode_rate(compiled, 200_000, 2.0)
    print(f"pure {pure_rate:,.0f}/s compiled {compiled_rate:,.0f}/s")
    assert compiled_rate >= 1_000_000
    assert compiled_rate >= 20 * pure_rate
