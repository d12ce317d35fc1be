"""A PostgreSQL connection that opens on first use and again after a failure.

Every long-running stage (writer, journal, reference refresher, health) holds
one; after an error it is ``reset()`` and the next ``cursor()`` reconnects, so
a database restart costs a retry, never a restart of the service.
"""

from __future__ import annotations

import contextlib

import psycopg2


class Connection:
    def __init__(self, dsn: str, autocommit: bool = False) -> None:
        self.dsn = dsn
        self.autocommit = autocommit
        self.raw = None

    def cursor(self):
        if self.raw is None or self.raw.closed:
            self.raw = psycopg2.connect(self.dsn)
            self.raw.autocommit = self.autocommit
        return self.raw.cursor()

    @property
    def dbname(self) -> str:
        self.cursor().close()
        return self.raw.get_dsn_parameters().get("dbname", "")

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
