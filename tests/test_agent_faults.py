"""The real agent under disk pressure and with a corrupt queue: clear errors, no silent loss."""

from __future__ import annotations

import subprocess
import sys

from support.agent_env import fake_ingest  # noqa: F401 - pytest fixture
from support.agent_process import REPO, AgentProcess, PtyScanner, wait_for

from hardware.queue import DurableQueue
from hardware.reads import Read


def _scan_all(scanner: PtyScanner, count: int) -> None:
    for index in range(count):
        scanner.scan(f"40123450{index % 2000:04d}{index % 10}\r".encode())


def test_disk_bound_alarm_then_refusal_every_read_accounted(tmp_path, fake_ingest):  # noqa: F811
    """Offline past the bound: alarm first, then refused reads, each logged; none vanish."""
    fake_ingest.down()
    scanner = PtyScanner()
    device = {"name": "S01-SCN-1", "port": scanner.port}
    agent = AgentProcess(
        tmp_path,
        fake_ingest.url,
        "test-token",
        [device],
        queue={"max_bytes": 300_000, "alarm_ratio": 0.5},
    ).start()
    try:
        total = 6000
        _scan_all(scanner, total)
        wait_for(
            lambda: (s := agent.status()["queue"])["depth"] + s["refused"] == total,
            30,
            agent.log(),
        )
        state = agent.status()["queue"]
        assert state["alarm"] and state["full"] and state["refused"] > 0, state
        log = agent.log()
        assert "QUEUE ALARM" in log
        assert log.index("QUEUE ALARM") < log.index("REFUSED READ"), "alarm must come first"
        assert log.count("REFUSED READ") == state["refused"], "each refused read is logged"
        fake_ingest.up()
        wait_for(lambda: agent.status()["queue"]["depth"] == 0, 30, agent.log())
        assert len(fake_ingest.applications) == state["depth"]
        assert set(fake_ingest.counts().values()) == {1}
    finally:
        agent.terminate()
        scanner.close()


def _corrupt(path) -> None:
    with open(path, "r+b") as handle:
        handle.seek(4096 * 3)
        handle.write(b"\xde\xad\xbe\xef" * 1024)


def test_corrupt_queue_is_moved_aside_and_salvaged_reads_are_sent(tmp_path, fake_ingest):  # noqa: F811
    """A corrupt queue file is kept aside; what can be read is still delivered, once."""
    queue = DurableQueue(tmp_path / "queue.db")
    keys = queue.append(
        [Read("S01-SCN-1", f"40123450{i % 2000:04d}0", "2026-11-25T10:00:00Z") for i in range(3000)]
    )
    queue.close()
    _corrupt(tmp_path / "queue.db")
    scanner = PtyScanner()
    device = {"name": "S01-SCN-1", "port": scanner.port}
    agent = AgentProcess(tmp_path, fake_ingest.url, "test-token", [device]).start()
    try:
        recovery = agent.status()["queue"]["recovery"]
        assert recovery and recovery["moved_to"].startswith(str(tmp_path / "queue.db.corrupt-"))
        assert "QUEUE CORRUPT" in agent.log()
        salvaged = recovery["salvaged_reads"]
        wait_for(lambda: len(fake_ingest.applications) == salvaged, 20, agent.log())
        scanner.scan(b"4012345000009\r")
        wait_for(lambda: len(fake_ingest.applications) == salvaged + 1, 20, agent.log())
        new_key = fake_ingest.applications[-1][1]
        assert new_key not in keys, f"key {new_key} reused after recovery"
    finally:
        agent.terminate()
        scanner.close()


def test_corrupt_queue_raise_mode_refuses_to_start(tmp_path):
    """on_corrupt = 'raise': exit code 4 and a message naming the file."""
    queue = DurableQueue(tmp_path / "queue.db")
    queue.append([Read("S01-SCN-1", "4012345000009", "2026-11-25T10:00:00Z")] * 2000)
    queue.close()
    _corrupt(tmp_path / "queue.db")
    agent = AgentProcess(
        tmp_path,
        "http://127.0.0.1:9",
        "t",
        [{"name": "A", "port": "/dev/null"}],
        queue={"on_corrupt": "raise"},
    )
    result = subprocess.run(
        [sys.executable, "-m", "ingest_core.cli", "agent", "--config", str(agent.config_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 4, result.stderr
    assert "queue.db is corrupt" in result.stderr and (tmp_path / "queue.db").exists()
