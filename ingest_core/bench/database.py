"""The database a benchmark runs on, and one transaction on it.

Why: every benchmark either measures ``--dsn`` as it is or builds a private
durable copy of the best template it can (the genuine Odoo 18 dump where
``../shared`` holds it, else the own schema) and removes it afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import psycopg2

from ingest_core.db.pgembed import EmbeddedPostgres
from ingest_core.odoo import templates

T = TypeVar("T")


@contextmanager
def bench_database(dsn: str | None, name: str, shared_buffers: str = "256MB"
                   ) -> Iterator[tuple[str, str, EmbeddedPostgres | None]]:
    """(dsn, what it holds, the private server or None for ``dsn``)."""
    if dsn:
        yield dsn, "dsn", None
        return
    server = EmbeddedPostgres(durable=True, shared_buffers=shared_buffers).start()
    try:
        source = templates.build_best(server, name)
        yield server.dsn(name), source, server
    finally:
        server.stop()


def in_transaction(dsn: str, work: Callable[..., T]) -> T:
    """``work(cursor)`` in one committed transaction on a connection of its own."""
    connection = psycopg2.connect(dsn)
    try:
        with connection, connection.cursor() as cur:
            return work(cur)
    finally:
        connection.close()
