"""The soak's verdict: does the ingest stay the same over hours of load?

What it is: ``load_tests.run --soak`` samples the ingest process (RSS, open file
descriptors, threads) and its database connections every ``every_s`` while locust runs,
and ``flatness`` compares the first and the last window of the run (10 minutes by
default): throughput and p99 (locust's history, every device kind together) and RSS
within ``tolerance`` (10 %), and no more descriptors, threads or connections at the end
than at the start: growth is the last window never falling back to the first window's
most (its fewest above that), so a connection a scheduler opens for a moment, sampled in
one window only, is not a leak, and a leak is. A leak, a cache without a bound or a
slowdown as tables grow shows as a difference between the two windows.

How it works: ``Sampler`` is a thread reading ``/proc/<pid>`` and ``pg_stat_activity``;
``flatness`` takes the samples and locust's ``*_stats_history.csv`` (its "Aggregated"
rows: requests/s and the p99 of the last seconds) and returns the two windows' figures,
their changes and one reason per figure that moved too much.

Caveats: the windows are means over what was sampled in them; locust's p99 per history
row covers its last few seconds, so a window's p99 is the mean of those, not a
percentile of every request in it.
"""

from __future__ import annotations

import csv
import os
import threading
import time
from pathlib import Path

#: Figures that must stay within the tolerance: (name, where it comes from).
STEADY = ("requests_per_s", "p99_ms", "rss_mb")
#: Figures that must not grow at all (each window's largest and fewest sampled).
BOUNDED = ("fds", "threads", "db_connections")


class Sampler:
    def __init__(self, pid: int, dsn: str, every_s: float = 10.0) -> None:
        self.pid = pid
        self.dsn = dsn
        self.every_s = every_s
        self.samples: list[dict] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="soak-sampler", daemon=True)

    def start(self) -> Sampler:
        self._thread.start()
        return self

    def stop(self) -> list[dict]:
        self._stop.set()
        self._thread.join(30)
        return self.samples

    def _run(self) -> None:
        import psycopg2

        connection = psycopg2.connect(self.dsn)
        connection.autocommit = True
        try:
            while True:
                with connection.cursor() as cur:  # every connection but this sampler's
                    cur.execute("SELECT count(*) - 1 FROM pg_stat_activity "
                                "WHERE datname = current_database()")
                    connections = cur.fetchone()[0]
                sample = process_figures(self.pid)
                if sample is None:
                    return  # the ingest is gone
                self.samples.append({"t": time.time(), **sample,
                                     "db_connections": connections})
                if self._stop.wait(self.every_s):
                    return
        finally:
            connection.close()


def process_figures(pid: int) -> dict | None:
    """RSS (MB), open descriptors and threads of ``pid``; None when it has exited."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        fds = len(os.listdir(f"/proc/{pid}/fd"))
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return {"rss_mb": round(int(fields["VmRSS"].split()[0]) / 1024, 1), "fds": fds,
            "threads": int(fields["Threads"])}


def history(path: Path) -> list[dict]:
    """Locust's "Aggregated" history rows: time, requests/s, p99 (ms) when it has one."""
    rows = []
    with path.open() as handle:
        for row in csv.DictReader(handle):
            if row["Name"] != "Aggregated":
                continue
            p99 = row["99%"]
            rows.append({"t": float(row["Timestamp"]), "requests_per_s": float(row["Requests/s"]),
                         "p99_ms": float(p99) if p99 not in ("", "N/A") else None})
    return rows


def flatness(samples: list[dict], rows: list[dict], window_s: float = 600.0,
             tolerance: float = 0.10, skip_s: float = 0.0) -> dict:
    """The first and last windows' figures, their relative changes and the reasons the
    run is not flat. The first ``skip_s`` (locust starting its users) are left out. The
    window is shortened to a third of the run when the run is shorter than three windows
    (a short check of the tool itself)."""
    moments = [item["t"] for item in samples + rows]
    if not samples or not rows:
        return {"reasons": ["soak: nothing was sampled"]}
    start, end = min(moments) + skip_s, max(moments)
    window = min(window_s, (end - start) / 3)
    first = _means(samples, rows, start, start + window)
    last = _means(samples, rows, end - window, end)
    changes, reasons = {}, []
    for name in STEADY:
        if first.get(name) and last.get(name) is not None:
            changes[name] = round((last[name] - first[name]) / first[name], 3)
            if abs(changes[name]) > tolerance:
                reasons.append(f"soak: {name} {first[name]} in the first {window:.0f} s, "
                               f"{last[name]} in the last ({changes[name]:+.0%}, more than "
                               f"{tolerance:.0%})")
    for name in BOUNDED:
        if last[f"{name}_fewest"] > first[name]:
            reasons.append(f"soak: {name} grew from {first[name]} (the first window's most) "
                           f"to {last[f'{name}_fewest']} (the last window's fewest)")
    return {"window_s": round(window, 1), "duration_s": round(end - start, 1),
            "tolerance": tolerance, "first": first, "last": last, "changes": changes,
            "samples": len(samples), "reasons": reasons}


def _means(samples: list[dict], rows: list[dict], since: float, until: float) -> dict:
    def inside(items):
        return [item for item in items if since <= item["t"] <= until]

    def mean(values):
        values = [value for value in values if value is not None]
        return round(sum(values) / len(values), 1) if values else None

    sampled, history_rows = inside(samples), inside(rows)
    figures = {name: max((item[name] for item in sampled), default=0) for name in BOUNDED}
    figures.update({f"{name}_fewest": min((item[name] for item in sampled), default=0)
                    for name in BOUNDED})
    figures["rss_mb"] = mean(item["rss_mb"] for item in sampled)
    figures["requests_per_s"] = mean(row["requests_per_s"] for row in history_rows)
    figures["p99_ms"] = mean(row["p99_ms"] for row in history_rows)
    return figures


def table(result: dict) -> str:
    """The two windows side by side."""
    if "first" not in result:
        return "soak: no figures"
    lines = [f"soak: first and last {result['window_s']:.0f} s of {result['duration_s']:.0f} s "
             f"({result['samples']} samples)",
             f"{'figure':<16}{'first':>12}{'last':>12}{'change':>10}"]
    for name in STEADY + BOUNDED:
        change = result["changes"].get(name)
        lines.append(f"{name:<16}{result['first'][name]!s:>12}{result['last'][name]!s:>12}"
                     f"{'' if change is None else f'{change:+.1%}':>10}")
    return "\n".join(lines)
