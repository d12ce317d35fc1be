"""Faults under load (``ingest_core.tools.faults``): the ingest SIGKILLed, its database
connections terminated, PostgreSQL stopped fast and immediately, while scanners post and
resend; every acked read is applied exactly once and the stock equals the acked reads."""

from __future__ import annotations

import pytest

from ingest_core.db.pgembed import EmbeddedPostgres
from ingest_core.odoo import templates
from ingest_core.tools import faults


@pytest.fixture(scope="module")
def durable_server(real_source):
    """A PostgreSQL of its own with ``synchronous_commit`` on: the session's test server
    runs without fsync, where an immediate stop may lose commits it acked."""
    with EmbeddedPostgres(durable=True) as server:
        templates.build_real(server, "faults", real_source)
        templates.with_addon(server, "faults")
        yield server


@pytest.mark.timeout(900)
def test_every_fault_once_loses_nothing_and_applies_nothing_twice(durable_server, tmp_path):
    result = faults.faults_on(durable_server, "faults", faults=list(faults.FAULTS), rounds=1,
                              devices=4, rate=1500, workdir=tmp_path, gap_s=2.0)
    assert [f["fault"] for f in result["faults"]] == list(faults.FAULTS)
    assert result["reads_acked"] > 5000, result
    assert result["answers"].get("503", 0) + result["answers"].get("0", 0) > 0, \
        "the devices must have met the faults (503 or no answer) and resent"
    assert faults.passed(result), result
    assert result["stored_not_acked"] == 0, "a device resends until answered: all acked"
