# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Install and uninstall hooks.

``rrs_event`` and the RFID tables are created by the add-on's own DDL
(``_auto = False`` models, see ``models/own_table.py``), so the add-on drops
them itself on uninstall rather than rely on Odoo's clean-up. The triggers on
``stock_quant`` (alerts), ``stock_move`` and ``product_template`` (rollups) go first: left behind,
they would break every stock change once their tables are gone. The add-on's index on
``stock_quant`` goes too.
"""

import logging

from .models.own_table import OWN_TABLES
from .models.rrs_count_line import COMPARISON_DROP_SQL
from .models.rrs_replenish_request import DROP_SQL as ALERT_DROP_SQL
from .models.stock_quant import QUANT_KEY_INDEX_DROP
from .report.rollup_tables import DROP_SQL

_logger = logging.getLogger(__name__)


def uninstall_hook(env):
    """Drop the triggers, then the add-on's own tables (with the foreign keys to them)."""
    for statement in [*ALERT_DROP_SQL, *DROP_SQL, QUANT_KEY_INDEX_DROP, COMPARISON_DROP_SQL]:
        env.cr.execute(statement)
    for table in OWN_TABLES:
        env.cr.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
        _logger.info("Dropped table %s", table)
