"""Analysis reports for people outside Odoo: ``rtstock report {sales,stock,counts,shrink}``.

What it is for: the sales summary, stock status, count accuracy and shrink
reports a store manager or a buyer reads, as PDF, XLSX or HTML, with charts,
computed from the rollups (``rrs_stock_daily``, ``rrs_sales_hourly``) and, for
counts, the add-on's count tables, never from ``stock_move``.

How it is split, one module per concern, data flowing one way:
``figures`` (pandas frames from the queries of ``ingest_core.odoo.analysis``)
-> ``charts`` (matplotlib PNGs) -> ``build`` (a ``model.Report``: key figures,
sections of charts and tables) -> ``html`` / ``pdf`` / ``xlsx`` (renderers that
know nothing of retail, only of ``model``).

May import: ``ingest_core.odoo.analysis`` (the only SQL), pandas, matplotlib,
jinja2, WeasyPrint, xlsxwriter; nothing that serves, decodes or writes reads,
and nothing imports this package but ``ingest_core.commands.report``.
"""
