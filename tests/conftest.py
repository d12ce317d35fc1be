"""Shared fixtures: one throwaway PostgreSQL for the session, databases copied from templates.

Templates: ``tmpl_own`` (own schema + demo catalog, always available),
``tmpl_real`` (the genuine Odoo 18 database from ../shared/odoo18, without the
add-on's tables) and ``tmpl_real_addon`` (the same after ``rtstock db init``).
Tests that need the genuine database skip with a clear reason where
../shared/odoo18 is absent.

Every test fails when a group-commit writer in this process fell back to
one-request commits during it (a fault: ``rtstock_group_fallbacks_total``);
ingest child processes check the same at their stop (``IngestProcess``) and
write their logs under pytest's temporary directory, which a passing run
removes (``tmp_path_retention_policy = failed``).
"""

from __future__ import annotations

import contextlib
import getpass
import itertools
import os
import tempfile
from pathlib import Path

import pytest

from ingest_core import metrics
from ingest_core.db.pgembed import EmbeddedPostgres
from ingest_core.odoo import templates

_counter = itertools.count()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session):
    """Remove pytest's per-user directory (``/tmp/pytest-of-<user>``) when the retention
    policy left it empty: a passing run leaves nothing in /tmp."""
    if session.config.option.basetemp:
        return
    temproot = os.environ.get("PYTEST_DEBUG_TEMPROOT") or tempfile.gettempdir()
    root = Path(temproot) / f"pytest-of-{getpass.getuser()}"  # as pytest names it
    current = root / "pytest-current"  # pytest's link to its last run, dead once removed
    with contextlib.suppress(OSError):  # not empty (a failed test's files): kept
        if current.is_symlink() and not current.exists():
            current.unlink()
        root.rmdir()


@pytest.fixture(autouse=True)
def no_group_fallbacks(request):
    """A test during which an in-process writer fell back to one-request commits fails
    (unless marked ``allow_fallbacks``: the test of the fallback itself)."""
    before = metrics.total(metrics.GROUP_FALLBACKS)
    yield
    if request.node.get_closest_marker("allow_fallbacks"):
        return
    if (fallbacks := metrics.total(metrics.GROUP_FALLBACKS) - before) > 0:
        pytest.fail(f"{fallbacks:.0f} group commit(s) fell back to one-request commits "
                    "(rtstock_group_fallbacks_total): see the writer's error log above")


@pytest.fixture(scope="session", autouse=True)
def ingest_log_dir(tmp_path_factory):
    """Ingest child processes log here (``IngestProcess``), not in /tmp."""
    directory = tmp_path_factory.mktemp("ingest-logs")
    previous = os.environ.get("RTSTOCK_INGEST_LOG_DIR")
    os.environ["RTSTOCK_INGEST_LOG_DIR"] = str(directory)
    yield directory
    if previous is None:
        os.environ.pop("RTSTOCK_INGEST_LOG_DIR", None)
    else:
        os.environ["RTSTOCK_INGEST_LOG_DIR"] = previous


@pytest.fixture(scope="session")
def pg_server():
    # Not under pytest's tmp dir: that is private to root and the server runs as postgres.
    server = EmbeddedPostgres(durable=False)
    server.start()
    yield server
    server.stop(remove=True)


@pytest.fixture(scope="session")
def own_template(pg_server) -> str:
    return templates.build_own(pg_server)


@pytest.fixture(scope="session")
def real_source():
    source = templates.shared_odoo18_dir()
    if source is None:
        pytest.skip("genuine Odoo 18 database not available: ../shared/odoo18 is absent "
                    "(set RTSTOCK_SHARED_ODOO18 to its path)")
    return source


@pytest.fixture(scope="session")
def real_template(pg_server, real_source) -> str:
    return templates.build_real(pg_server, "tmpl_real", real_source)


@pytest.fixture(scope="session")
def real_addon_template(pg_server, real_template) -> str:
    name = "tmpl_real_addon"
    templates.clone(pg_server, real_template, name)
    templates.with_addon(pg_server, name)
    return name


def _fresh(pg_server, template: str):
    name = f"t_{os.getpid()}_{next(_counter)}"
    dsn = templates.clone(pg_server, template, name)
    yield dsn
    templates.drop(pg_server, name)


@pytest.fixture
def own_db(pg_server, own_template):
    """DSN of a fresh copy of the own schema + demo catalog."""
    yield from _fresh(pg_server, own_template)


@pytest.fixture
def real_db(pg_server, real_template):
    """DSN of a fresh copy of the genuine Odoo 18 database (no add-on tables)."""
    yield from _fresh(pg_server, real_template)


@pytest.fixture
def real_addon_db(pg_server, real_addon_template):
    """DSN of a fresh copy of the genuine Odoo 18 database with the add-on's tables."""
    yield from _fresh(pg_server, real_addon_template)


@pytest.fixture(scope="session")
def fast_path_template(pg_server, request) -> str:
    """The genuine Odoo 18 database + add-on tables where ../shared is present, else own schema.

    Both have the same ids (stores S01/S02, products 2..2001, EAN-13 4012345 + index).
    """
    if templates.shared_odoo18_dir() is not None:
        return request.getfixturevalue("real_addon_template")
    return request.getfixturevalue("own_template")


@pytest.fixture(scope="module")
def module_db(pg_server, fast_path_template):
    """A database shared by the tests of one module (they must not assume absolute stock)."""
    name = f"m_{os.getpid()}_{next(_counter)}"
    yield templates.clone(pg_server, fast_path_template, name)
    templates.drop(pg_server, name)


@pytest.fixture
def fast_db(pg_server, fast_path_template):
    """A fresh database for one test (see ``fast_path_template``)."""
    yield from _fresh(pg_server, fast_path_template)
