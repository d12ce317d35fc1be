"""TLS verification of the forwarder, and the agent's clean stop with a batch in hand."""

from __future__ import annotations

import shutil
import signal
import subprocess

import pytest
from support.agent_env import fake_ingest  # noqa: F401 - pytest fixture
from support.agent_process import AgentProcess, PtyScanner, wait_for
from support.fake_ingest import FakeIngest

from hardware.forwarder import Forwarder
from hardware.queue import DurableQueue
from hardware.reads import Read


@pytest.fixture
def self_signed(tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl command not available to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)


def _queue_with_reads(path, count: int = 3) -> DurableQueue:
    queue = DurableQueue(path)
    queue.append([Read("SCN-1", "4012345000009", "2026-11-25T10:00:00Z")] * count)
    return queue


def test_tls_certificate_is_verified_by_default(tmp_path, self_signed):
    """An untrusted certificate is refused (reads kept); trusting its CA delivers them."""
    peer = FakeIngest(tokens={"t": "S01"}, tls=self_signed).start()
    try:
        queue = _queue_with_reads(tmp_path / "q.db")
        default = Forwarder(queue, peer.url, lambda device: "t")
        with pytest.raises(Exception, match=r"CERTIFICATE_VERIFY_FAILED|certificate verify"):
            default.forward_once()
        assert queue.depth() == 3 and not peer.applications
        trusted = Forwarder(queue, peer.url, lambda device: "t", verify=self_signed[0])
        assert trusted.forward_once() == 3 and queue.depth() == 0
    finally:
        peer.down()


def test_sigterm_finishes_the_batch_in_hand(tmp_path, fake_ingest):  # noqa: F811
    """SIGTERM while the ingest holds an answer: the agent waits, acks it, exits 0."""
    fake_ingest.down()
    scanner = PtyScanner()
    device = {"name": "S01-SCN-1", "port": scanner.port}
    agent = AgentProcess(tmp_path, fake_ingest.url, "test-token", [device], batch_size=50)
    agent.start()
    try:
        for index in range(200):
            scanner.scan(f"40123450{index:04d}0\r".encode())
        wait_for(lambda: agent.status()["queue"]["depth"] == 200, 20, agent.log())
        fake_ingest.answer_delay_s = 1.5
        fake_ingest.up()
        wait_for(lambda: fake_ingest.applications, 20, agent.log(), interval=0.01)
        agent.process.send_signal(signal.SIGTERM)
        assert agent.process.wait(20) == 0, agent.log()
    finally:
        scanner.close()
    # The batch in hand is what the forwarder last peeked: 50, or fewer when it peeked
    # while the intake was still committing the scans (seen with the pure-Python decoder:
    # the forwarder held 21 reads, waiting for the GIL, until the ingest came up).
    applied = len(fake_ingest.applications)
    assert fake_ingest.requests == 1, "nothing is sent after the stop request"
    assert 1 <= applied <= 50, f"expected the batch in hand, got {applied}"
    queue = DurableQueue(tmp_path / "queue.db")
    assert queue.depth() == 200 - applied, "the batch in hand must be acked before exit"
    assert queue.oldest_unsent().key == f"S01-SCN-1:{applied:06d}"
    queue.close()
