"""Settings of the ingest service, resolved in one place.

What it is: ``Settings``, a frozen dataclass of every knob, and
``load_settings()``, which fills it.

How it works: for each field, the environment variable ``RTSTOCK_<NAME>``
wins, then the key ``<name>`` in the TOML config file (``--config``, else
``RTSTOCK_CONFIG``, else ``./rtstock.toml`` if present), then the default
declared here. Values are converted to the field's type. The README's
configuration table is generated from ``SETTINGS_DOC`` (``rtstock serve
--print-config``), so it cannot drift.

Caveats: the DSN may hold a password; it is never logged.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Settings:
    dsn: str = ""
    host: str = "127.0.0.1"
    port: int = 8700
    batch_max_reads: int = 5000
    batch_max_wait_ms: float = 5.0
    request_max_reads: int = 10000
    queue_max_reads: int = 200000
    writer_threads: int = 1
    journal_interval_ms: float = 400.0
    journal_batch_events: int = 50000
    journal_lag_target_ms: float = 600.0
    journal_reference_checks: str = "batched"
    max_read_age_days: int = 30
    max_read_future_s: int = 300
    tls_cert: str = ""
    tls_key: str = ""
    odoo_user_id: int = 1
    log_level: str = "info"
    mqtt_host: str = ""
    mqtt_port: int = 1883
    alien_port: int = 0
    forecast_at: str = ""
    forecast_timezone: str = "UTC"
    jobs_poll_s: float = 30.0
    alien_host: str = "127.0.0.1"
    rfid_dedupe_window_s: float = 30.0
    rfid_dedupe_capacity: int = 200000
    rfid_exit_movement: str = "sale"
    rfid_auto_apply_stores: str = ""
    gs1_company_prefix: str = ""


SETTINGS_DOC: dict[str, str] = {
    "dsn": "libpq DSN of the Odoo database (empty: `rtstock demo` starts its own)",
    "host": "address the HTTP service binds",
    "port": "HTTP port",
    "batch_max_reads": "group commit: most reads in one transaction",
    "batch_max_wait_ms": "group commit: longest wait for more reads before committing",
    "request_max_reads": "largest batch one request may carry (413 above)",
    "queue_max_reads": "reads waiting for commit before the service answers 503 + Retry-After",
    "writer_threads": "group-commit workers, each with its own connection (2 measured no "
                      "better than 1 on a 2-core host: hot quants serialize them)",
    "journal_interval_ms": "how often journal runs start (start to start): committed events "
                           "wait at most this plus one run for their done moves",
    "journal_batch_events": "most events the journal materialises in one transaction",
    "journal_lag_target_ms": "journal lag above which the writer pauses before each group, "
                             "leaving the journal CPU (back-pressure; 0: never)",
    "journal_reference_checks": "`batched`: the done moves' foreign keys are checked and "
                                "locked once per referenced row (needs a role that may set "
                                "session_replication_role, else falls back); `triggers`: by "
                                "Odoo's foreign-key triggers, row by row",
    "max_read_age_days": "reads older than this are rejected (the event log is kept this long)",
    "max_read_future_s": "reads stamped further in the future than this are rejected",
    "tls_cert": "PEM certificate: serve HTTPS (store networks must use it)",
    "tls_key": "PEM private key for `tls_cert`",
    "odoo_user_id": "res_users id written as create_uid/write_uid of fast-path rows",
    "log_level": "debug, info, warning, error",
    "mqtt_host": "MQTT broker of the RFID readers (empty: no MQTT bridge); topics "
                 "`rtstock/impinj/<device name>/events`, `rtstock/zebra/<device name>/data`",
    "mqtt_port": "MQTT broker port",
    "alien_port": "TCP port Alien ALR readers push text notifications to (0: none); "
                  "#ReaderName names the device",
    "forecast_at": "local time (HH:MM) of the nightly forecast run + replenish (empty: "
                   "none; Odoo's Refresh forecast still runs them)",
    "forecast_timezone": "time zone of `forecast_at` (IANA name, e.g. Europe/London)",
    "jobs_poll_s": "how often the ingest looks for scheduled and requested jobs (seconds)",
    "alien_host": "address the Alien listener binds (the readers' network; loopback by "
                  "default)",
    "rfid_dedupe_window_s": "RFID: a tag re-read in the same reader zone within this many "
                            "seconds is a repeat",
    "rfid_dedupe_capacity": "RFID: most (zone, EPC) pairs the deduplicator remembers",
    "rfid_exit_movement": "RFID: what a tag seen by an `exit` reader becomes: `sale` or `shrink`",
    "rfid_auto_apply_stores": "RFID counts: comma-separated warehouse ids whose count sessions "
                              "apply at once (default: written as Odoo counts to apply)",
    "gs1_company_prefix": "EPCIS: GS1 company prefix for places without a GLN in Odoo "
                          "(default: the company's `rrs_gs1_prefix`, else 0000000)",
}


def _config_file(path: str | None) -> dict[str, Any]:
    candidate = path or os.environ.get("RTSTOCK_CONFIG")
    if not candidate:
        default = Path("rtstock.toml")
        if not default.exists():
            return {}
        candidate = str(default)
    with open(candidate, "rb") as handle:
        data = tomllib.load(handle)
    return data.get("ingest", data)


def load_settings(config_path: str | None = None, **overrides: Any) -> Settings:
    """Settings from overrides (CLI flags), environment, config file, defaults — in that order."""
    from_file = _config_file(config_path)
    values: dict[str, Any] = {}
    for item in fields(Settings):
        raw: Any = overrides.get(item.name)
        if raw is None:
            raw = os.environ.get(f"RTSTOCK_{item.name.upper()}")
        if raw is None:
            raw = from_file.get(item.name)
        if raw is None:
            continue
        kind = type(item.default)
        values[item.name] = kind(raw) if kind is not str else str(raw)
    return Settings(**values)


def settings_table() -> str:
    """The README's configuration table (markdown)."""
    rows = ["| setting | environment | default | meaning |", "|---|---|---|---|"]
    for item in fields(Settings):
        rows.append(f"| `{item.name}` | `RTSTOCK_{item.name.upper()}` | `{item.default!r}` | "
                    f"{SETTINGS_DOC[item.name]} |")
    return "\n".join(rows)
