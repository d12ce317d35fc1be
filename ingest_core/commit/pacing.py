"""Back-pressure from the journal: the writer slows down before materialisation falls behind.

Why: on a host where the writer and the journal share the cores, a writer
running flat out takes the CPU the journal needs to turn committed events
into done moves, and the journal's lag (the age of the oldest event without a
move) grows past what the back office should see (measured at saturation:
runs of 0.6-0.8 s back to back, lag 1.2-1.8 s). Acks need not be that fast
while the journal is behind: ``JournalPacer`` watches the lag and, while it
is over ``target_s`` and the writer is saturated (its groups at least half
full), has the writer pause before each group (larger groups, fewer
statements, CPU left to the journal); under the target the pause decays to
nothing. Below saturation the writer never pauses: at half load the
journal keeps up, and a pause would only lengthen acks.

How: while the writer is saturated (a half-full group within the last
``IDLE_AFTER_S``), a thread reads the lag every ``poll_s`` (the same query as
``/healthz``: the partial index of pending batches) and adjusts the pause,
additive increase while over target, a slow multiplicative decrease while
under: the lag is a sawtooth (it drops as each journal run commits), and a
pause that collapsed at every drop would let the writer overrun again.
Below saturation it asks the database nothing and lets the pause decay.

Caveats: the pause is bounded (``max_pause_s``): with no journal running at
all, the ingest keeps acknowledging, slower, and ``/healthz`` says why.
"""

from __future__ import annotations

import logging
import threading
import time

import psycopg2

from ingest_core import metrics
from ingest_core.db.connection import Connection
from ingest_core.odoo import sql

_logger = logging.getLogger(__name__)


class JournalPacer:
    #: Without a half-full group for this long, the pacer stops reading the lag.
    IDLE_AFTER_S = 1.0

    def __init__(self, dsn: str, target_s: float, *, poll_s: float = 0.05,
                 step_s: float = 0.01, decay: float = 0.9, max_pause_s: float = 0.2) -> None:
        self._db = Connection(dsn, autocommit=True, name="rtstock pacer")
        self.target_s = target_s
        self.poll_s = poll_s
        self.step_s = step_s
        self.decay = decay
        self.max_pause_s = max_pause_s
        self.pause_s = 0.0
        self._saturated_at = float("-inf")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> JournalPacer:
        self._thread = threading.Thread(target=self._run, name="rtstock-pacer", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(5)
        self._db.reset()
        self.pause_s = 0.0

    def pause_before(self, last_group_reads: int, group_max_reads: int) -> float:
        """The writer's wait before its next group: the pause while it is saturated (its
        last group at least half full), nothing below saturation."""
        if last_group_reads * 2 < group_max_reads:
            return 0.0
        self._saturated_at = time.monotonic()
        return self.pause_s

    def observe(self, lag_s: float) -> float:
        """Adjust the pause to one lag reading; returns the new pause."""
        if lag_s > self.target_s:
            self.pause_s = min(self.pause_s + self.step_s, self.max_pause_s)
        else:
            self.pause_s = self.pause_s * self.decay if self.pause_s > 0.001 else 0.0
        metrics.WRITER_PAUSE.set(self.pause_s)
        return self.pause_s

    def _run(self) -> None:
        while not self._stop.wait(self.poll_s):
            if time.monotonic() - self._saturated_at > self.IDLE_AFTER_S:
                self.observe(0.0)  # below saturation: no query, the pause decays
                continue
            try:
                with self._db.cursor() as cur:
                    _pending, age = sql.pending_event_stats(cur)
            except psycopg2.Error as exc:
                _logger.warning("journal lag unknown (%s): not pacing", exc)
                self._db.reset()
                age = None
            self.observe(age or 0.0)
