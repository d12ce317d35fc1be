"""The live Odoo 18 of the tests that need one (``docs/live-odoo.md``), or a loud skip."""

from __future__ import annotations

import pytest

from ingest_core.bench.odoo_live import LiveOdoo, LiveOdooUnavailable


def live_odoo_or_skip(what: str) -> LiveOdoo:
    """The configured live Odoo; else skip with ``LIVE ODOO <what> SKIPPED`` and the
    reason, so that CI's output says which live tests did not run and why."""
    try:
        return LiveOdoo.from_env()
    except LiveOdooUnavailable as why:
        pytest.skip(f"LIVE ODOO {what} SKIPPED: {why}. Set RTSTOCK_ODOO_BIN, "
                    "RTSTOCK_ODOO_PYTHON, RTSTOCK_ODOO_CONF; see docs/live-odoo.md.")
