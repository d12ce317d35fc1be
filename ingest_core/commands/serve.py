"""``rtstock serve``: run the ingest HTTP service on uvicorn."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys

from ingest_core.config import load_settings, settings_table


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dsn", help="Odoo database (libpq DSN); default RTSTOCK_DSN")
    parser.add_argument("--host", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default 8700)")
    parser.add_argument("--config", help="TOML config file")
    parser.add_argument("--journal", choices=["process", "thread", "none"], default="process",
                        help="where the journal runs: a child process (default: no GIL shared "
                             "with request handling), a thread, or none (run `rtstock journal`)")
    parser.add_argument("--print-config", action="store_true",
                        help="print the configuration table (markdown) and exit")


def run(args: argparse.Namespace) -> int:
    if args.print_config:
        print(settings_table())
        return 0
    settings = load_settings(args.config, dsn=args.dsn, host=args.host, port=args.port)
    if not settings.dsn:
        print("rtstock serve: no database: pass --dsn or set RTSTOCK_DSN "
              "(or run `rtstock demo`, which starts its own)", file=sys.stderr)
        return 2
    import uvicorn

    from ingest_core.api.server import create_app

    ssl = {"ssl_certfile": settings.tls_cert, "ssl_keyfile": settings.tls_key} \
        if settings.tls_cert else {}
    journal = _start_journal_process(args, settings) if args.journal == "process" else None
    # uvicorn handles SIGTERM, shuts down, then re-raises it to the handler it found:
    # make that handler an orderly exit, so the journal below is stopped and drained
    # before this process ends (callers that wait for serve then see a drained journal).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        uvicorn.run(create_app(settings, journal=args.journal == "thread"), host=settings.host,
                    port=settings.port, log_level=settings.log_level, access_log=False,
                    loop="uvloop", http="httptools", **ssl)
    finally:
        if journal is not None:
            journal.terminate()  # SIGTERM: it drains what is committed, then exits
            try:
                journal.wait(60)
            except subprocess.TimeoutExpired:
                journal.kill()
    return 0


def _start_journal_process(args: argparse.Namespace, settings) -> subprocess.Popen:
    """The journal as a child that gets SIGTERM (and drains) when this process dies.

    uvicorn re-raises the SIGTERM it handled after shutting down, so this
    process may end before any ``finally`` runs; the kernel's parent-death
    signal makes sure the journal never outlives it.
    """
    command = [sys.executable, "-m", "ingest_core.cli", "journal"]
    if args.config:
        command += ["--config", args.config]
    return subprocess.Popen(command, env={**os.environ, "RTSTOCK_DSN": settings.dsn},
                            preexec_fn=_die_with_parent)


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the parent exits (Linux prctl)."""
    import ctypes

    pr_set_pdeathsig = 1
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)
