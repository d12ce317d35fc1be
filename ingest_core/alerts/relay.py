"""Relay the alert triggers' wake-ups to Odoo's cron and bus, once their transaction commits.

Why: the triggers of ``odoo.alerts`` run inside the writer's (or Odoo's)
transaction, in the Odoo database; Odoo's cron workers and its bus dispatcher
LISTEN in the ``postgres`` database (``cron_trigger``, ``imbus``), and NOTIFY
does not cross databases. The triggers ``pg_notify('rrs_wakeup', ...)``, which
PostgreSQL delivers only on commit (so a rolled-back group wakes nobody); this
thread LISTENs for it and sends Odoo's own two wake-ups, as ``ir_cron._notifydb``
and ``bus.bus._sendone`` would, merging whatever piled up while it sent.

Caveats: a wake-up lost while the relay reconnects only delays the job until
Odoo's cron polls (at most a minute) and the web client until it reconnects;
after each (re)connection one cron wake-up is sent to catch up.
"""

from __future__ import annotations

import json
import logging
import select
import threading

import psycopg2

from ingest_core import metrics
from ingest_core.db.connection import Connection
from ingest_core.odoo import sql

_logger = logging.getLogger(__name__)

POLL_S = 0.5  # how often the thread looks up from select() to see whether it must stop


class WakeupRelay:
    def __init__(self, dsn: str, notify_dsn: str) -> None:
        self._listen = Connection(dsn, autocommit=True, name="rtstock alert relay")
        self._notify = Connection(notify_dsn, autocommit=True, name="rtstock alert relay notify")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> WakeupRelay:
        self._thread = threading.Thread(target=self._run, name="rtstock-alert-relay", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)
        self._listen.reset()
        self._notify.reset()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._serve()
            except (psycopg2.Error, OSError) as exc:
                _logger.warning("alert relay lost its connection, reconnecting: %s", exc)
                self._listen.reset()
                self._notify.reset()
                self._stop.wait(1.0)

    def _serve(self) -> None:
        with self._listen.cursor() as cur:
            sql.listen_alert_wakeups(cur)
        raw = self._listen.raw
        self._send([], {self._listen.dbname})  # catch up on what came while we were away
        while not self._stop.is_set():
            if select.select([raw], [], [], POLL_S)[0]:
                raw.poll()
                channels: dict[str, None] = {}
                databases: set[str] = set()
                while raw.notifies:
                    self._collect(raw.notifies.pop(0).payload, channels, databases)
                    metrics.ALERT_WAKEUPS.inc()
                self._send(list(channels), databases)

    @staticmethod
    def _collect(payload: str, channels: dict[str, None], databases: set[str]) -> None:
        try:
            message = json.loads(payload)
        except ValueError:
            _logger.warning("alert relay: unreadable wake-up %r", payload[:200])
            return
        channels.update(dict.fromkeys(message.get("channels") or ()))
        if message.get("cron"):
            databases.add(message.get("db") or "")

    def _send(self, channels: list[str], databases: set[str]) -> None:
        with self._notify.cursor() as cur:
            sql.notify_bus(cur, channels)
            for database in sorted(databases - {""}):
                sql.notify_cron(cur, database)
