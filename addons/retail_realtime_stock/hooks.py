# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Install and uninstall hooks.

``rrs_event`` and the RFID tables are created by the add-on's own DDL
(``_auto = False`` models, see ``models/own_table.py``), so the add-on drops
them itself on uninstall rather than rely on Odoo's clean-up.
"""

import logging

from .models.own_table import OWN_TABLES
from .report.rollup_tables import DROP_SQL

_logger = logging.getLogger(__name__)


def uninstall_hook(env):
    """Drop the add-on's own tables (with the foreign keys of Odoo tables to them)."""
    for statement in DROP_SQL:  # the rollups' triggers on stock_move go first
        env.cr.execute(statement)
    for table in OWN_TABLES:
        env.cr.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
        _logger.info("Dropped table %s", table)
