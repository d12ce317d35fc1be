"""A throwaway PostgreSQL server for the demo, the benchmarks and the tests.

What it is: ``EmbeddedPostgres`` runs Debian's own PostgreSQL binaries
(package ``postgresql``) on a fresh data directory in a temp dir, reachable
only through a unix socket in that directory, and removes it all on stop.

How it works: ``initdb`` with trust authentication for one role, then
``pg_ctl start``. PostgreSQL refuses to run as root, so when we are root the
server runs as the ``postgres`` OS user (created by the Debian package) via
``runuser``; the directory is handed to that user and the socket directory is
world-accessible so the root-owned client can connect.

Caveats: ``durable=False`` turns fsync off: right for tests (a crash of the
*ingest* is what they exercise, not of PostgreSQL), wrong for benchmarks,
which keep the default ``durable=True``.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

ROLE = "rtstock"


class EmbeddedPostgresError(RuntimeError):
    """The server could not be found, initialised or started."""


def find_bindir() -> Path:
    """Directory of ``postgres``/``initdb``: ``RTSTOCK_PG_BIN``, else the newest Debian install."""
    configured = os.environ.get("RTSTOCK_PG_BIN")
    candidates = [configured] if configured else []
    candidates += sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True
    )
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    raise EmbeddedPostgresError(
        "PostgreSQL server binaries not found: install Debian's 'postgresql' package "
        "or set RTSTOCK_PG_BIN to the directory holding initdb and postgres"
    )


class EmbeddedPostgres:
    """Start/stop a private PostgreSQL cluster; use as a context manager."""

    def __init__(self, base_dir: str | os.PathLike | None = None, durable: bool = True,
                 port: int = 5432, shared_buffers: str = "256MB") -> None:
        self.bindir = find_bindir()
        self._own_dir = base_dir is None
        self.base = Path(base_dir or tempfile.mkdtemp(prefix="rtstock-pg-"))
        self.datadir = self.base / "data"
        self.socket_dir = self.base
        self.port = port
        self.durable = durable
        self.shared_buffers = shared_buffers
        self._as_postgres = os.geteuid() == 0

    @property
    def dsn_params(self) -> dict[str, str]:
        return {"host": str(self.socket_dir), "port": str(self.port), "user": ROLE}

    def dsn(self, dbname: str = "postgres") -> str:
        """libpq connection string for ``dbname`` on this server."""
        return f"host={self.socket_dir} port={self.port} user={ROLE} dbname={dbname}"

    def _run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
        command = list(argv)
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True)

    def start(self) -> EmbeddedPostgres:
        self.base.mkdir(parents=True, exist_ok=True)
        os.chmod(self.base, 0o777)
        if self._as_postgres:
            shutil.chown(self.base, "postgres")
        if not (self.datadir / "PG_VERSION").exists():
            try:
                self._run(str(self.bindir / "initdb"), "-D", str(self.datadir), "-U", ROLE,
                          "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
            except subprocess.CalledProcessError as exc:
                raise EmbeddedPostgresError(f"initdb failed: {exc.stderr.strip()}") from exc
        options = [
            "-c listen_addresses=''",
            f"-c unix_socket_directories={self.socket_dir}",
            f"-p {self.port}",
            "-c max_connections=200",
            f"-c shared_buffers={self.shared_buffers}",
            "-c max_locks_per_transaction=256",
        ]
        if self.durable:
            # Sustained ingest writes GBs of WAL: with the 1 GB default, checkpoints come
            # every few seconds and stall commits; a database server for Odoo is tuned so.
            # min_wal_size: a checkpoint keeps that much of used WAL as recycled segments
            # (``preallocate_wal``), as a server that has run for a while has them.
            options += ["-c max_wal_size=8GB", "-c checkpoint_timeout=15min",
                        "-c min_wal_size=4GB"]
        else:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        result = self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-w", "-t", "60",
            "-l", str(self.base / "server.log"), "-o", " ".join(options), "start", check=False,
        )
        if result.returncode != 0:
            log = (self.base / "server.log").read_text(errors="replace")[-2000:]
            raise EmbeddedPostgresError(f"PostgreSQL did not start: {result.stderr}\n{log}")
        return self

    def stop(self, remove: bool | None = None) -> None:
        if (self.datadir / "postmaster.pid").exists():
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "fast",
                      "-w", "stop", check=False)
        if self._own_dir if remove is None else remove:
            shutil.rmtree(self.base, ignore_errors=True)

    def save_data(self, target: Path) -> None:
        """Copy the data directory of this *stopped* server to ``target`` (a cache).

        A cleanly stopped cluster is consistent on disk (its last checkpoint is
        the shutdown); ``cp -a`` keeps the owner and modes PostgreSQL insists on.
        Of ``pg_wal`` only the segment holding that checkpoint is kept: the later
        ones are recycled segments waiting to be overwritten (up to
        ``max_wal_size`` of them after a big load), which the server creates
        again when it needs them.
        """
        if (self.datadir / "postmaster.pid").exists():
            raise EmbeddedPostgresError("save_data needs a stopped server")
        control = self._run("env", "LC_ALL=C", str(self.bindir / "pg_controldata"), "-D",
                            str(self.datadir))
        fields = dict(line.split(":", 1) for line in control.stdout.splitlines() if ":" in line)
        if fields["Database cluster state"].strip() != "shut down":
            raise EmbeddedPostgresError("save_data needs a cleanly stopped server")
        redo = fields["Latest checkpoint's REDO WAL file"].strip()
        _copy_tree(self.datadir, target)
        for segment in (target / "pg_wal").iterdir():
            if len(segment.name) == 24 and segment.is_file() and segment.name > redo:
                segment.unlink()

    def load_data(self, source: Path) -> None:
        """Start from a copy of ``source`` (made by ``save_data``) instead of ``initdb``;
        call before ``start``."""
        if (self.datadir / "PG_VERSION").exists():
            raise EmbeddedPostgresError(f"{self.datadir} already holds a cluster")
        self.base.mkdir(parents=True, exist_ok=True)
        _copy_tree(source, self.datadir)
        if self._as_postgres:
            subprocess.run(["chown", "-R", "postgres:", str(self.datadir)], check=True)
        os.chmod(self.datadir, 0o700)

    def preallocate_wal(self, megabytes: int) -> int:
        """Leave ``megabytes`` of recycled WAL segments ahead of the insert position; returns
        how many segment files ``pg_wal`` then holds.

        Why: a fresh cluster has none, so the backend that first writes past the
        end of a segment creates the next one (16 MB of zeros and an fsync,
        ``IO/WALInitWrite``/``WALInitSync``) while every committer waits; a
        server that has been running reuses the segments its checkpoints
        recycled. Benchmarks measure that steady state: they write ``megabytes``
        of WAL (logical messages, no table touched) and checkpoint, which
        recycles them (``min_wal_size`` keeps them; durable servers only).
        """
        import psycopg2

        connection = psycopg2.connect(self.dsn("postgres"))
        connection.autocommit = True
        try:
            with connection.cursor() as cur:
                for _ in range(max(megabytes // 16, 0)):
                    cur.execute("SELECT pg_logical_emit_message(false, 'rtstock', "
                                "repeat('w', 16000000))")
                cur.execute("CHECKPOINT")
                cur.execute("SELECT count(*) FROM pg_ls_waldir() WHERE name ~ '^[0-9A-F]{24}$'")
                return cur.fetchone()[0]
        finally:
            connection.close()

    def psql(self, dbname: str, *args: str, stdin: str | None = None) -> str:
        """Run Debian's ``psql`` against ``dbname`` (used for restoring SQL dumps)."""
        psql = shutil.which("psql") or str(self.bindir / "psql")
        result = subprocess.run(
            [psql, "-X", "-v", "ON_ERROR_STOP=1", "-q", "-d", self.dsn(dbname), *args],
            input=stdin, capture_output=True, text=True, check=False,
        )
        if result.returncode != 0:
            raise EmbeddedPostgresError(f"psql failed: {result.stderr.strip()[:2000]}")
        return result.stdout

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._run(str(self.bindir / "pg_isready"), "-h", str(self.socket_dir),
                         "-p", str(self.port), check=False).returncode == 0:
                return
            time.sleep(0.1)
        raise EmbeddedPostgresError("PostgreSQL not ready in time")

    def __enter__(self) -> EmbeddedPostgres:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def major_version() -> str:
    """Major version of the server binaries (a data directory is only good for that one)."""
    result = subprocess.run([str(find_bindir() / "postgres"), "--version"],
                            capture_output=True, text=True, check=True)
    return result.stdout.split()[-1].split(".")[0]


def _copy_tree(source: Path, target: Path) -> None:
    """``cp -a`` (reflinks where the file system has them): a data directory is GBs, and
    ``cp`` keeps owners, modes and sparse files as PostgreSQL left them."""
    result = subprocess.run(["cp", "-a", "--reflink=auto", str(source), str(target)],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise EmbeddedPostgresError(f"copying {source} failed: {result.stderr.strip()}")
