"""The ``retail_realtime_stock`` add-on on a real Odoo 18: install, own tests, tables.

What it is: the bridge between pytest and Odoo's own test runner. It installs
the add-on with ``--test-enable`` on a fresh database, requires a clean run
(exit 0, no ERROR/CRITICAL/FAIL line, at least one add-on test run), then
compares the add-on's tables with what the ingest declares for them in
``ingest_core/odoo/tables.py`` (columns, types, NOT NULL, foreign keys, and
which columns carry a foreign key (exactly the ``enforced`` references), and
the full definitions of the indexes and constraints the declaration names,
compared with what the ingest's own DDL creates).

How it works: the Odoo to use is given by environment variables (see
``docs/live-odoo.md``): ``RTSTOCK_ODOO_BIN`` (odoo-bin), ``RTSTOCK_ODOO_PYTHON``
(the Python that runs it), ``RTSTOCK_ODOO_CONF`` (its config file, which also
names the database server); ``RTSTOCK_ODOO_DSN`` optionally gives the libpq
DSN of that server for the table checks. The database is dropped at the end.

Caveats: without those variables, or when the database server does not
answer, every test here is skipped with a reason that names the variables.
The server must be on this machine (loopback or unix socket): the tests never
connect anywhere else. One run takes about a minute.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass

import psycopg2
import pytest

from ingest_core.bench import odoo_live
from ingest_core.bench.odoo_live import ADDON, ENV_VARS, addons_path
from ingest_core.odoo import ddl
from ingest_core.odoo.tables import ADDON_TABLES, ODOO_TABLES

pytestmark = pytest.mark.live_odoo

INSTALL_TIMEOUT_S = 1800
# Odoo log line: "2026-11-25 19:54:17,231 10496 ERROR dbname logger: message"
BAD_LOG_LINE = re.compile(r"^\S+ \S+ \d+ (ERROR|CRITICAL) |^(FAIL|ERROR): ")
TEST_RESULT_LINE = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests")
# Indexes and constraints the declaration creates by name (``Table.ddl``): the
# ingest's own schema (``rtstock db init``) and the add-on must define them alike.
NAMED_OBJECT = re.compile(r"(?:CREATE (?:UNIQUE )?INDEX|ADD CONSTRAINT) (\w+) ")
NAMED_OBJECTS = {
    match.group(1): table.name
    for table in ADDON_TABLES
    for statement in table.ddl
    for match in [NAMED_OBJECT.search(statement)]
    if match
}
EXPECTED_SCHEMA = "rrs_expected"


def _skip_loudly(why: str):
    pytest.skip(
        f"LIVE ODOO ADD-ON TESTS SKIPPED: {why}. To run them, set "
        + ", ".join(ENV_VARS)
        + " (and optionally RTSTOCK_ODOO_DSN) to a local Odoo 18 and its database "
        "server; see docs/live-odoo.md."
    )


@dataclass(frozen=True)
class LiveOdoo:
    python: str
    odoo_bin: str
    conf: str
    dsn: str

    def connect(self, dbname: str):
        return psycopg2.connect(self.dsn, dbname=dbname, connect_timeout=5)

    def odoo(self, *args: str, timeout: int = INSTALL_TIMEOUT_S) -> subprocess.CompletedProcess:
        # A temporary directory of its own: the browser tours' Chromium leaves its
        # profile and singleton files in TMPDIR; removed with it.
        with tempfile.TemporaryDirectory(prefix="rtstock-odoo-tmp-") as tmp:
            return subprocess.run(
                [self.python, self.odoo_bin, *args],
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
                env={**os.environ, "TMPDIR": tmp},
            )


def _free_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def live_odoo() -> LiveOdoo:
    try:
        found = odoo_live.LiveOdoo.from_env()
    except odoo_live.LiveOdooUnavailable as why:
        _skip_loudly(str(why))
    return LiveOdoo(found.python, found.odoo_bin, found.conf, found.dsn)


@pytest.fixture(scope="module")
def installed_db(live_odoo: LiveOdoo):
    """Install the add-on with its tests on a fresh database; drop it afterwards."""
    dbname = f"rrs_pytest_{os.getpid()}_{int(time.time())}"
    started = time.monotonic()
    try:
        result = live_odoo.odoo(
            "-c",
            live_odoo.conf,
            "--addons-path",
            addons_path(live_odoo.conf),
            "-d",
            dbname,
            "-i",
            ADDON,
            "--test-enable",
            "--test-tags",
            f"/{ADDON}",
            "--stop-after-init",
            "--without-demo=all",
            "--log-level=info",
            "--http-interface=127.0.0.1",
            f"--http-port={_free_loopback_port()}",
            f"--gevent-port={_free_loopback_port()}",
        )
        yield dbname, result, time.monotonic() - started
    finally:
        dropped = live_odoo.odoo("db", "-c", live_odoo.conf, "drop", dbname, timeout=300)
        if dropped.returncode != 0:
            connection = live_odoo.connect("postgres")
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
            connection.close()


def _log_tail(result: subprocess.CompletedProcess, lines: int = 60) -> str:
    return "\n".join((result.stdout + result.stderr).splitlines()[-lines:])


def test_addon_installs_and_its_tests_pass(installed_db):
    """odoo-bin -i retail_realtime_stock --test-enable exits 0 with no ERROR/FAIL line."""
    _dbname, result, seconds = installed_db
    log = result.stdout + result.stderr
    bad = [line for line in log.splitlines() if BAD_LOG_LINE.search(line)]
    assert result.returncode == 0, (f"odoo-bin exited {result.returncode}; ERROR/FAIL lines:\n"
                                    + "\n".join(bad[:40]) + f"\n...\n{_log_tail(result)}")
    assert not bad, "ERROR/FAIL lines in the Odoo log:\n" + "\n".join(bad[:40])
    counts = TEST_RESULT_LINE.findall(log)
    assert counts, f"no Odoo test result line: were the tests run?\n{_log_tail(result)}"
    failed, errors, total = map(int, counts[-1])
    assert (failed, errors) == (0, 0), f"{failed} failed, {errors} errors of {total}"
    assert total > 0, "the add-on's tests did not run"
    # Odoo skips its browser tests (the add-on's tours) without this package.
    assert "websocket-client module is not installed" not in log, (
        "the add-on's browser tours were skipped: install websocket-client in "
        "RTSTOCK_ODOO_PYTHON (docs/live-odoo.md)"
    )
    assert seconds < INSTALL_TIMEOUT_S


def _live_columns(cursor, table: str) -> dict[str, tuple[str, bool, str | None]]:
    cursor.execute(
        """SELECT column_name, data_type, is_nullable = 'NO'
             FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = %s""",
        [table],
    )
    columns = {name: [data_type, not_null, None] for name, data_type, not_null in cursor}
    cursor.execute(
        """SELECT a.attname, c.confrelid::regclass::text
             FROM pg_constraint c
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            WHERE c.contype = 'f' AND c.conrelid = %s::regclass""",
        [table],
    )
    for name, referenced in cursor:
        columns[name][2] = referenced
    return {name: tuple(spec) for name, spec in columns.items()}


def test_addon_tables_match_ingest_declaration(installed_db, live_odoo: LiveOdoo):
    """The add-on's tables are exactly the ones ingest_core/odoo/tables.py declares."""
    dbname, result, _seconds = installed_db
    assert result.returncode == 0, "install failed; see test_addon_installs_and_its_tests_pass"
    connection = live_odoo.connect(dbname)
    try:
        with connection.cursor() as cursor:
            for table in ADDON_TABLES:
                live = _live_columns(cursor, table.name)
                # A reference without a constraint (``~``) must have no foreign key.
                declared = {
                    column.name: (
                        column.reported_type,
                        column.not_null,
                        column.references if column.enforced else None,
                    )
                    for column in table.columns
                }
                differences = {
                    name: {"declared": declared.get(name), "add-on": live.get(name)}
                    for name in sorted(set(live) | set(declared))
                    if live.get(name) != declared.get(name)
                }
                assert not differences, f"{table.name} differs: {differences}"
    finally:
        connection.close()


def _index_definitions(cursor, schema: str) -> dict[str, tuple[str, str]]:
    """name -> (table, definition without the schema) of the named objects in ``schema``."""
    cursor.execute(
        """SELECT indexname, tablename, indexdef FROM pg_indexes
            WHERE schemaname = %s AND indexname = ANY(%s)""",
        [schema, list(NAMED_OBJECTS)],
    )
    return {
        name: (table, definition.replace(f" ON {schema}.", " ON "))
        for name, table, definition in cursor
    }


def _constraint_definitions(cursor, schema: str) -> dict[str, str]:
    """name -> pg_get_constraintdef of the named constraints in ``schema``."""
    cursor.execute(
        """SELECT c.conname, pg_get_constraintdef(c.oid)
             FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
            WHERE n.nspname = %s AND c.conname = ANY(%s)""",
        [schema, list(NAMED_OBJECTS)],
    )
    return dict(cursor.fetchall())


def test_addon_named_constraints_and_indexes(installed_db, live_odoo: LiveOdoo):
    """The named indexes/constraints are defined exactly as the ingest's DDL defines them."""
    dbname, result, _seconds = installed_db
    assert result.returncode == 0, "install failed; see test_addon_installs_and_its_tests_pass"
    assert set(NAMED_OBJECTS) >= {
        "rrs_device_token_hash_uniq",
        "rrs_event_device_key_uniq",
        "rrs_event_batch_pending_idx",
        "rrs_quarantine_device_key_idx",
    }, f"the declaration no longer names the objects the ingest relies on: {NAMED_OBJECTS}"
    connection = live_odoo.connect(dbname)
    try:
        with connection.cursor() as cursor:
            installed = _index_definitions(cursor, "public")
            installed_constraints = _constraint_definitions(cursor, "public")
            # The ingest's own DDL for the add-on tables, in a scratch schema of the
            # same database (references resolve to Odoo's tables), rolled back after.
            cursor.execute(f"CREATE SCHEMA {EXPECTED_SCHEMA}")
            cursor.execute(f"SET LOCAL search_path TO {EXPECTED_SCHEMA}, public")
            odoo_tables = [table.name for table in ODOO_TABLES]
            for statement in ddl.schema_statements(ADDON_TABLES, existing=odoo_tables):
                cursor.execute(statement)
            expected = _index_definitions(cursor, EXPECTED_SCHEMA)
            expected_constraints = _constraint_definitions(cursor, EXPECTED_SCHEMA)
        connection.rollback()
    finally:
        connection.close()
    assert set(expected) == set(NAMED_OBJECTS), f"ingest DDL made {sorted(expected)}"
    for name, table in NAMED_OBJECTS.items():
        assert name in installed, f"index {name} missing on {table}"
        assert installed[name] == expected[name], (
            f"{name} differs:\n  add-on: {installed[name]}\n  ingest: {expected[name]}"
        )
    # Where the ingest declares a constraint (not only a unique index), the add-on
    # must have that constraint: ``ON CONFLICT ON CONSTRAINT`` needs one.
    for name, definition in expected_constraints.items():
        assert installed_constraints.get(name) == definition, (
            f"constraint {name}: add-on {installed_constraints.get(name)}, ingest {definition}"
        )
