"""``rtstock serve`` as a child process, for benchmarks and tests.

What it is: ``IngestProcess`` starts the real service on a loopback port with
settings passed through the environment, waits for ``/healthz``, and stops
it with SIGTERM (graceful: the writer finishes, the journal drains) or kills
it with SIGKILL (crash tests).

How it works: the child runs in its own session so a kill reaches uvicorn
and nothing else; its output goes to ``ingest-<port>.log`` in ``log_dir``
(default: ``RTSTOCK_INGEST_LOG_DIR``, which the tests point into pytest's
temporary directory, else a private temporary directory removed by
``stop()``). Before it stops or kills the child it reads the group-commit
fallbacks from ``/metrics``: a fallback is a fault (a group that could not
commit as one transaction), and ``stop()`` raises ``IngestFault`` when there
was one, unless ``fail_on_fallback`` is off (benchmarks report them instead).

Caveats: ``start()`` may be called again after ``kill()`` on the same port;
the fallbacks of every run are added up.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
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


_SAMPLE = re.compile(rb"^(rtstock_[a-z_]+)(?:\{([^}]*)\})? ([0-9.e+-]+)$", re.M)


def samples_of(metrics_text: bytes) -> dict[tuple[str, str], float]:
    """The service's own samples in a ``/metrics`` answer: (name, labels) -> value."""
    return {(name.decode(), labels.decode() if labels else ""): float(value)
            for name, labels, value in _SAMPLE.findall(metrics_text)}


def quant_id_figures(url: str) -> dict:
    """The writer's quant-id memory from ``/metrics``: entries, capacity, hits, misses,
    resets and the hit rate (``metrics.QuantIdsCollector``)."""
    samples = samples_of(httpx.get(f"{url}/metrics", timeout=10).content)
    hits = samples.get(("rtstock_quant_ids_lookups_total", 'outcome="hit"'), 0.0)
    misses = samples.get(("rtstock_quant_ids_lookups_total", 'outcome="miss"'), 0.0)
    return {"entries": int(samples.get(("rtstock_quant_ids_entries", ""), 0)),
            "capacity": int(samples.get(("rtstock_quant_ids_capacity", ""), 0)),
            "hits": int(hits), "misses": int(misses),
            "resets": int(samples.get(("rtstock_quant_ids_resets_total", ""), 0)),
            "hit_rate": round(hits / (hits + misses), 4) if hits + misses else None}


class IngestFault(AssertionError):
    """The ingest fell back to one-request commits: a group could not commit whole."""


def fallbacks_of(metrics_text: bytes) -> int:
    """Group-commit fallbacks counted in a ``/metrics`` answer (all causes)."""
    return int(sum(value for (name, _labels), value in samples_of(metrics_text).items()
                   if name == "rtstock_group_fallbacks_total"))


class IngestProcess:
    """``rtstock serve`` as a child process; ``kill()`` is a real SIGKILL."""

    def __init__(self, dsn: str, port: int | None = None, *, log_dir: Path | None = None,
                 fail_on_fallback: bool = True, **settings: object) -> None:
        self.dsn = dsn
        self.port = port or free_port()
        self.settings = settings
        self.fail_on_fallback = fail_on_fallback
        self.fallbacks = 0
        self.process: subprocess.Popen | None = None
        log_dir = log_dir or os.environ.get("RTSTOCK_INGEST_LOG_DIR")
        self._own_dir = None if log_dir else Path(tempfile.mkdtemp(prefix="rtstock-ingest-"))
        self.log_path = Path(log_dir or self._own_dir) / f"ingest-{self.port}.log"

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
                raise self._failed_start("ingest exited")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code in (200, 503):
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise self._failed_start("ingest did not start")

    def _failed_start(self, what: str) -> RuntimeError:
        """Kill what is left of a failed start, remove a private log dir, say why."""
        tail = self.log_path.read_text(errors="replace")[-3000:]
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        if self._own_dir is not None:
            shutil.rmtree(self._own_dir, ignore_errors=True)
        return RuntimeError(f"{what}: {tail}")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self._count_fallbacks()
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        """SIGTERM and wait; then raise ``IngestFault`` if a group fell back (see module)."""
        if self.process and self.process.poll() is None:
            self._count_fallbacks()
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()
        errors = self.errors() if self.fallbacks else []
        if self._own_dir is not None:
            shutil.rmtree(self._own_dir, ignore_errors=True)
        if self.fallbacks and self.fail_on_fallback:
            raise IngestFault(f"the ingest fell back to one-request commits {self.fallbacks} "
                              "times (rtstock_group_fallbacks_total); its errors:\n"
                              + "\n".join(errors)[-4000:])

    def errors(self) -> list[str]:
        """The log's ERROR and CRITICAL records, each with the lines that follow it
        (its traceback)."""
        if not self.log_path.exists():
            return []
        records: list[str] = []
        inside = False
        for line in self.log_path.read_text(errors="replace").splitlines():
            if re.match(r"^\d{4}-\d\d-\d\d \S+ (ERROR|CRITICAL) ", line):
                records.append(line)
                inside = True
            elif re.match(r"^\d{4}-\d\d-\d\d \S+ [A-Z]+ ", line) or line.startswith("INFO:"):
                inside = False
            elif inside:
                records[-1] += "\n" + line
        return records

    def _count_fallbacks(self) -> None:
        try:
            self.fallbacks += fallbacks_of(httpx.get(f"{self.url}/metrics", timeout=10).content)
        except httpx.HTTPError as exc:  # a hung service is its test's failure, not this one
            print(f"ingest on port {self.port}: /metrics unreadable before stop: {exc}",
                  file=sys.stderr)

    def __enter__(self) -> IngestProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None


def post_reads(url: str, token: str, reads: list[dict],
               client: httpx.Client | None = None) -> None:
    """``POST /v1/reads`` as a device; raises unless every read was applied."""
    response = (client or httpx).post(f"{url}/v1/reads", json={"reads": reads},
                                      headers={"authorization": f"Bearer {token}"}, timeout=30)
    response.raise_for_status()
    refused = [r for r in response.json()["results"] if r["status"] != "applied"]
    if refused:
        raise RuntimeError(f"{len(refused)} reads not applied: {refused[:3]}")
