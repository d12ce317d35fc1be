"""Scheduled jobs: the nightly forecast + replenishment and Odoo's *Refresh forecast*.

On the genuine Odoo 18 dump with a sample of the real year (UCI Online Retail,
Daqing Chen, UCI Machine Learning Repository, CC BY 4.0) imported: the
scheduler runs the real ``rtstock forecast run`` and ``replenish`` as child
processes, exactly once per due night whatever the number of ingests, once per
request from Odoo, and reports failures as rows Odoo shows.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ingest_core.commit.journal import wait_drained
from ingest_core.history import importer
from ingest_core.jobs.scheduler import JobScheduler, due_at, parse_at
from tests.support.ingest import query

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "tests" / "data" / "online_retail" / "sample.csv"


def _runs(dsn: str) -> list[tuple]:
    return query(dsn, "SELECT id, state, scheduled_for IS NOT NULL, detail FROM rrs_job_run "
                      "ORDER BY id")


def test_due_time_is_the_latest_local_one_before_now():
    """02:30 in London: before it, yesterday's; after it, today's, as naive UTC (BST: -1 h)."""
    london = ZoneInfo("Europe/London")
    summer_morning = datetime(2026, 7, 1, 1, 0, tzinfo=UTC)  # 02:00 local
    assert due_at(summer_morning, time(2, 30), london) == datetime(2026, 6, 30, 1, 30)
    assert due_at(summer_morning + timedelta(hours=1), time(2, 30), london) == datetime(
        2026, 7, 1, 1, 30)
    assert parse_at("") is None
    with pytest.raises(ValueError, match="HH:MM"):
        parse_at("half past two")


def test_a_database_without_sales_fails_the_run_with_the_reason(fast_db):
    """A requested run on a database whose rollups hold no sale is failed with the
    forecast's own message, and nothing is written."""
    scheduler = JobScheduler(fast_db, poll_s=3600, node="test")
    try:
        query(fast_db, "INSERT INTO rrs_job_run (job, state, requested_at) "
                       "VALUES ('forecast', 'requested', now())")
        scheduler.tick()
    finally:
        scheduler.stop()
    ((_id, state, _nightly, detail),) = _runs(fast_db)
    assert state == "failed" and "forecast run: exit 2" in detail and "no sale" in detail
    assert query(fast_db, "SELECT count(*) FROM rrs_forecast") == [(0,)]


def test_nightly_run_happens_once_for_all_ingests_and_requests_are_served(fast_db):
    """Two ingests past tonight's due time: one run of forecast + replenish, its figures
    in the row; a request from Odoo runs again; a run left 'running' by an ingest that
    died is marked failed."""
    importer.run(fast_db, SAMPLE)
    wait_drained(fast_db, 30)
    due = (datetime.now(UTC) - timedelta(minutes=5)).strftime("%H:%M")
    nodes = [JobScheduler(fast_db, at=due, poll_s=3600, node=f"ingest-{n}") for n in (1, 2)]
    try:
        ran = []
        threads = [threading.Thread(target=lambda s=s: ran.append(s.tick())) for s in nodes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(600)
        # One node ran it; the other found it scheduled (its losing insert may still have
        # drawn an id from the sequence, so the winner's id is not always 1).
        assert ran.count(None) == 1, ran
        ((run_id, state, nightly, detail),) = _runs(fast_db)
        assert [r for r in ran if r is not None] == [run_id], (ran, run_id)
        assert (state, nightly) == ("done", True), detail
        assert "forecast run: series" in detail and "forecast replenish: suggestions" in detail
        made = query(fast_db, "SELECT count(*), max(made_at) FROM rrs_forecast")[0]
        assert made[0] > 0
        assert nodes[0].tick() is None and nodes[1].tick() is None, "once per night"
        query(fast_db, "INSERT INTO rrs_job_run (job, state, requested_at) "
                       "VALUES ('forecast', 'requested', now()), "
                       "('forecast', 'requested', now())")
        second = nodes[1].tick()
        assert second is not None
        states = {row[0]: row[1] for row in _runs(fast_db)}
        assert list(states.values()) == ["done", "done", "done"], states
        assert query(fast_db, "SELECT max(made_at) FROM rrs_forecast")[0][0] > made[1]
        query(fast_db, "INSERT INTO rrs_job_run (job, state, requested_at, started_at, node) "
                       "VALUES ('forecast', 'running', now(), now(), 'gone')")
        nodes[0].tick()
        assert _runs(fast_db)[-1][1:] == ("failed", False,
                                          "interrupted: the ingest running it stopped")
    finally:
        for node in nodes:
            node.stop()
