# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Server side of the *Sales & stock dashboard* client action.

What it is: ``get_dashboard_data`` returns every figure of the dashboard for
one store or for all the stores of the user, each with the window action that
opens the rollup rows behind it (``rrs.sales.analysis``, whose rows drill on
to the stock moves and the device reads).

How it works: the figures are SQL over the rollups (``rrs_analysis_queries``);
the stores are the user's (``res.users._rrs_store_warehouses``) in the active
companies, checked here because SQL does not apply record rules. Days are
local to the rollups' zone; "today" is that zone's date.

Caveats: values are at list price and cost as rolled up
(``docs/decisions/rollups.md``); shrink is count losses and scraps; of the
count losses, the RFID exit reads without a sale (booked as losses when the
ingest runs with ``rfid_exit_movement = shrink``) are also shown on their own.
"""

from datetime import datetime, timedelta

import pytz

from odoo import _, api, fields, models
from odoo.exceptions import AccessError
from odoo.osv import expression

from . import rrs_analysis_queries as queries

LIST_LIMIT = 10
WINDOW_DAYS = 28
CLASS_WEEKS = 13
ACCURACY_WEEKS = 8
PARAMETER_DEFAULTS = {
    "dead_stock_days": 30,
    "count_tolerance_units": 0.0,
    "count_tolerance_pct": 5.0,
}


class RrsAnalysisDashboard(models.AbstractModel):
    _name = "rrs.analysis.dashboard"
    _description = "Retail Sales and Stock Dashboard"

    @api.model
    def get_dashboard_data(self, warehouse_id=False, today=False):
        """Every figure of the dashboard for ``warehouse_id`` (False: all my stores).

        ``today`` (``YYYY-MM-DD``, default the rollups' local today) is the last
        day of every window.
        """
        all_stores = self.env.user._rrs_store_warehouses().filtered(
            lambda store: store.company_id in self.env.companies
        )
        stores = all_stores
        if warehouse_id:
            stores = all_stores.filtered(lambda store: store.id == warehouse_id)
            if not stores:
                raise AccessError(_("You do not work for this store."))
        zone = self._rrs_timezone()
        now = datetime.now(pytz.utc).astimezone(zone)
        day = fields.Date.to_date(today) if today else now.date()
        cut_hour = now.hour + 1 if day == now.date() else 24
        parameters = self._rrs_parameters()
        data = {
            "stores": [{"id": store.id, "name": store.name} for store in all_stores],
            "warehouse_id": warehouse_id or False,
            "today": fields.Date.to_string(day),
            "parameters": parameters,
            "currency": {
                "symbol": self.env.company.currency_id.symbol,
                "position": self.env.company.currency_id.position,
            },
        }
        if not stores:
            return data
        cr = self.env.cr
        # A few aggregates over many rows, for a person waiting: hash aggregates in
        # memory rather than spilled to disk, and no JIT compilation (seconds of
        # compiling for a query that runs in a fraction of that).
        cr.execute("SET LOCAL work_mem = '64MB'")
        cr.execute("SET LOCAL jit = off")
        ids = stores.ids
        names = {store.id: store.name for store in stores}
        scope = [("warehouse_id", "in", ids)]
        window = self._rrs_days(day, WINDOW_DAYS)
        data["sales_today"] = self._rrs_sales_today(cr, ids, names, day, cut_hour)
        data.update(self._rrs_movers(cr, ids, day, scope))
        data.update(
            self._rrs_stock(
                cr,
                ids,
                names,
                day,
                parameters["dead_stock_days"],
                scope,
                window,
                current=day >= now.date(),
            )
        )
        data["abc_xyz"] = self._rrs_abc_xyz(cr, ids, day, scope)
        data["shrink"] = self._rrs_shrink(cr, ids, names, day, scope, window, zone)
        data["accuracy"] = self._rrs_accuracy(cr, ids, day, zone, parameters, scope)
        return data

    # Parameters and helpers

    def _rrs_timezone(self):
        return self.env["rrs.rollup.drill.mixin"]._rrs_rollup_timezone()

    def _rrs_parameters(self):
        get_param = self.env["ir.config_parameter"].sudo().get_param
        values = {}
        for name, default in PARAMETER_DEFAULTS.items():
            raw = get_param(f"retail_realtime_stock.{name}")
            try:
                values[name] = type(default)(raw) if raw else default
            except ValueError:
                values[name] = default
        return values

    @api.model
    def _rrs_days(self, day, count):
        """Domain of the ``count`` days ending ``day``."""
        first = day - timedelta(days=count - 1)
        return [
            ("day", ">=", fields.Date.to_string(first)),
            ("day", "<=", fields.Date.to_string(day)),
        ]

    @api.model
    def _rrs_drill(self, name, domain, model="rrs.sales.analysis", context=None):
        """Window action on the rollup rows of a figure (list, pivot, graph)."""
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "views": [[False, "list"], [False, "pivot"], [False, "graph"]],
            "domain": domain,
            "context": context or {},
        }

    @api.model
    def _rrs_store_products_domain(self, products_by_store):
        """Rows of exactly these (store, products) pairs: one term per store."""
        return expression.OR(
            [
                [("warehouse_id", "=", store), ("product_id", "in", product_ids)]
                for store, product_ids in products_by_store.items()
            ]
            or [expression.FALSE_DOMAIN]
        )

    def _rrs_product_names(self, product_ids):
        products = self.env["product.product"].sudo().with_context(active_test=False)
        return {product.id: product.display_name for product in products.browse(product_ids)}

    # Figures

    def _rrs_sales_today(self, cr, ids, names, day, cut_hour):
        rows = queries.sales_today(cr, ids, day, cut_hour)
        total = {
            key: sum(float(row[key]) for row in rows)
            for key in (
                "value_today",
                "units_today",
                "value_last_week_same_time",
                "value_last_week_day",
            )
        }
        last_week = day - timedelta(days=7)
        days = [fields.Date.to_string(day), fields.Date.to_string(last_week)]
        return {
            **total,
            "change_pct": _change_pct(total["value_today"], total["value_last_week_same_time"]),
            "cut_hour": cut_hour,
            "by_store": [
                {
                    "warehouse_id": row["warehouse_id"],
                    "name": names.get(row["warehouse_id"], ""),
                    "value_today": float(row["value_today"]),
                    "value_last_week_same_time": float(row["value_last_week_same_time"]),
                }
                for row in rows
            ],
            "by_hour": [
                {
                    "hour": row["hour"],
                    "today": float(row["today"]),
                    "last_week": float(row["last_week"]),
                }
                for row in queries.sales_by_hour(cr, ids, day)
            ],
            "drill": self._rrs_drill(
                _("Sales today and the same weekday last week"),
                [("warehouse_id", "in", ids), ("day", "in", days)],
                model="rrs.sales.hour.analysis",
                context={"pivot_row_groupby": ["hour_of_day"], "pivot_column_groupby": ["day"]},
            ),
        }

    def _rrs_movers(self, cr, ids, day, scope):
        rows = queries.week_over_week(cr, ids, day, LIST_LIMIT)
        names = self._rrs_product_names([row["product_id"] for row in rows if row["product_id"]])
        last_7 = self._rrs_days(day, 7)
        both_weeks = self._rrs_days(day, 14)
        result = {"top_movers": [], "risers": [], "fallers": []}
        for row in rows:
            if row["kind"] == "total":
                result["week_over_week"] = {
                    "units": float(row["units"] or 0),
                    "units_before": float(row["units_before"] or 0),
                    "value": float(row["value"] or 0),
                    "value_before": float(row["value_before"] or 0),
                    "change_pct": _change_pct(row["value"], row["value_before"]),
                    "drill": self._rrs_drill(
                        _("Sales of the last two weeks"),
                        scope + both_weeks,
                        context={"pivot_column_groupby": ["day:week"]},
                    ),
                }
                continue
            product_domain = [("product_id", "=", row["product_id"])]
            entry = {
                "product_id": row["product_id"],
                "name": names.get(row["product_id"], ""),
                "units": float(row["units"] or 0),
                "units_before": float(row["units_before"] or 0),
                "value": float(row["value"] or 0),
            }
            if row["kind"] == "top":
                entry["drill"] = self._rrs_drill(entry["name"], scope + product_domain + last_7)
                result["top_movers"].append(entry)
            else:
                entry["delta"] = float(row["delta"])
                entry["drill"] = self._rrs_drill(
                    entry["name"],
                    scope + product_domain + both_weeks,
                    context={"pivot_column_groupby": ["day:week"]},
                )
                result["risers" if row["kind"] == "riser" else "fallers"].append(entry)
        return result

    def _rrs_stock(self, cr, ids, names, day, dead_days, scope, window, current=True):
        rows = queries.stock_position(cr, ids, day, dead_days, LIST_LIMIT, current=current)
        total = next(row for row in rows if row["kind"] == "total")
        keys = {"dead_keys": {}, "out_of_stock_keys": {}}
        for row in rows:
            if row["kind"] in keys:
                keys[row["kind"]][row["warehouse_id"]] = row["product_ids"]
        product_names = self._rrs_product_names(
            [row["product_id"] for row in rows if row["product_id"]]
        )
        on_hand = float(total["on_hand"] or 0)
        sold = float(total["sold_28"] or 0)
        # The latest row of a key may be older than any window: no day bound.
        latest_context = {"pivot_measures": ["closing_qty", "qty_net_sold"]}

        def listed(kind):
            return [
                {
                    "product_id": row["product_id"],
                    "name": product_names.get(row["product_id"], ""),
                    "warehouse": names.get(row["warehouse_id"], ""),
                    "on_hand": float(row["on_hand"] or 0),
                    "value": float(row["value"] or 0),
                    "sold_28": float(row["sold_28"] or 0),
                    "last_sale": row["last_sale"] and fields.Date.to_string(row["last_sale"]),
                    "cover_days": row["cover_days"] and float(row["cover_days"]),
                    "drill": self._rrs_drill(
                        product_names.get(row["product_id"], ""),
                        [
                            ("warehouse_id", "=", row["warehouse_id"]),
                            ("product_id", "=", row["product_id"]),
                        ],
                    ),
                }
                for row in rows
                if row["kind"] == kind
            ]

        return {
            "stock": {
                "on_hand": on_hand,
                "value": float(total["value"] or 0),
                "sold_28": sold,
                "days_of_cover": on_hand / (sold / WINDOW_DAYS) if sold > 0 else None,
                "sell_through_pct": 100.0 * sold / (sold + on_hand) if sold + on_hand > 0 else None,
                "stock_to_sales": on_hand / sold if sold > 0 else None,
                "in_stock_count": total["in_stock_count"],
                "drill": self._rrs_drill(
                    _("Sales and stock of the last 28 days"),
                    scope + window,
                    context={"pivot_measures": ["qty_net_sold", "value_net_sold"]},
                ),
            },
            "dead_stock": {
                "count": total["dead_count"],
                "value": float(total["dead_value"] or 0),
                "rows": listed("dead"),
                "drill": self._rrs_drill(
                    _("Dead stock: no sale in %s days", dead_days),
                    self._rrs_store_products_domain(keys["dead_keys"]),
                    context=latest_context,
                ),
            },
            "out_of_stock": {
                "count": total["out_of_stock_count"],
                "rows": listed("out_of_stock"),
                "drill": self._rrs_drill(
                    _("Out of stock, sold in the last 28 days"),
                    self._rrs_store_products_domain(keys["out_of_stock_keys"]) + window,
                ),
            },
            "low_cover": listed("low_cover"),
        }

    def _rrs_abc_xyz(self, cr, ids, day, scope):
        rows = queries.abc_xyz(cr, ids, day, CLASS_WEEKS)
        window = self._rrs_days(day, 7 * CLASS_WEEKS)
        revenue = sum(float(row["revenue"]) for row in rows) or 1.0
        cells = {}
        for row in rows:
            cell = cells.setdefault(
                row["abc"] + row["xyz"],
                {"abc": row["abc"], "xyz": row["xyz"], "products": 0, "revenue": 0.0, "keys": {}},
            )
            cell["products"] += row["products"]
            cell["revenue"] += float(row["revenue"])
            cell["keys"][row["warehouse_id"]] = row["product_ids"]
        result = []
        for code in sorted(cells):
            cell = cells[code]
            result.append(
                {
                    "abc": cell["abc"],
                    "xyz": cell["xyz"],
                    "products": cell["products"],
                    "revenue": cell["revenue"],
                    "revenue_pct": 100.0 * cell["revenue"] / revenue,
                    "drill": self._rrs_drill(
                        _("Class %s products (13 weeks)", code),
                        self._rrs_store_products_domain(cell["keys"]) + window,
                        context={"pivot_column_groupby": ["day:week"]},
                    ),
                }
            )
        return {"weeks": CLASS_WEEKS, "cells": result}

    def _rrs_shrink(self, cr, ids, names, day, scope, window, zone):
        result = []
        exits = {
            row["warehouse_id"]: row
            for row in queries.rfid_exit_losses(cr, ids, day, WINDOW_DAYS, zone.zone)
        }
        for row in queries.shrink_by_store(cr, ids, day, WINDOW_DAYS):
            exit_row = exits.get(row["warehouse_id"]) or {"units": 0, "value": 0}
            loss = float(row["count_loss_value"]) + float(row["scrapped_value"])
            sales = float(row["sales_value"])
            result.append(
                {
                    "warehouse_id": row["warehouse_id"],
                    "name": names.get(row["warehouse_id"], ""),
                    "count_loss_value": float(row["count_loss_value"]),
                    "scrapped_value": float(row["scrapped_value"]),
                    "count_loss_units": float(row["count_loss_units"]),
                    "scrapped_units": float(row["scrapped_units"]),
                    "rfid_exit_units": float(exit_row["units"] or 0),
                    "rfid_exit_value": float(exit_row["value"] or 0),
                    "value": loss,
                    "pct_of_sales": 100.0 * loss / sales if sales > 0 else None,
                    "drill": self._rrs_drill(
                        _("Shrink of %s (28 days)", names.get(row["warehouse_id"], "")),
                        [("warehouse_id", "=", row["warehouse_id"]), *window]
                        + ["|", ("qty_count_loss", "!=", 0), ("qty_scrapped", "!=", 0)],
                        context={"pivot_measures": ["value_shrink", "qty_count_loss"]},
                    ),
                }
            )
        return sorted(result, key=lambda entry: -entry["value"])

    def _rrs_accuracy(self, cr, ids, day, zone, parameters, scope):
        rows = queries.count_accuracy(
            cr,
            ids,
            day,
            ACCURACY_WEEKS,
            zone.zone,
            parameters["count_tolerance_units"],
            parameters["count_tolerance_pct"],
        )
        trend = [
            {
                "week_ending": fields.Date.to_string(day - timedelta(days=7 * row["bucket"])),
                "counted": row["counted"],
                "accurate": row["accurate"],
                "pct": 100.0 * row["accurate"] / row["counted"],
            }
            for row in rows
        ]
        counted = sum(entry["counted"] for entry in trend)
        accurate = sum(entry["accurate"] for entry in trend)
        return {
            "weeks": ACCURACY_WEEKS,
            "counted": counted,
            "pct": 100.0 * accurate / counted if counted else None,
            "trend": trend,
            "drill": self._rrs_drill(
                _("Count differences (8 weeks)"),
                scope
                + self._rrs_days(day, 7 * ACCURACY_WEEKS)
                + ["|", ("qty_count_gain", "!=", 0), ("qty_count_loss", "!=", 0)],
                context={"pivot_measures": ["qty_count_gain", "qty_count_loss"]},
            ),
        }


def _change_pct(value, before):
    value, before = float(value or 0), float(before or 0)
    return 100.0 * (value - before) / before if before else None
