"""A real ingest service for tests: ``rtstock serve`` in a subprocess on a free loopback port.

Also device provisioning (a device row with a token, as the add-on's
"Generate token" would make it) and small SQL readers for assertions.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg2

from ingest_core.odoo import sql
from ingest_core.reference import hash_token

ALL_OPERATIONS = ("sale", "return", "receipt", "transfer_out", "transfer_in", "scrap", "count")
REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def create_device(dsn: str, *, name: str | None = None, warehouse_id: int = 2,
                  location_id: int = 18, allowed=ALL_OPERATIONS, kind: str = "scanner",
                  active: bool = True) -> tuple[int, str]:
    """A device of store ``warehouse_id``; returns (device id, token)."""
    token = secrets.token_urlsafe(24)
    connection = psycopg2.connect(dsn)
    try:
        with connection.cursor() as cur:
            device_id = sql.insert_device(
                cur, name=name or f"dev-{token[:6]}", kind=kind, warehouse_id=warehouse_id,
                location_id=location_id, company_id=1, token_hash=hash_token(token),
                token_hint=token[:6], allowed=allowed, active=active)
        connection.commit()
    finally:
        connection.close()
    return device_id, token


def query(dsn: str, statement: str, params=()) -> list[tuple]:
    connection = psycopg2.connect(dsn)
    try:
        with connection.cursor() as cur:
            cur.execute(statement, params)
            rows = cur.fetchall() if cur.description else []
        connection.commit()
        return rows
    finally:
        connection.close()


def on_hand(dsn: str, product_id: int, location_id: int) -> float:
    rows = query(dsn, "SELECT coalesce(sum(quantity), 0) FROM stock_quant "
                      "WHERE product_id = %s AND location_id = %s", (product_id, location_id))
    return float(rows[0][0])


def quants_by_key(dsn: str) -> dict[tuple[int, int], float]:
    return {(p, loc): float(q) for p, loc, q in query(
        dsn, "SELECT product_id, location_id, sum(quantity) FROM stock_quant "
             "GROUP BY product_id, location_id")}


def done_move_totals(dsn: str) -> dict[tuple[int, int], float]:
    """Per (product, location): incoming minus outgoing done move-line quantity."""
    totals: dict[tuple[int, int], float] = {}
    for product, source, destination, quantity in query(
            dsn, "SELECT product_id, location_id, location_dest_id, sum(quantity) "
                 "FROM stock_move_line WHERE state = 'done' GROUP BY 1, 2, 3"):
        totals[(product, source)] = totals.get((product, source), 0.0) - float(quantity)
        totals[(product, destination)] = totals.get((product, destination), 0.0) + float(quantity)
    return totals


class IngestProcess:
    """``rtstock serve`` as a child process; ``kill()`` is a real SIGKILL."""

    def __init__(self, dsn: str, port: int | None = None, **settings: object) -> None:
        self.dsn = dsn
        self.port = port or free_port()
        self.settings = settings
        self.process: subprocess.Popen | None = None
        self.log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"rtstock-ingest-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> IngestProcess:
        env = {**os.environ, "RTSTOCK_DSN": self.dsn, "RTSTOCK_PORT": str(self.port),
               "RTSTOCK_HOST": "127.0.0.1"}
        env.update({f"RTSTOCK_{k.upper()}": str(v) for k, v in self.settings.items()})
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child, closed by stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ingest_core.cli", "serve"], cwd=REPO, env=env,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"ingest exited: {self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code in (200, 503):
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"ingest did not start: {self.log_path.read_text()[-3000:]}")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> IngestProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def post(url: str, token: str, reads: list[dict], timeout: float = 30.0) -> httpx.Response:
    return httpx.post(f"{url}/v1/reads", json={"reads": reads},
                      headers={"Authorization": f"Bearer {token}"}, timeout=timeout)
