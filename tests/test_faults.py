"""Faults under load (``ingest_core.tools.faults``): the ingest SIGKILLed, its database
connections terminated, PostgreSQL stopped fast and immediately, the store agent's link
cut, the database's disk full, while scanners and the real agent post and resend; every
acked read is applied exactly once and the stock equals the acked reads."""

from __future__ import annotations

import contextlib

import pytest

from ingest_core.db.pgembed import EmbeddedPostgres
from ingest_core.odoo import templates
from ingest_core.tools import disk_full, faults

#: Every fault but the full disk, which needs the database on a tmpfs of its own.
ON_ANY_SERVER = [fault for fault in faults.FAULTS if fault != "disk_full"]


@pytest.fixture(scope="module")
def durable_server(real_source):
    """A PostgreSQL of its own with ``synchronous_commit`` on: the session's test server
    runs without fsync, where an immediate stop may lose commits it acked."""
    with EmbeddedPostgres(durable=True) as server:
        templates.build_real(server, "faults", real_source)
        templates.with_addon(server, "faults")
        yield server


@pytest.fixture
def tmpfs_server(real_source):
    """The same, with the whole cluster on a small tmpfs that the fault fills."""
    with contextlib.ExitStack() as stack:
        try:
            base = stack.enter_context(disk_full.tmpfs(faults.TMPFS_MB))
        except disk_full.DiskFullUnavailable as exc:
            pytest.skip(f"DISK-FULL FAULT TEST SKIPPED: {exc}")
        server = stack.enter_context(EmbeddedPostgres(base, durable=True))
        templates.build_real(server, "faults", real_source)
        templates.with_addon(server, "faults")
        yield server


def _met_the_faults(result: dict) -> bool:
    """The scanners met the faults (503 or no answer) and resent."""
    return result["answers"].get("503", 0) + result["answers"].get("0", 0) > 0


@pytest.mark.timeout(900)
def test_every_fault_once_loses_nothing_and_applies_nothing_twice(durable_server, tmp_path):
    result = faults.faults_on(durable_server, "faults", faults=ON_ANY_SERVER, rounds=1,
                              devices=4, rate=1500, workdir=tmp_path, gap_s=2.0)
    assert [f["fault"] for f in result["faults"]] == ON_ANY_SERVER
    assert result["reads_acked"] > 5000, result
    assert _met_the_faults(result), result
    assert faults.passed(result), result
    assert result["stored_not_acked"] == 0, "a device resends until answered: all acked"
    assert result["agent"]["link_dropped_bytes"] > 0, "the cut link swallowed nothing"
    assert result["agent_reads"] > 500 and result["agent_reads_left_queued"] == 0, result


@pytest.mark.timeout(600)
def test_a_full_disk_under_the_database_loses_nothing(tmpfs_server, tmp_path):
    """Tables that cannot grow and a WAL that cannot get its next segment: PostgreSQL
    panics and, with no room for crash recovery, stops; once the disk is freed and it is
    started again, every acked read is there once."""
    result = faults.faults_on(tmpfs_server, "faults", faults=["disk_full"], rounds=1,
                              devices=4, rate=1500, workdir=tmp_path, gap_s=2.0)
    (fault,) = result["faults"]
    assert fault["filled_mb"] > 100, fault
    assert fault["database_crash_recovery"], f"PostgreSQL did not crash: no WAL fault {fault}"
    assert _met_the_faults(result), result
    assert faults.passed(result), result
