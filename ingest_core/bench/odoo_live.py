"""A live Odoo 18 on this machine, driven from outside: databases, ``odoo-bin shell``, server.

What it is: the helpers the live-Odoo benchmark baselines and the equivalence
test share. ``LiveOdoo.from_env()`` reads ``RTSTOCK_ODOO_BIN``,
``RTSTOCK_ODOO_PYTHON``, ``RTSTOCK_ODOO_CONF`` (and optionally
``RTSTOCK_ODOO_DSN``, else the ``db_*`` options of the config file), as
``docs/live-odoo.md`` describes; ``shell()`` feeds Python to ``odoo-bin shell``
on stdin and returns what the code printed after a marker as JSON;
``server()`` runs ``odoo-bin`` on a free loopback port for XML-RPC.

How it works: databases are made with ``CREATE DATABASE … TEMPLATE …`` on the
Odoo database server; the shell code runs as the superuser (uid 1) and must
call ``env.cr.commit()`` itself (the shell rolls back on exit).

Caveats: only a database server on a loopback address or a unix socket is
accepted; nothing here connects anywhere else. Odoo itself is not part of
this project: it is found, never built or shipped.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import xmlrpc.client
from dataclasses import dataclass
from pathlib import Path

import psycopg2

ENV_VARS = ("RTSTOCK_ODOO_BIN", "RTSTOCK_ODOO_PYTHON", "RTSTOCK_ODOO_CONF")
ADDON = "retail_realtime_stock"
#: This checkout's add-ons: what the live tests install, whatever the config points at.
REPO_ADDONS = Path(__file__).resolve().parents[2] / "addons"
LOOPBACK_HOSTS = {"", "localhost", "127.0.0.1", "::1"}
RESULT_MARKER = "@@RTSTOCK-RESULT@@"


#: Copies of a template database tried while the template has a session (``create_db``).
TEMPLATE_ATTEMPTS = 20


class LiveOdooUnavailable(RuntimeError):
    """No usable live Odoo: the message says why and which variables to set."""


def dsn_from_conf(conf_path: str) -> str:
    """libpq DSN of the config file's database server (its ``db_*`` options)."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(conf_path)
    options = parser["options"] if parser.has_section("options") else {}
    parts = {}
    for key, option in (("host", "db_host"), ("port", "db_port"), ("user", "db_user"),
                        ("password", "db_password")):
        value = options.get(option, "") or ""
        if value not in ("", "False", "None"):
            parts[key] = value
    return " ".join(f"{key}={value}" for key, value in parts.items())


def addons_path(conf_path: str, ours: Path = REPO_ADDONS) -> str:
    """The config's ``addons_path`` with ``ours`` first and no other copy of the add-on:
    a clean clone's tests install the clone's add-on, not the one the config names."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(conf_path)
    options = parser["options"] if parser.has_section("options") else {}
    entries = [entry.strip() for entry in (options.get("addons_path", "") or "").split(",")]
    kept = [entry for entry in entries if entry and not (Path(entry) / ADDON).is_dir()]
    return ",".join([str(ours), *kept])


def _dsn_param(dsn: str, name: str) -> str:
    match = re.search(rf"(?:^|\s){name}=(\S+)", dsn)
    return match.group(1) if match else ""


def dsn_with_db(dsn: str, dbname: str) -> str:
    """``dsn`` pointing at database ``dbname``."""
    rest = re.sub(r"(?:^|\s)dbname=\S+", "", dsn).strip()
    return f"{rest} dbname={dbname}".strip()


@dataclass(frozen=True)
class LiveOdoo:
    odoo_bin: str
    python: str
    conf: str
    dsn: str  # server DSN without (or with any) dbname

    @classmethod
    def from_env(cls) -> LiveOdoo:
        """The configured live Odoo; raises ``LiveOdooUnavailable`` with the reason."""
        missing = [name for name in ENV_VARS if not os.environ.get(name)]
        if missing:
            raise LiveOdooUnavailable(f"{', '.join(missing)} not set")
        odoo_bin, python, conf = (os.environ[name] for name in ENV_VARS)
        for name, path in zip(ENV_VARS, (odoo_bin, python, conf), strict=True):
            if not Path(path).exists():
                raise LiveOdooUnavailable(f"{name}={path} does not exist")
        dsn = os.environ.get("RTSTOCK_ODOO_DSN") or dsn_from_conf(conf)
        host = _dsn_param(dsn, "host")
        if host not in LOOPBACK_HOSTS and not host.startswith("/"):
            raise LiveOdooUnavailable(f"the database server {host!r} is not on this machine")
        live = cls(odoo_bin, python, conf, dsn)
        try:
            psycopg2.connect(live.db_dsn("postgres"), connect_timeout=5).close()
        except psycopg2.OperationalError as error:
            raise LiveOdooUnavailable(
                f"the Odoo database server ({dsn}) does not answer: {error}".strip()) from error
        return live

    # ------------------------------------------------------------------ databases
    def db_dsn(self, dbname: str) -> str:
        return dsn_with_db(self.dsn, dbname)

    def _admin(self, statement: str) -> None:
        connection = psycopg2.connect(self.db_dsn("postgres"), connect_timeout=5)
        connection.autocommit = True
        try:
            with connection.cursor() as cur:
                cur.execute(statement)
        finally:
            connection.close()

    def create_db(self, name: str, template: str) -> str:
        """``name`` as a copy of ``template``. PostgreSQL refuses to copy a database that
        has a session (another run's shell or server on the template), so the copy is
        tried again for about three and a half minutes before the refusal is raised."""
        self.drop_db(name)
        for attempt in range(TEMPLATE_ATTEMPTS):
            try:
                self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
                return self.db_dsn(name)
            except psycopg2.errors.ObjectInUse:
                if attempt == TEMPLATE_ATTEMPTS - 1:
                    raise
                time.sleep(1 + attempt)
        raise AssertionError("unreachable")

    def drop_db(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def db_exists(self, name: str) -> bool:
        connection = psycopg2.connect(self.db_dsn("postgres"), connect_timeout=5)
        try:
            with connection.cursor() as cur:
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
                return cur.fetchone() is not None
        finally:
            connection.close()

    # ------------------------------------------------------------------ odoo-bin
    def odoo(self, *args: str, stdin: str | None = None, timeout: float = 1800,
             env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([self.python, self.odoo_bin, *args], input=stdin,
                              capture_output=True, text=True, timeout=timeout, check=False,
                              env=None if env is None else {**os.environ, **env})

    def install(self, dbname: str, modules: str) -> None:
        result = self.odoo("-c", self.conf, "--addons-path", addons_path(self.conf), "-d",
                           dbname, "-i", modules, "--stop-after-init", "--no-http",
                           "--log-level=warn")
        bad = [line for line in result.stdout.splitlines() + result.stderr.splitlines()
               if " ERROR " in line or " CRITICAL " in line]
        if result.returncode != 0 or bad:
            raise RuntimeError(f"installing {modules} on {dbname} failed (exit "
                               f"{result.returncode}):\n" + "\n".join(bad[-20:])
                               + result.stderr[-3000:])

    def shell(self, dbname: str, code: str, timeout: float = 1800):
        """Run ``code`` in ``odoo-bin shell`` on ``dbname``; returns the JSON it printed.

        The code prints its result as ``print(RESULT_MARKER + json.dumps(...))``
        (``RESULT_MARKER`` and ``json`` are defined for it); anything else it
        prints is ignored. Raises with the output when it fails or prints no result.
        """
        prelude = f"import json\nRESULT_MARKER = {RESULT_MARKER!r}\n"
        result = self.odoo("shell", "-c", self.conf, "--addons-path", addons_path(self.conf),
                           "-d", dbname, "--no-http", "--log-level=warn",
                           stdin=prelude + code, timeout=timeout)
        for line in reversed(result.stdout.splitlines()):
            if line.startswith(RESULT_MARKER):
                return json.loads(line[len(RESULT_MARKER):])
        raise RuntimeError(f"odoo-bin shell on {dbname} printed no result (exit "
                           f"{result.returncode}):\n{result.stdout[-3000:]}\n"
                           f"{result.stderr[-6000:]}")

    def server(self, dbname: str, port: int, cron_threads: int = 0) -> OdooServer:
        return OdooServer(self, dbname, port, cron_threads)


class OdooServer:
    """``odoo-bin`` serving one database on 127.0.0.1:``port`` (XML-RPC); a context manager."""

    def __init__(self, live: LiveOdoo, dbname: str, port: int, cron_threads: int = 0) -> None:
        self.live, self.dbname, self.port = live, dbname, port
        self.cron_threads = cron_threads  # 0: no scheduled actions run (the baselines)
        self.process: subprocess.Popen | None = None
        # Beside the ingest's logs (the tests point RTSTOCK_INGEST_LOG_DIR into their own
        # temporary directory), else a private directory that stop() removes.
        log_dir = os.environ.get("RTSTOCK_INGEST_LOG_DIR")
        self._own_dir = None if log_dir else Path(tempfile.mkdtemp(prefix="rtstock-odoo-"))
        self.log_path = Path(log_dir or self._own_dir) / f"odoo-{port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120.0) -> OdooServer:
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child
        self.process = subprocess.Popen(
            [self.live.python, self.live.odoo_bin, "-c", self.live.conf,
             "--addons-path", addons_path(self.live.conf), "-d", self.dbname,
             "--db-filter", f"^{re.escape(self.dbname)}$", "--http-interface", "127.0.0.1",
             "--http-port", str(self.port), "--gevent-port", "0",
             "--max-cron-threads", str(self.cron_threads), "--workers", "0", "--log-level=warn"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = self.log_path.read_text()[-3000:]
                self.stop()
                raise RuntimeError(f"odoo-bin exited: {tail}")
            try:
                xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/common").version()
                return self
            except OSError:
                time.sleep(0.3)
        tail = self.log_path.read_text()[-3000:]
        self.stop()
        raise RuntimeError(f"odoo-bin did not answer: {tail}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self._own_dir is not None:
            shutil.rmtree(self._own_dir, ignore_errors=True)

    def __enter__(self) -> OdooServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
