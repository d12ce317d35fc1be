# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Install and uninstall hooks.

``rrs_event`` is created by the add-on's own DDL (``rrs.event`` is
``_auto = False``), so the add-on drops it itself on uninstall rather than
rely on Odoo's clean-up of the tables it created.
"""

import logging

_logger = logging.getLogger(__name__)


def uninstall_hook(env):
    """Drop the event log table (with the quarantine's foreign key to it)."""
    env.cr.execute("DROP TABLE IF EXISTS rrs_event CASCADE")
    _logger.info("Dropped table rrs_event")
