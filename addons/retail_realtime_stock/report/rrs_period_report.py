# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The *Sales summary* and *Shrink* PDFs of stores over a period.

What it is: the values of the QWeb templates ``report_sales_summary`` and
``report_shrink``, printed from the *Period reports* wizard (or any
``report_action`` with ``date_from`` / ``date_to`` in its data): per store,
the period's figures, a chart of the days (sales, or shrink at cost) and the
products behind them: the sales Pareto (the curve and the top products with
their cumulative share) or the largest losses, RFID exit reads without a sale
shown apart.

How it works: SQL over the daily rollup (``rrs_analysis_queries``), its days
local to the rollups' zone; a store the user does not work for is refused,
as by the dashboard (SQL applies no record rule).
"""

from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from . import rrs_analysis_queries as queries
from .rrs_svg_chart import daily_bars, pareto

TOP = 15


class RrsPeriodReportMixin(models.AbstractModel):
    _name = "rrs.period.report.mixin"
    _description = "Retail Stock Period Report Values"

    @api.model
    def _rrs_period(self, docids, data):
        data = data or {}
        first = fields.Date.to_date(data.get("date_from"))
        last = fields.Date.to_date(data.get("date_to"))
        if not first or not last or last < first:
            raise UserError(_("Give the report a period: a start and an end after it."))
        stores = self.env["stock.warehouse"].browse(docids)
        allowed = self.env.user._rrs_store_warehouses()
        if stores - allowed:
            raise AccessError(
                _("You do not work for %s.", ", ".join((stores - allowed).mapped("name")))
            )
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        return stores, first, last, days

    @api.model
    def _rrs_trend(self, rows, days, title):
        """Bars of the rows' ``value`` per ``day`` over every day of the period."""
        by_day = {row["day"]: float(row["value"] or 0.0) for row in rows}
        return daily_bars(days, [by_day.get(day, 0.0) for day in days], title)

    @api.model
    def _rrs_names(self, product_ids):
        products = self.env["product.product"].browse(product_ids).with_context(active_test=False)
        return {product.id: product.display_name for product in products}


class ReportSalesSummary(models.AbstractModel):
    _name = "report.retail_realtime_stock.report_sales_summary"
    _inherit = "rrs.period.report.mixin"
    _description = "Retail Sales Summary Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        stores, first, last, days = self._rrs_period(docids, data)
        cr = self.env.cr
        summary = {}
        for store in stores:
            rows = queries.period_by_product(cr, store.ids, first, last)
            ranked = sorted(
                (row for row in rows if row["sales"] > 0), key=lambda row: -row["sales"]
            )
            total = sum(row["sales"] for row in ranked) or 0.0
            names = self._rrs_names([row["product_id"] for row in ranked[:TOP]])
            running, top = 0.0, []
            for row in ranked[:TOP]:
                running += row["sales"]
                top.append(
                    {
                        "name": names.get(row["product_id"], ""),
                        "units": row["units"],
                        "sales": row["sales"],
                        "share": 100.0 * row["sales"] / total if total else 0.0,
                        "cumulative": 100.0 * running / total if total else 0.0,
                    }
                )
            cost = sum(row["cost"] for row in rows)
            net = sum(row["sales"] for row in rows)
            a_class = next((n + 1 for n, row in enumerate(top) if row["cumulative"] >= 80.0), None)
            summary[store.id] = {
                "units": sum(row["units"] for row in rows),
                "sales": net,
                "cost": cost,
                "margin_pct": 100.0 * (net - cost) / net if net > 0 else None,
                "products": len(ranked),
                "a_products": a_class,
                "top": top,
                "trend": self._rrs_trend(
                    queries.sales_by_day(cr, store.ids, first, last),
                    days,
                    "Net sales per day (list price); line: 7-day average",
                ),
                "pareto": pareto([row["sales"] for row in ranked], "Pareto: share of sales"),
            }
        return {
            "doc_ids": docids,
            "doc_model": "stock.warehouse",
            "docs": stores,
            "summary": summary,
            "date_from": first,
            "date_to": last,
        }


class ReportShrink(models.AbstractModel):
    _name = "report.retail_realtime_stock.report_shrink"
    _inherit = "rrs.period.report.mixin"
    _description = "Retail Shrink Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        stores, first, last, days = self._rrs_period(docids, data)
        cr = self.env.cr
        zone = self.env["rrs.rollup.drill.mixin"]._rrs_rollup_timezone()
        exits = {
            row["warehouse_id"]: row
            for row in queries.rfid_exit_losses(cr, stores.ids, last, len(days), zone.zone)
        }
        shrink = {}
        for store in stores:
            rows = queries.period_by_product(cr, store.ids, first, last)
            losses = sorted(
                (row for row in rows if row["count_loss_value"] > 0 or row["scrapped_value"] > 0),
                key=lambda row: -(row["count_loss_value"] + row["scrapped_value"]),
            )
            names = self._rrs_names([row["product_id"] for row in losses[:TOP]])
            count_loss = sum(row["count_loss_value"] for row in rows)
            scrapped = sum(row["scrapped_value"] for row in rows)
            sales = sum(row["sales"] for row in rows)
            exit_row = exits.get(store.id) or {"units": 0, "value": 0}
            shrink[store.id] = {
                "count_loss_value": count_loss,
                "count_loss_units": sum(row["count_loss_units"] for row in rows),
                "scrapped_value": scrapped,
                "scrapped_units": sum(row["scrapped_units"] for row in rows),
                "rfid_exit_units": float(exit_row["units"] or 0),
                "rfid_exit_value": float(exit_row["value"] or 0),
                "total": count_loss + scrapped,
                "pct_of_sales": 100.0 * (count_loss + scrapped) / sales if sales > 0 else None,
                "top": [
                    {
                        "name": names.get(row["product_id"], ""),
                        "count_loss_units": row["count_loss_units"],
                        "count_loss_value": row["count_loss_value"],
                        "scrapped_units": row["scrapped_units"],
                        "scrapped_value": row["scrapped_value"],
                    }
                    for row in losses[:TOP]
                ],
                "trend": self._rrs_trend(
                    queries.shrink_by_day(cr, store.ids, first, last),
                    days,
                    "Shrink per day at cost (count losses and scraps); line: 7-day average",
                ),
            }
        return {
            "doc_ids": docids,
            "doc_model": "stock.warehouse",
            "docs": stores,
            "shrink": shrink,
            "date_from": first,
            "date_to": last,
        }
