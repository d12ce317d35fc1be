"""A PostgreSQL connection that opens on first use and again after a failure.

Every long-running stage (writer, journal, reference refresher, health) holds
one; after an error it is ``reset()`` and the next ``cursor()`` reconnects, so
a database restart costs a retry, never a restart of the service. Each
connection carries the stage's name as ``application_name``, so a DBA sees in
``pg_stat_activity`` which backend is the writer and which the journal.
"""

from __future__ import annotations

import contextlib

import psycopg2


class Connection:
    def __init__(self, dsn: str, autocommit: bool = False, name: str = "rtstock") -> None:
        self.dsn = dsn
        self.autocommit = autocommit
        self.name = name
        self.raw = None
        self._dbname: str | None = None

    def cursor(self):
        if self.raw is None or self.raw.closed:
            self.raw = psycopg2.connect(self.dsn, application_name=self.name)
            self.raw.autocommit = self.autocommit
        return self.raw.cursor()

    @property
    def dbname(self) -> str:
        """The database's name (asked once: a reconnect reaches the same database)."""
        if self._dbname is None:
            self.cursor().close()
            self._dbname = self.raw.get_dsn_parameters().get("dbname", "")
        return self._dbname

    def commit(self) -> None:
        self.raw.commit()

    def rollback(self) -> None:
        self.raw.rollback()

    def reset(self) -> None:
        """Drop the connection (after an error); the next ``cursor()`` opens a new one."""
        if self.raw is not None:
            with contextlib.suppress(psycopg2.Error):
                self.raw.close()
        self.raw = None
