"""The real store agent as a child process: for end-to-end tests and the fault tool.

The agent is started exactly as in a store (``python -m ingest_core.cli agent
--config store.toml``) with a ``store.toml`` written from the arguments, and is
observed only from outside: its loopback status endpoint, its log file, and what
the ingest received.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float, message: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s: {message}")


class AgentProcess:
    """One agent subprocess with its own config, queue and log file."""

    def __init__(
        self,
        workdir: Path,
        ingest_url: str,
        token: str,
        devices: list[dict],
        queue: dict | None = None,
        **ingest,
    ):
        self.workdir = workdir
        self.status_port = free_port()
        self.config_path = workdir / "store.toml"
        self.log_path = workdir / "agent.log"
        lines = [
            "[agent]",
            f'queue_path = "{workdir / "queue.db"}"',
            f"status_port = {self.status_port}",
            "log_every_s = 1.0",
            "[ingest]",
            f'url = "{ingest_url}"',
            f'token = "{token}"',
            "backoff_base_s = 0.05",
            "backoff_max_s = 0.5",
        ]
        lines += [f"{key} = {json.dumps(value)}" for key, value in ingest.items()]
        lines += ["[queue]"]
        queue_options = {"min_free_bytes": 0, **(queue or {})}
        lines += [f"{key} = {json.dumps(value)}" for key, value in queue_options.items()]
        for device in devices:
            lines.append("[[devices]]")
            lines += [f"{key} = {json.dumps(value)}" for key, value in device.items()]
        self.config_path.write_text("\n".join(lines) + "\n")
        self.process: subprocess.Popen | None = None

    def start(self) -> AgentProcess:
        env = dict(os.environ, PYTHONPATH=str(REPO))
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ingest_core.cli",
                "-v",
                "agent",
                "--config",
                str(self.config_path),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO,
            env=env,
        )
        log.close()
        wait_for(self._status_or_none, 15, f"agent status endpoint up\n{self.log()}")
        return self

    def _status_or_none(self):
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"agent exited with {self.process.returncode}:\n{self.log()}")
        try:
            return httpx.get(f"http://127.0.0.1:{self.status_port}/status", timeout=2).json()
        except httpx.HTTPError:
            return None

    def status(self) -> dict:
        state = self._status_or_none()
        assert state is not None, "status endpoint did not answer"
        return state

    def rss_kib(self, field: str = "VmHWM") -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise AssertionError(f"{field} missing")

    def terminate(self, timeout: float = 20) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
