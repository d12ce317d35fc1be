"""``rtstock serve`` as a child process, for benchmarks and tests.

What it is: ``IngestProcess`` starts the real service on a loopback port with
settings passed through the environment, waits for ``/healthz``, and stops
it with SIGTERM (graceful: the writer finishes, the journal drains) or kills
it with SIGKILL (crash tests).

How it works: the child runs in its own session so a kill reaches uvicorn
and nothing else; its output goes to a log file named after the port.

Caveats: ``start()`` may be called again after ``kill()`` on the same port.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rss_mb(pid: int) -> float:
    """Resident set size of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return 0.0


class IngestProcess:
    """``rtstock serve`` as a child process; ``kill()`` is a real SIGKILL."""

    def __init__(self, dsn: str, port: int | None = None, **settings: object) -> None:
        self.dsn = dsn
        self.port = port or free_port()
        self.settings = settings
        self.process: subprocess.Popen | None = None
        self.log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"rtstock-ingest-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> IngestProcess:
        env = {
            **os.environ,
            "RTSTOCK_DSN": self.dsn,
            "RTSTOCK_PORT": str(self.port),
            "RTSTOCK_HOST": "127.0.0.1",
        }
        env.update({f"RTSTOCK_{k.upper()}": str(v) for k, v in self.settings.items()})
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child, closed by stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ingest_core.cli", "serve"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"ingest exited: {self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code in (200, 503):
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"ingest did not start: {self.log_path.read_text()[-3000:]}")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> IngestProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None
