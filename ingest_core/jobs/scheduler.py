"""The nightly forecast and replenishment, and the runs a manager asks for from Odoo.

What it is: a thread of ``rtstock serve`` that keeps the reorder points
following demand without anyone typing a command: every night at
``forecast_at`` (a local time in ``forecast_timezone``) it runs ``rtstock
forecast run`` then ``rtstock forecast replenish`` on the database, and it runs
them at once when a manager clicks *Refresh forecast* in Odoo (a row
``requested`` in ``rrs_job_run``). Each run's outcome is a row Odoo shows
(*Retail Stock > Configuration > Scheduled jobs*) and a count in ``/metrics``.

How it works: every ``poll_s`` the thread marks the runs of ingests that died
as failed, inserts tonight's run once it is due (every ingest of the database
may try; the unique index keeps one; a run missed while no ingest was up is
made at the next start), claims the oldest requested run (one ingest runs it,
``ingest_core.odoo.jobs``) and runs its steps as child processes at a lower
CPU priority (``nice`` 10), so the numeric work never takes the hot path's
interpreter or its cores first. A step that fails stops the run; its last
lines of output are the run's detail.

Caveats: the steps get the database's DSN in their environment
(``RTSTOCK_DSN``), not on their command line, which every user of the machine
can read. A run takes as long as its steps; requests made
meanwhile are served by it.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from prometheus_client import Counter

from ingest_core.db.connection import Connection
from ingest_core.odoo import jobs

_logger = logging.getLogger(__name__)

JOB = "forecast"
STEP_TIMEOUT_S = 3 * 3600
#: Steps run at a lower CPU priority (coreutils ``nice``; without it, as they are).
NICE = ["nice", "-n", "10"] if shutil.which("nice") else []
RUNS = Counter("rtstock_job_runs_total", "Scheduled job runs by job and outcome",
               ["job", "outcome"])


def steps() -> list[list[str]]:
    """The forecast job's commands: forecast every series, then set the reorder rules
    (the database from ``RTSTOCK_DSN`` in their environment)."""
    cli = [sys.executable, "-m", "ingest_core.cli", "forecast"]
    return [[*cli, "run", "--json"], [*cli, "replenish", "--json"]]


def due_at(now: datetime, at: time, zone: ZoneInfo) -> datetime:
    """The latest due instant at or before ``now`` (aware UTC) of a daily local time, as
    naive UTC (the column's form)."""
    local = now.astimezone(zone)
    due = datetime.combine(local.date(), at, tzinfo=zone)
    if due > local:
        due = datetime.combine(local.date() - timedelta(days=1), at, tzinfo=zone)
    return due.astimezone(UTC).replace(tzinfo=None)


def parse_at(text: str) -> time | None:
    """``HH:MM`` of ``forecast_at``; None (no nightly run) for an empty setting."""
    if not text.strip():
        return None
    try:
        return time.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"forecast_at must be HH:MM (local time), not {text!r}") from None


class JobScheduler:
    def __init__(self, dsn: str, at: str = "", timezone: str = "UTC", poll_s: float = 30.0,
                 node: str | None = None, commands: Sequence[Sequence[str]] | None = None
                 ) -> None:
        self.at = parse_at(at)
        self.zone = ZoneInfo(timezone)
        self.poll_s = poll_s
        self.node = node or f"{socket.gethostname()}:{os.getpid()}"
        self.commands = [list(command) for command in (commands or steps())]
        self._env = {**os.environ, "RTSTOCK_DSN": dsn}
        self._db = Connection(dsn, name="rtstock jobs")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._child: subprocess.Popen | None = None
        self._missing_logged = False

    def start(self) -> JobScheduler:
        self._thread = threading.Thread(target=self._loop, name="rtstock-jobs", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        child = self._child
        if child is not None and child.poll() is None:
            child.terminate()  # the run is then failed; the next due time runs it again
        if self._thread:
            self._thread.join(30)
        self._db.reset()

    def _loop(self) -> None:
        while not self._stop.wait(self.poll_s):
            try:
                self.tick()
            except Exception:
                _logger.exception("scheduled jobs: a round failed; retrying")
                self._db.reset()

    def tick(self, now: datetime | None = None) -> int | None:
        """One round: reap, schedule tonight's run when due, run one request. Returns the
        id of the run it ran, if any."""
        now = now or datetime.now(UTC)
        with self._db.cursor() as cur:
            if not jobs.table_exists(cur):
                if not self._missing_logged:
                    _logger.warning("scheduled jobs: no rrs_job_run table (add-on older than "
                                    "18.0.1.8.0): the nightly forecast does not run")
                    self._missing_logged = True
                self._db.rollback()
                return None
            for run_id in jobs.reap(cur):
                _logger.error("scheduled jobs: run %d was interrupted (its ingest stopped)",
                              run_id)
                RUNS.labels(JOB, "interrupted").inc()
            if self.at is not None:
                jobs.schedule(cur, JOB, due_at(now, self.at, self.zone))
            claimed = jobs.claim(cur, self.node)
        self._db.commit()
        if claimed is None:
            return None
        run_id, job = claimed
        try:
            ok, detail = self._execute(run_id)
            with self._db.cursor() as cur:
                jobs.finish(cur, run_id, job, ok, detail)
            self._db.commit()
        finally:
            with self._db.cursor() as cur:
                jobs.release(cur, run_id)
            self._db.commit()
        RUNS.labels(job, "done" if ok else "failed").inc()
        (_logger.info if ok else _logger.error)("scheduled jobs: run %d of %s %s: %s", run_id,
                                                job, "done" if ok else "failed", detail)
        return run_id

    def _execute(self, run_id: int) -> tuple[bool, str]:
        """Run the steps in order; (all succeeded, what they said)."""
        said = []
        for command in self.commands:
            step = _label(command)
            if self._stop.is_set():
                return False, "; ".join([*said, f"{step}: not run, the ingest is stopping"])
            try:
                self._child = subprocess.Popen([*NICE, *command], stdout=subprocess.PIPE,
                                               stderr=subprocess.PIPE, text=True,
                                               env=self._env)
                out, err = self._child.communicate(timeout=STEP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self._child.kill()
                self._child.communicate()
                return False, "; ".join([*said, f"{step}: over {STEP_TIMEOUT_S} s, stopped"])
            finally:
                code = self._child.returncode if self._child else None
                self._child = None
            if code != 0:
                tail = (err.strip() or out.strip()).splitlines()[-3:]
                return False, "; ".join([*said, f"{step}: exit {code}: {' / '.join(tail)}"])
            said.append(f"{step}: {_summary(out)}")
        return True, "; ".join(said)


def _label(command: Sequence[str]) -> str:
    """``forecast run`` of a step's command line (its program otherwise)."""
    if "forecast" in command[:-1]:
        return f"forecast {command[command.index('forecast') + 1]}"
    return os.path.basename(command[0])


def _summary(out: str) -> str:
    """A step's JSON report in a few figures (its raw text when it is not JSON)."""
    try:
        report = json.loads(out)
    except ValueError:
        return out.strip()[-200:]
    keep = ("series", "rows_written", "suggestions", "rules_changed", "rules_created",
            "manual_kept", "seconds")
    return ", ".join(f"{key} {report[key]}" for key in keep if key in report) or "ok"
