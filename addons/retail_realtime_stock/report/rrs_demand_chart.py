# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The demand and forecast chart of products in stores, for the buyer's screens.

What it is: ``demand_chart`` reads 13 weeks of net units sold per day
(``rrs_stock_daily``) and draws them, then ``forecast`` (rows of
``rrs_analysis_queries.forecast_by_day``) in its 80 % band
(``rrs_svg_chart.demand_and_forecast``). The reorder rule's form and the
product form's *Demand* tab show it.
"""

from datetime import timedelta

from . import rrs_analysis_queries as queries
from .rrs_svg_chart import demand_and_forecast

HISTORY_DAYS = 91


def demand_chart(cr, product_ids, store_ids, today, forecast, title, keep_empty=True):
    """The chart, or None when there is neither a sale nor a forecast and not
    ``keep_empty``."""
    first = today - timedelta(days=HISTORY_DAYS - 1)
    sold = {
        row["day"]: row["units"]
        for row in queries.demand_by_day(cr, product_ids, store_ids, first, today)
    }
    if not (forecast or sold or keep_empty):
        return None
    days = [first + timedelta(days=offset) for offset in range(HISTORY_DAYS)]
    return demand_and_forecast(
        days,
        [sold.get(day, 0.0) for day in days],
        [row["day"] for row in forecast],
        [row["mean"] for row in forecast],
        [row["lo80"] for row in forecast],
        [row["hi80"] for row in forecast],
        title,
    )
