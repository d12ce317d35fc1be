"""Template databases: the genuine Odoo 18 database and the own schema, ready to copy.

What it is: builders for the two templates the tests, the demo and the
benchmarks start from, and ``clone()`` for a fresh copy in well under a
second (``CREATE DATABASE … TEMPLATE …``).

How it works: *real* restores ``shared/odoo18/schema.sql`` and ``data.sql.gz``
exactly as that folder's README says (data loaded with
``session_replication_role = replica``, because the dump has circular
references); *own* runs ``init.create_own_schema`` and ``catalog.seed``.
The ``+addon`` variants add the add-on's tables (``db init``).

Caveats: a template must have no open connection while it is copied; every
helper here closes what it opens.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import psycopg2

from ingest_core.db.pgembed import EmbeddedPostgres
from ingest_core.odoo import catalog
from ingest_core.odoo.init import create_own_schema, init_addon_tables


def shared_odoo18_dir() -> Path | None:
    """``RTSTOCK_SHARED_ODOO18``, else ``../shared/odoo18`` beside the repo, if it exists."""
    configured = os.environ.get("RTSTOCK_SHARED_ODOO18")
    candidates = [Path(configured)] if configured else []
    repo = Path(__file__).resolve().parents[2]
    candidates += [repo.parent / "shared" / "odoo18", Path.cwd().parent / "shared" / "odoo18"]
    for candidate in candidates:
        if (candidate / "schema.sql").exists() and (candidate / "data.sql.gz").exists():
            return candidate
    return None


def _admin(server: EmbeddedPostgres):
    connection = psycopg2.connect(server.dsn("postgres"))
    connection.autocommit = True
    return connection


def _create_database(server: EmbeddedPostgres, name: str, template: str | None = None) -> None:
    connection = _admin(server)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            suffix = f' TEMPLATE "{template}"' if template else ""
            cursor.execute(f'CREATE DATABASE "{name}"{suffix}')
    finally:
        connection.close()


def drop(server: EmbeddedPostgres, name: str) -> None:
    connection = _admin(server)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        connection.close()


def clone(server: EmbeddedPostgres, template: str, name: str) -> str:
    """A fresh database copied from ``template``; returns its DSN."""
    _create_database(server, name, template)
    return server.dsn(name)


def with_addon(server: EmbeddedPostgres, name: str) -> None:
    connection = psycopg2.connect(server.dsn(name))
    try:
        init_addon_tables(connection)
    finally:
        connection.close()


def build_real(server: EmbeddedPostgres, name: str = "tmpl_real", source: Path | None = None,
               addon: bool = False) -> str:
    """Restore the genuine Odoo 18 database into ``name``."""
    source = source or shared_odoo18_dir()
    if source is None:
        raise FileNotFoundError("shared/odoo18 not found (set RTSTOCK_SHARED_ODOO18)")
    _create_database(server, name)
    # A half-restored template is thrown away, so no commit waits for its flush (psql -f
    # commits every statement: thousands of WAL flushes on a durable server).
    server.psql(name, "-c", "SET synchronous_commit = off", "-f", str(source / "schema.sql"))
    with gzip.open(source / "data.sql.gz", "rt", encoding="utf-8") as handle:
        data = ("SET synchronous_commit = off;\nSET session_replication_role = replica;\n"
                + handle.read())
    server.psql(name, "-o", os.devnull, stdin=data)
    if addon:
        with_addon(server, name)
    _analyze(server, name)
    return name


def build_own(server: EmbeddedPostgres, name: str = "tmpl_own", products: int = 2000) -> str:
    """Create the own schema with the demo catalog (add-on tables included) in ``name``."""
    _create_database(server, name)
    connection = psycopg2.connect(server.dsn(name))
    try:
        create_own_schema(connection)
        catalog.seed(connection, products=products)
    finally:
        connection.close()
    _analyze(server, name)
    return name


def _analyze(server: EmbeddedPostgres, name: str) -> None:
    """Planner statistics, as after any restore (pg_restore's advice; copies keep them).

    Without them the planner guesses a handful of rows per table and picks
    plans for that (a hash of all of ``stock_quant`` per group, for one); a
    production database has had autovacuum's ANALYZE long ago.
    """
    server.psql(name, "-c", "ANALYZE")


def build_best(server: EmbeddedPostgres, name: str) -> str:
    """The genuine Odoo 18 database (+ add-on tables) where ``shared/odoo18`` is
    present, else the own schema; returns a label saying which (benchmarks print it)."""
    if shared_odoo18_dir() is not None:
        build_real(server, name, addon=True)
        return "shared/odoo18 (genuine Odoo 18 database, 2000 products)"
    build_own(server, name)
    return "own schema (shared/odoo18 absent)"
