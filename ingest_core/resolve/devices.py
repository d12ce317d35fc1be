"""Device provisioning outside Odoo (demo, benchmarks, tests).

In production the add-on's "Generate token" does this; here the same row is
made: a random token, shown once to the caller, stored only as its sha256.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

import psycopg2

from ingest_core.odoo import sql
from ingest_core.resolve.reference import hash_token

ALL_OPERATIONS = ("sale", "return", "receipt", "transfer_out", "transfer_in", "scrap", "count")


def provision(dsn: str, *, name: str | None = None, warehouse_id: int = 2,
              location_id: int = 18, allowed: Iterable[str] = ALL_OPERATIONS,
              kind: str = "scanner", active: bool = True, company_id: int = 1,
              rfid_role: str | None = None,
              rfid_antenna_zones: str | None = None,
              training: bool = False) -> tuple[int, str]:
    """Create a device of store ``warehouse_id``; returns (device id, token)."""
    token = secrets.token_urlsafe(24)
    connection = psycopg2.connect(dsn)
    try:
        with connection.cursor() as cur:
            device_id = sql.insert_device(
                cur, name=name or f"dev-{token[:6]}", kind=kind, warehouse_id=warehouse_id,
                location_id=location_id, company_id=company_id, token_hash=hash_token(token),
                token_hint=token[:6], allowed=allowed, active=active,
                rfid_role=rfid_role, rfid_antenna_zones=rfid_antenna_zones,
                training=training)
        connection.commit()
    finally:
        connection.close()
    return device_id, token
