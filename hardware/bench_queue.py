"""Benchmark of the store agent's durable queue and of the agent's memory.

What it is: ``python -m hardware.bench_queue`` measures (1) appends/s of
:class:`hardware.queue.DurableQueue` with ``synchronous=FULL``: one read per
transaction (each read fsynced alone, the worst case), groups of 100, and
through :class:`hardware.intake.GroupWriter` fed by 4 threads (what the agent
does); (2) the real agent process's resident memory (peak ``VmHWM`` and
current ``VmRSS``) while a pty scanner floods it, first with the ingest down
(the queue grows) then with a loopback sink that acks everything (the queue
drains). Prints JSON on stdout and a table on stderr.

How it works: the queue file lives under ``--dir`` (default
``.rtstock/bench`` in the working directory: a real disk; ``/tmp`` may be
tmpfs, where fsync is free and numbers lie). The agent runs as
``python -m ingest_core.cli agent`` with a generated config.

Caveats: fsync cost is the disk's; on a VM the host may absorb it. Numbers in
docs/benchmarks.md say on which machine and filesystem they were taken.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from hardware.intake import GroupWriter
from hardware.queue import DurableQueue
from hardware.reads import Read
from hardware.simulators import profiles
from hardware.simulators.pty_scanner import PtyScannerPort, frame

REPO = Path(__file__).resolve().parents[1]


def _reads(count: int) -> list[Read]:
    return [
        Read(device="BENCH-1", code=r.code, ts="2026-11-25T10:00:00.000Z", op=r.op)
        for r in profiles.generate("black_friday", 1, count)
    ]


def _filesystem(path: Path) -> str:
    best = ("", "?")
    resolved = str(path.resolve())
    for line in Path("/proc/mounts").read_text().splitlines():
        _, mount, kind, *_ = line.split()
        if resolved.startswith(mount) and len(mount) > len(best[0]):
            best = (mount, kind)
    return best[1]


def bench_appends(directory: Path, count: int) -> dict[str, float]:
    """Appends/s for single-read transactions, groups of 100, and the group writer."""
    reads = _reads(count)
    results: dict[str, float] = {}
    for label, group in (("single_read_tx", 1), ("group_100", 100)):
        path = directory / f"{label}.db"
        queue = DurableQueue(path, min_free_bytes=0)
        sample = reads if group > 1 else reads[: max(count // 5, 500)]
        started = time.perf_counter()
        for start in range(0, len(sample), group):
            queue.append(sample[start : start + group])
        results[label] = len(sample) / (time.perf_counter() - started)
        queue.close()
    queue = DurableQueue(directory / "group_writer.db", min_free_bytes=0)
    writer = GroupWriter(queue)
    stop = threading.Event()
    thread = threading.Thread(target=writer.run, args=(stop,))
    started = time.perf_counter()
    thread.start()

    def feed(part: list[Read]) -> None:
        for read in part:
            writer.put(read)
            time.sleep(0)  # yield like a device thread between reads

    feeders = [threading.Thread(target=feed, args=(reads[n::4],)) for n in range(4)]
    for feeder in feeders:
        feeder.start()
    for feeder in feeders:
        feeder.join()
    stop.set()
    thread.join()
    results["group_writer_4_threads"] = count / (time.perf_counter() - started)
    assert queue.depth() == count, "benchmark lost reads"
    queue.close()
    return results


class _AckAll(BaseHTTPRequestHandler):
    """Loopback sink for the online phase: every key applied (not the ingest)."""

    def do_POST(self) -> None:  # name fixed by http.server
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        results = [{"key": r["key"], "status": "applied"} for r in body["reads"]]
        data = json.dumps({"results": results}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _proc_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return -1


def bench_agent_memory(directory: Path, scans: int) -> dict[str, float]:
    """Peak/current RSS of the real agent offline (queue grows) and online (drains)."""
    ingest_port, status_port = _free_port(), _free_port()
    port = PtyScannerPort()
    config = directory / "store.toml"
    config.write_text(
        f'[agent]\nqueue_path = "{directory / "agent.db"}"\nstatus_port = {status_port}\n'
        f'[ingest]\nurl = "http://127.0.0.1:{ingest_port}"\ntoken = "bench"\n'
        "backoff_max_s = 0.5\nbatch_size = 500\n[queue]\nmin_free_bytes = 0\n"
        f'[[devices]]\nname = "BENCH-1"\nport = "{port.path}"\nbaud = 115200\n'
    )
    agent = subprocess.Popen(
        [sys.executable, "-m", "ingest_core.cli", "agent", "--config", str(config)],
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        stderr=subprocess.DEVNULL,
    )
    status_url = f"http://127.0.0.1:{status_port}/status"

    def status() -> dict | None:
        try:
            return httpx.get(status_url, timeout=2).json()
        except httpx.HTTPError:
            return None

    def wait(predicate, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = status()
            if state is not None and predicate(state):
                return
            time.sleep(0.1)
        raise RuntimeError("agent did not reach the expected state")

    sink = None
    try:
        wait(lambda s: True, 20)
        started = time.perf_counter()
        for read in profiles.generate("black_friday", 2, scans):
            port.write(frame(read.code))
        wait(lambda s: s["queue"]["depth"] == scans, 120)
        intake_rate = scans / (time.perf_counter() - started)
        offline = {
            "offline_vmhwm_mib": _proc_kib(agent.pid, "VmHWM") / 1024,
            "offline_vmrss_mib": _proc_kib(agent.pid, "VmRSS") / 1024,
        }
        sink = ThreadingHTTPServer(("127.0.0.1", ingest_port), _AckAll)
        threading.Thread(target=sink.serve_forever, daemon=True).start()
        started = time.perf_counter()
        wait(lambda s: s["queue"]["depth"] == 0, 300)
        drain_rate = scans / (time.perf_counter() - started)
        return {
            "scans": scans,
            "pty_intake_reads_per_s": intake_rate,
            "replay_reads_per_s": drain_rate,
            **offline,
            "vmhwm_mib": _proc_kib(agent.pid, "VmHWM") / 1024,
            "vmrss_mib": _proc_kib(agent.pid, "VmRSS") / 1024,
        }
    finally:
        agent.terminate()
        agent.wait(30)
        if sink is not None:
            sink.shutdown()
            sink.server_close()
        port.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", default=".rtstock/bench", help="where the queue files go")
    parser.add_argument("--count", type=int, default=50_000, help="reads per append benchmark")
    parser.add_argument("--scans", type=int, default=20_000, help="scans fed to the agent")
    parser.add_argument("--skip-agent", action="store_true")
    args = parser.parse_args(argv)
    base = Path(args.dir)
    base.mkdir(parents=True, exist_ok=True)
    directory = Path(tempfile.mkdtemp(dir=base))
    try:
        result: dict[str, object] = {
            "filesystem": _filesystem(directory),
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
            "appends_per_s": bench_appends(directory, args.count),
        }
        if not args.skip_agent:
            result["agent"] = bench_agent_memory(directory, args.scans)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    print(json.dumps(result, indent=1))
    _table(result)
    return 0


def _table(result: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"store agent queue ({result['filesystem']}, {result['cpus']} CPUs)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for name, value in result["appends_per_s"].items():
        table.add_row(f"appends/s {name}", f"{value:,.0f}")
    for name, value in result.get("agent", {}).items():
        table.add_row(f"agent {name}", f"{value:,.1f}")
    Console(stderr=True).print(table)


if __name__ == "__main__":
    sys.exit(main())
