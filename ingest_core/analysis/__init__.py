"""Sales and stock analysis: rollups of Odoo's done moves and the figures read from them.

What it is for: the back office's and buyers' figures (sales, stock, counts,
shrink) at chain scale, without scanning ``stock_move``. The rollup tables and
their triggers are SQL in ``ingest_core.odoo.rollup``; this package holds what
runs them from the command line and what reads figures from them.

May import: ``ingest_core.odoo`` (SQL), ``ingest_core.db.connection``; nothing that
serves, decodes or writes reads.
"""
