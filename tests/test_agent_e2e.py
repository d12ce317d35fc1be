"""The real agent process reading pty-pair scanners, forwarding over loopback HTTP."""

from __future__ import annotations

import os

import pytest
from support.agent_env import fake_ingest, ingest_token, ingest_url  # noqa: F401 - fixtures
from support.agent_process import AgentProcess, PtyScanner, wait_for

from ingest_core.odoo.catalog import ean13

GS = "\x1d"


def _ean(index: int) -> str:
    return ean13(index)


@pytest.fixture
def scanner():
    pty_scanner = PtyScanner()
    yield pty_scanner
    pty_scanner.close()


def _needs_fake(fake) -> None:
    if os.environ.get("RTSTOCK_TEST_INGEST_URL"):
        pytest.skip("scenario needs the contract peer's controls (down/up, applied log)")


def test_pty_scanner_end_to_end(tmp_path, scanner, ingest_url, ingest_token):  # noqa: F811
    """Framed scans (prefix, suffix, FNC1 substitute) reach the ingest and leave the queue."""
    device = {
        "name": "S01-SCN-1",
        "port": scanner.port,
        "baud": 115200,
        "prefix": "]C1",
        "suffix": "#",
        "terminator": "\r\n",
        "fnc1": "^",
    }
    agent = AgentProcess(tmp_path, ingest_url, ingest_token, [device], batch_size=10).start()
    try:
        codes = [_ean(i) for i in range(40)] + ["0104012345000009^10LOT42"]
        for code in codes:
            scanner.scan(f"]C1{code}#\r\n".encode())
        wait_for(
            lambda: agent.status()["forwarder"]["acked"] == len(codes),
            20,
            f"all scans acked\n{agent.log()}",
        )
        state = agent.status()
        assert state["queue"]["depth"] == 0 and state["queue"]["oldest_unsent_ts"] is None
        assert state["devices"]["S01-SCN-1"]["reads"] == len(codes)
        assert agent.terminate() == 0, agent.log()
        assert "agent stopped" in agent.log()
    finally:
        if agent.process.poll() is None:
            agent.kill()


def test_pty_codes_arrive_decoded(tmp_path, scanner, fake_ingest):  # noqa: F811
    """The ingest sees the code without prefix/suffix and with FNC1 as ASCII 29."""
    device = {"name": "S01-SCN-1", "port": scanner.port, "prefix": "]C1", "fnc1": "^"}
    agent = AgentProcess(tmp_path, fake_ingest.url, "test-token", [device]).start()
    try:
        scanner.scan(b"]C10104012345000009^10LOT42\r]C14012345000009\r")
        wait_for(lambda: len(fake_ingest.applications) == 2, 15, agent.log())
        assert [code for _, _, code in fake_ingest.applications] == [
            f"0104012345000009{GS}10LOT42",
            "4012345000009",
        ]
        assert [key for _, key, _ in fake_ingest.applications] == [
            "S01-SCN-1:000000",
            "S01-SCN-1:000001",
        ]
    finally:
        agent.terminate()


def test_network_down_then_restored_applies_each_read_once(tmp_path, scanner, fake_ingest):  # noqa: F811
    """Ingest down: reads queue up and show on status; back up: replay in order, exactly once."""
    _needs_fake(fake_ingest)
    fake_ingest.down()
    device = {"name": "S01-SCN-1", "port": scanner.port}
    agent = AgentProcess(tmp_path, fake_ingest.url, "test-token", [device], batch_size=50).start()
    try:
        total = 400
        for index in range(total):
            scanner.scan(f"{_ean(index % 2000)}\r".encode())
        wait_for(lambda: agent.status()["queue"]["depth"] == total, 20, agent.log())
        state = agent.status()
        assert state["queue"]["oldest_unsent_key"] == "S01-SCN-1:000000"
        wait_for(lambda: agent.status()["forwarder"]["last_error"], 5, "outage visible on status")
        assert "queue depth=400" in wait_for(
            lambda: "queue depth=400" in agent.log() and agent.log(), 5, "status log line"
        )
        fake_ingest.up()
        wait_for(lambda: agent.status()["queue"]["depth"] == 0, 30, agent.log())
        counts = fake_ingest.counts()
        assert len(counts) == total and set(counts.values()) == {1}, "not exactly once"
        keys = [key for _, key, _ in fake_ingest.applications]
        assert keys == sorted(keys), "replay must be in order"
        peak_mib = agent.rss_kib() / 1024
        assert peak_mib < 50, f"agent peak RSS {peak_mib:.1f} MiB"
    finally:
        agent.terminate()


def test_sigkill_mid_batch_then_restart_loses_nothing(tmp_path, scanner, fake_ingest):  # noqa: F811
    """SIGKILL while the ingest holds a batch's answer; after restart: no loss, no duplicate."""
    _needs_fake(fake_ingest)
    fake_ingest.down()
    device = {"name": "S01-SCN-1", "port": scanner.port}
    agent = AgentProcess(tmp_path, fake_ingest.url, "test-token", [device], batch_size=25)
    agent.start()
    total = 300
    for index in range(total):
        scanner.scan(f"{_ean(index)}\r".encode())
    wait_for(lambda: agent.status()["queue"]["depth"] == total, 20, agent.log())
    fake_ingest.answer_delay_s = 0.4
    fake_ingest.up()
    # Kill right after a batch was applied by the ingest but before its answer arrived.
    wait_for(lambda: len(fake_ingest.applications) >= 100, 30, agent.log(), interval=0.01)
    agent.kill()
    applied_before = len(fake_ingest.applications)
    assert applied_before < total, "the kill came too late to be mid-run"
    fake_ingest.answer_delay_s = 0.0
    restarted = agent.start()
    try:
        wait_for(lambda: restarted.status()["queue"]["depth"] == 0, 30, restarted.log())
        counts = fake_ingest.counts()
        assert len(counts) == total, f"lost reads: {total - len(counts)}"
        assert set(counts.values()) == {1}, "a read was applied twice"
        assert restarted.status()["forwarder"]["duplicate"] >= 1, "the batch in hand was resent"
    finally:
        restarted.terminate()
