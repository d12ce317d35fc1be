"""Commit stage: resolved reads written to Odoo stock in group commits, then journalled as moves."""
