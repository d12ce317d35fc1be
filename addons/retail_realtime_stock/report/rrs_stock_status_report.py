# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The *Store stock status* PDF: the dashboard's stock and sales figures of a store.

What it is: the values of the QWeb template ``report_store_stock_status``,
printed from a warehouse (Inventory › Configuration › Warehouses › Print):
sales of the last 28 days with their trend, on hand, days of cover,
sell-through, and the lists a store manager acts on (dead stock, out of stock,
lowest cover).

How it works: the figures are the dashboard's own (``get_dashboard_data`` of
``rrs.analysis.dashboard`` for the store, which refuses stores the user does
not work for) plus the sales per day from the hourly rollup; the chart is
inline SVG (``rrs_svg_chart``).
"""

from datetime import timedelta

from odoo import api, fields, models

from . import rrs_analysis_queries as queries
from .rrs_analysis_dashboard import WINDOW_DAYS
from .rrs_svg_chart import daily_bars


class ReportStoreStockStatus(models.AbstractModel):
    _name = "report.retail_realtime_stock.report_store_stock_status"
    _description = "Retail Store Stock Status Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        stores = self.env["stock.warehouse"].browse(docids)
        dashboard = self.env["rrs.analysis.dashboard"]
        figures, charts = {}, {}
        for store in stores:
            values = dashboard.get_dashboard_data(warehouse_id=store.id)
            figures[store.id] = values
            charts[store.id] = self._rrs_sales_chart(store, fields.Date.to_date(values["today"]))
        return {
            "doc_ids": docids,
            "doc_model": "stock.warehouse",
            "docs": stores,
            "figures": figures,
            "charts": charts,
        }

    def _rrs_sales_chart(self, store, today):
        first = today - timedelta(days=WINDOW_DAYS - 1)
        rows = queries.sales_by_day(self.env.cr, store.ids, first, today)
        by_day = {row["day"]: float(row["value"] or 0.0) for row in rows}
        days = [first + timedelta(days=offset) for offset in range(WINDOW_DAYS)]
        return daily_bars(
            days,
            [by_day.get(day, 0.0) for day in days],
            f"Net sales per day (list price), last {WINDOW_DAYS} days; line: 7-day average",
        )
