"""Back-pressure from the journal: how the writer's pause follows the journal's lag."""

from __future__ import annotations

import time

import pytest

from ingest_core.commit.pacing import JournalPacer
from ingest_core.commit.writer import GroupCommitWriter


def test_pause_grows_while_behind_and_fades_after():
    """Over target: +step per reading up to the cap; under: decays to exactly zero."""
    pacer = JournalPacer("dbname=unused", target_s=0.6, step_s=0.01, decay=0.5,
                         max_pause_s=0.03)
    assert pacer.observe(0.5) == 0.0, "under target a writer never waits"
    assert pacer.observe(0.9) == pytest.approx(0.01)
    assert pacer.observe(0.9) == pytest.approx(0.02)
    for _ in range(5):
        pacer.observe(2.0)
    assert pacer.pause_s == pytest.approx(0.03), "the pause is bounded"
    readings = [pacer.observe(0.1) for _ in range(8)]
    assert readings[0] == pytest.approx(0.015) and readings == sorted(readings, reverse=True)
    assert readings[-1] == 0.0, "a caught-up journal leaves the writer at full speed"


def test_only_a_saturated_writer_pauses():
    """The pause applies when the last group was at least half full, never below."""
    pacer = JournalPacer("dbname=unused", target_s=0.6, step_s=0.01)
    pacer.observe(2.0)
    assert pacer.pause_before(2500, 5000) == pytest.approx(0.01)
    assert pacer.pause_before(2499, 5000) == 0.0, "below saturation acks never wait"
    assert JournalPacer("dbname=unused", target_s=0.6).pause_before(5000, 5000) == 0.0


def test_pacer_reads_the_journal_lag_from_the_database(fast_db):
    """With events pending far past the target, the running pacer raises the pause while
    the writer is saturated; below saturation it does not query at all."""
    from tests.support.ingest import query

    query(fast_db, """
        INSERT INTO rrs_event_batch (event_ids, received_at, virtual_by_journal)
        VALUES (ARRAY[0], (now() AT TIME ZONE 'UTC') - interval '5 seconds', true)""")
    pacer = JournalPacer(fast_db, target_s=0.6, poll_s=0.05).start()
    try:
        time.sleep(0.3)
        assert pacer.pause_s == 0.0 and pacer._db.raw is None, (
            "below saturation the pacer asks the database nothing")
        deadline = time.monotonic() + 5
        while pacer.pause_s == 0.0 and time.monotonic() < deadline:
            pacer.pause_before(5000, 5000)  # the writer's groups are full
            time.sleep(0.05)
        assert pacer.pause_s > 0.0, "a 5 s old pending batch is a lagging journal"
    finally:
        pacer.stop()
    assert pacer.pause_s == 0.0, "a stopped pacer never holds the writer back"


def test_writer_takes_its_pacer_with_it(fast_db):
    """The writer starts and stops the pacer it is given (stop: drain at full speed)."""
    from ingest_core.resolve.reference import ReferenceData

    reference = ReferenceData(fast_db)
    pacer = JournalPacer(fast_db, target_s=0.6, poll_s=0.05)
    writer = GroupCommitWriter(fast_db, reference, pacer=pacer).start()
    try:
        assert pacer._thread is not None and pacer._thread.is_alive()
    finally:
        writer.stop()
        reference.stop()
    assert not pacer._thread.is_alive()
