"""RFID dedupe stage: window rules, capacity/eviction, compiled vs pure-Python twin."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest_core.decode import speedups
from ingest_core.decode.fallback import dedupe as pure
from ingest_core.rfid import dedupe
from ingest_core.rfid.formats import TagRead

try:
    from ingest_core.decode._speedups import dedupe as compiled
except ImportError:
    compiled = None

EPC_A = "3034F4E4E40C0E40000003E9"
EPC_B = "3034F4E4E40C0E40000003EA"
IMPLEMENTATIONS = [pytest.param(pure.Deduplicator, id="pure")]
if compiled is not None:
    IMPLEMENTATIONS.append(pytest.param(compiled.Deduplicator, id="compiled"))


@pytest.fixture(params=IMPLEMENTATIONS)
def make(request):
    return request.param


def test_public_module_uses_compiled_when_built():
    """The public module loads the compiled twin unless pure Python is forced."""
    if speedups.PURE_PYTHON_FORCED:
        assert dedupe.implementation() == "python", "RTSTOCK_PURE_PYTHON=1 must force the twin"
    elif compiled is not None:
        assert dedupe.implementation() == "cython", "compiled dedupe built but not in use"
    assert "dedupe" in speedups.STAGES, "dedupe must be a registered hot-path stage"


def test_first_sighting_accepted_repeats_suppressed(make):
    """An EPC is accepted once; repeats inside the window are not."""
    deduplicator = make(5.0, 100)
    assert deduplicator.accept("dock", EPC_A, 100.0) is True, "first sighting must count"
    assert deduplicator.accept("dock", EPC_A, 101.0) is False, "repeat within window"
    assert deduplicator.accept("dock", EPC_B, 101.0) is True, "another EPC is new"
    assert len(deduplicator) == 2, "two pairs remembered"


def test_zones_are_independent(make):
    """The same EPC in another zone is a new read."""
    deduplicator = make(5.0, 100)
    assert deduplicator.accept("dock", EPC_A, 100.0)
    assert deduplicator.accept("floor", EPC_A, 100.5), "other zone must accept"
    assert not deduplicator.accept("floor", EPC_A, 101.0)


def test_window_expiry_counts_from_last_sighting(make):
    """Accepted again only after window_s without a sighting (every sighting refreshes)."""
    deduplicator = make(5.0, 100)
    assert deduplicator.accept("z", EPC_A, 0.0)
    assert not deduplicator.accept("z", EPC_A, 4.0), "inside window"
    assert not deduplicator.accept("z", EPC_A, 8.0), "4 s after the last sighting: still inside"
    assert deduplicator.accept("z", EPC_A, 13.0), "exactly window_s after last sighting"
    assert not deduplicator.accept("z", EPC_A, 13.5)


def test_out_of_order_sighting_does_not_rewind(make):
    """An older time than the remembered one is a repeat and keeps the newer time."""
    deduplicator = make(5.0, 100)
    assert deduplicator.accept("z", EPC_A, 100.0)
    assert not deduplicator.accept("z", EPC_A, 90.0), "late delivery is a repeat"
    assert not deduplicator.accept("z", EPC_A, 104.0), "window still counts from 100"
    assert deduplicator.accept("z", EPC_A, 109.0)


def test_zero_window_accepts_every_read(make):
    """window_s=0 keeps every read (dedupe off)."""
    deduplicator = make(0.0, 10)
    assert all(deduplicator.accept_many("z", [EPC_A] * 3, [1.0, 1.0, 2.0]))


def test_capacity_evicts_least_recently_seen(make):
    """Over capacity, the least recently seen pair is forgotten and counts as new again."""
    deduplicator = make(60.0, 3)
    for index, epc in enumerate(["E1", "E2", "E3"]):
        assert deduplicator.accept("z", epc, float(index))
    assert not deduplicator.accept("z", "E1", 3.0), "E1 touched: E2 is now the oldest"
    assert deduplicator.accept("z", "E4", 4.0), "new pair evicts E2"
    assert len(deduplicator) == 3, "never more than capacity"
    assert deduplicator.evictions == 1
    assert not deduplicator.accept("z", "E1", 5.0), "E1 survived"
    assert not deduplicator.accept("z", "E3", 5.0), "E3 survived"
    # The documented consequence: a forgotten EPC is reported again inside its window.
    assert deduplicator.accept("z", "E2", 6.0), "evicted E2 is accepted again"


def test_accept_many_matches_accept(make):
    """The batch form gives one verdict per read, in order, repeats within the batch included."""
    deduplicator = make(5.0, 100)
    verdicts = deduplicator.accept_many("z", [EPC_A, EPC_B, EPC_A], [1.0, 1.0, 2.0])
    assert verdicts == [True, True, False]
    with pytest.raises(ValueError):
        deduplicator.accept_many("z", [EPC_A], [1.0, 2.0])


def test_clear_and_arguments(make):
    """clear() forgets; bad window/capacity are refused."""
    deduplicator = make(5.0, 10)
    deduplicator.accept("z", EPC_A, 1.0)
    deduplicator.clear()
    assert len(deduplicator) == 0 and deduplicator.accept("z", EPC_A, 2.0)
    assert deduplicator.window_s == 5.0 and deduplicator.capacity == 10
    for window, capacity in ((-1.0, 10), (1.0, 0), (float("nan"), 10)):
        with pytest.raises(ValueError):
            make(window, capacity)


def test_heavy_eviction_keeps_table_consistent(make):
    """Many evictions (backward-shift deletes in the compiled index) lose no live pair."""
    deduplicator = make(1000.0, 257)
    live: list[str] = []
    for index in range(5000):
        epc = f"{index:024X}"
        assert deduplicator.accept("z", epc, float(index)), "a fresh EPC must be new"
        live = [*live[-256:], epc]
    assert len(deduplicator) == 257
    assert not any(deduplicator.accept_many("z", live, [5000.0] * len(live))), "live pairs kept"


def test_filter_reads_keeps_accepted_tag_reads():
    """filter_reads applies the public Deduplicator to TagRead objects."""
    deduplicator = dedupe.Deduplicator(5.0, 100)
    reads = [
        TagRead(EPC_A, 1, -50.0, 10.0, "r1", 1),
        TagRead(EPC_A, 2, -55.0, 11.0, "r1", 1),
        TagRead(EPC_B, 1, -51.0, 11.0, "r1", 2),
    ]
    kept = dedupe.filter_reads(deduplicator, "dock", reads)
    assert [read.epc for read in kept] == [EPC_A, EPC_B]


operations = st.lists(
    st.tuples(
        st.sampled_from(["dock", "floor", "", "zone-ü"]),
        st.sampled_from([EPC_A, EPC_B, "E1", "E2", "E3", "E4", "E5", "", "é"]),
        st.floats(0.0, 50.0, allow_nan=False).map(lambda value: round(value, 1)),
    ),
    max_size=200,
)


@pytest.mark.skipif(
    compiled is None,
    reason="compiled dedupe not built (run `python setup.py build_ext --inplace`); "
    "the differential test needs both twins",
)
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    window=st.sampled_from([0.0, 0.5, 3.0, 10.0]),
    capacity=st.integers(1, 8),
    ops=operations,
    batched=st.booleans(),
)
def test_compiled_matches_pure(window, capacity, ops, batched):
    """Both twins give the same verdicts, sizes and eviction counts on the same reads."""
    twins = [pure.Deduplicator(window, capacity), compiled.Deduplicator(window, capacity)]
    if batched:
        answers = []
        for twin in twins:
            verdicts = []
            for zone, epc, seen_at in ops:  # single-zone batches of one; mixes zones freely
                verdicts.extend(twin.accept_many(zone, [epc], [seen_at]))
            answers.append(verdicts)
    else:
        answers = [[twin.accept(*op) for op in ops] for twin in twins]
    assert answers[0] == answers[1]
    assert len(twins[0]) == len(twins[1])
    assert twins[0].evictions == twins[1].evictions


@pytest.mark.skipif(os.environ.get("RTSTOCK_BENCH") != "1", reason="set RTSTOCK_BENCH=1 to run")
def test_print_dedupe_benchmark():
    """Prints rates and RSS (python -m ingest_core.bench.dedupe does the same)."""
    from ingest_core.bench import dedupe as bench_dedupe

    bench_dedupe.main(200_000)
