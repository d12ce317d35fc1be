"""The four reports as ``model.Report``: which figures, charts and tables each one shows.

What it is: ``sales`` (trend, stores, products and their ABC class, when
customers buy), ``stock`` (on hand, days of cover, dead stock, out of stock),
``counts`` (record accuracy and discrepancies per count session) and ``shrink``
(scraps and count losses per store, week and product), each from ``figures``
and ``charts``. An empty period is no error: the report says what it did not
find.

How it works: every table is a selection of a frame's columns with headings and
number kinds (``_table``); pages show a table's first rows, the spreadsheet all
of them, so a buyer gets the full product list in the XLSX and a readable PDF.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ingest_core.odoo import analysis
from ingest_core.reports import charts, figures
from ingest_core.reports.figures import Scope
from ingest_core.reports.model import Chart, Figure, Report, Section, Table

CREDIT = ("Sales history: UCI Online Retail (Daqing Chen, UCI Machine Learning Repository, "
          "CC BY 4.0)")
KINDS = ("sales", "stock", "counts", "shrink")
TITLES = {"sales": "Sales summary", "stock": "Stock status",
          "counts": "Count accuracy and discrepancies", "shrink": "Shrink"}


@dataclass(frozen=True)
class Options:
    dead_days: int = 90
    tolerance: float = 0.0
    top: int = 25


def build(cur, kind: str, scope: Scope, options: Options = Options(),
          all_stores: bool = False) -> Report:
    """The report ``kind`` (one of ``KINDS``) for ``scope``; ``all_stores``: no store
    was named (the report says "all stores")."""
    report = Report(kind=kind, title=TITLES[kind], since=scope.since, until=scope.until,
                    stores=list(scope.stores.values()), all_stores=all_stores,
                    database=analysis.database_name(cur),
                    credit=CREDIT if analysis.history_imported(cur) else None)
    {"sales": _sales, "stock": _stock, "counts": _counts, "shrink": _shrink}[kind](
        cur, scope, options, report)
    return report


def _table(title: str, frame: pd.DataFrame, columns: list[tuple[str, str, str]], *,
           sheet: str = "", page_rows: int = 25, note: str = "",
           page_columns: list[str] | None = None) -> Table:
    """A table of ``frame``'s columns ``(source, heading, kind)``; ``page_columns``: the
    headings a page shows (default all)."""
    chosen = frame[[source for source, _heading, _kind in columns]].copy()
    chosen.columns = [heading for _source, heading, _kind in columns]
    return Table(title, chosen.reset_index(drop=True),
                 {heading: kind for _source, heading, kind in columns},
                 sheet=sheet or title, page_rows=page_rows, note=note,
                 page_columns=page_columns)


_SALES_COLUMNS = [("sold", "Units sold", "units"), ("returned", "Returned", "units"),
                  ("net_units", "Net units", "units"), ("revenue", "Net revenue", "money"),
                  ("cost", "Cost", "money"), ("margin", "Margin", "money")]


def _sales(cur, scope: Scope, options: Options, report: Report) -> None:
    daily = figures.daily_sales(cur, scope)
    if daily.empty:
        report.message = f"No sales in the period {report.period}."
        return
    weekly = scope.days > 62
    products = figures.product_sales(cur, scope)
    stores = figures.sales_by_store(daily)
    revenue, sold, returned = (float(daily[c].sum()) for c in ("revenue", "sold", "returned"))
    report.figures = [
        Figure("Net revenue (list price)", revenue, "money"),
        Figure("Units sold", sold, "units"),
        Figure("Units returned", returned, "units"),
        Figure("Gross margin", float(daily["margin"].sum()) / revenue if revenue else 0.0,
               "pct"),
        Figure("Products sold", float((products["sold"] > 0).sum()), "count"),
        Figure("Return rate (units)", returned / sold if sold else 0.0, "pct"),
    ]
    unit = "week" if weekly else "day"
    partial = [name for name, cut in (("first", scope.since.weekday() != 0),
                                      ("last", scope.until.weekday() != 6)) if cut]
    report.sections.append(Section("Sales trend", charts=[Chart(
        f"Net revenue per {unit} and store",
        charts.sales_trend(figures.revenue_by_store(daily, weekly), weekly),
        caption=f"Weeks from Monday; the {' and '.join(partial)} "
                f"{'week is' if len(partial) == 1 else 'weeks are'} partial."
        if weekly and partial else "")]))
    report.sections.append(Section("When customers buy", charts=[Chart(
        "Net revenue by weekday and hour", charts.heatmap(figures.weekday_hour(cur, scope)))]))
    report.sections.append(_products_section(products, options))
    report.sections.append(Section("Stores", tables=[_table(
        "Sales per store", stores,
        [("store", "Store", "text"), *_SALES_COLUMNS, ("margin_pct", "Margin %", "pct"),
         ("return_rate", "Return rate", "pct"), ("revenue_share", "Share", "pct")])]))
    report.sections.append(Section(f"Sales per {unit}", tables=[_table(
        f"Sales per {unit}", figures.sales_by_period(daily, weekly),
        [("period", "Week from" if weekly else "Day", "date"), *_SALES_COLUMNS,
         ("margin_pct", "Margin %", "pct")], page_rows=60)]))


def _products_section(products: pd.DataFrame, options: Options) -> Section:
    """The revenue Pareto, the ABC split and the products by revenue."""
    return Section(
        "Products: revenue Pareto (ABC)",
        text="Products by net revenue: class A makes the first 80 % of revenue, "
             "B the next 15 %, C the rest.",
        charts=[Chart("Cumulative share of revenue", charts.pareto(products))],
        tables=[_table("ABC classes", figures.abc_split(products),
                       [("abc", "Class", "text"), ("products", "Products", "count"),
                        ("product_share", "Share of products", "pct"),
                        ("net_units", "Net units", "units"),
                        ("revenue", "Net revenue", "money"),
                        ("revenue_share", "Share of revenue", "pct")]),
                _table(f"Top {options.top} products" if len(products) > options.top
                       else "Products", products,
                       [("code", "Code", "text"), ("name", "Product", "text"),
                        ("category", "Category", "text"), *_SALES_COLUMNS,
                        ("share", "Share", "pct"), ("cumulative_share", "Cumulative", "pct"),
                        ("abc", "ABC", "text")],
                       sheet="Products", page_rows=options.top,
                       page_columns=["Code", "Product", "Units sold", "Returned",
                                     "Net units", "Net revenue", "Share", "Cumulative",
                                     "ABC"],
                       note="every product, with cost and margin, is in the spreadsheet "
                            "(--format xlsx)")])


_STATUS_COLUMNS = [("store", "Store", "text"), ("code", "Code", "text"),
                   ("name", "Product", "text"), ("on_hand", "On hand", "units"),
                   ("value", "Value at cost", "money"), ("net_sold", "Net sold", "units"),
                   ("days_of_cover", "Days of cover", "days"),
                   ("last_sale", "Last sale", "date")]


def _stock(cur, scope: Scope, options: Options, report: Report) -> None:
    status = figures.stock_status(cur, scope, options.dead_days)
    if status.empty:
        report.message = f"No stock and no sales recorded up to {scope.until:%Y-%m-%d}."
        return
    stores = figures.stock_by_store(status, scope)
    units, value = float(stores["units"].sum()), float(stores["value"].sum())
    net_sold = float(stores["net_sold"].clip(lower=0).sum())
    dead = status[status["dead"]].sort_values("value", ascending=False)
    report.figures = [
        Figure("Units on hand", units, "units"),
        Figure("Stock value at cost", value, "money"),
        Figure("Days of cover", units / (net_sold / scope.days) if net_sold else np.inf,
               "days"),
        Figure("SKU-locations in stock", float(stores["skus"].sum()), "count"),
        Figure("Out of stock (sold in period)", float(status["out_of_stock"].sum()), "count"),
        Figure(f"Dead stock value (no sale in {options.dead_days} days)",
               float(dead["value"].sum()), "money"),
    ]
    report.notes.append(f"On hand at the end of {scope.until:%Y-%m-%d}; days of cover from "
                        f"the net units sold over the period's {scope.days} days.")
    report.sections.append(Section(
        "Stock on hand",
        charts=[Chart("Units on hand per store", charts.on_hand(figures.on_hand_trend(cur,
                                                                                       scope)))],
        tables=[_table("Stock per store", stores,
                       [("store", "Store", "text"), ("skus", "SKUs in stock", "count"),
                        ("units", "Units", "units"), ("value", "Value at cost", "money"),
                        ("net_sold", "Net sold", "units"),
                        ("days_of_cover", "Days of cover", "days"),
                        ("out_of_stock", "Out of stock", "count"),
                        ("dead", "Dead SKUs", "count"),
                        ("dead_share", "Dead share of value", "pct")])]))
    buckets = figures.cover_buckets(status)
    low = status[(status["on_hand"] > 0) & (status["net_sold"] > 0)].sort_values(
        ["days_of_cover", "value"], ascending=[True, False])
    report.sections.append(Section(
        "Days of cover",
        charts=[Chart("Stock value by days of cover", charts.cover(buckets))],
        tables=[_table("Cover buckets", buckets,
                       [("cover", "Days of cover", "text"), ("skus", "SKU-locations", "count"),
                        ("value", "Value at cost", "money")]),
                _table("Lowest cover (on hand and selling)", low, _STATUS_COLUMNS,
                       sheet="Lowest cover", page_rows=options.top)]))
    report.sections += _stock_lists(status, dead, options)


def _stock_lists(status: pd.DataFrame, dead: pd.DataFrame, options: Options) -> list[Section]:
    """Dead stock, out of stock, and every product x location (the spreadsheet's list)."""
    out = status[status["out_of_stock"]].sort_values("net_sold", ascending=False)
    dead_table = _table(f"Dead stock: on hand, no sale in {options.dead_days} days", dead,
                        [*_STATUS_COLUMNS, ("days_since_sale", "Days since sale", "count")],
                        sheet="Dead stock", page_rows=options.top)
    out_table = _table("Out of stock: sold in the period, none on hand", out,
                       [*_STATUS_COLUMNS[:4], ("net_sold", "Net sold", "units"),
                        ("last_sale", "Last sale", "date")],
                       sheet="Out of stock", page_rows=options.top)
    every = _table("Stock status", status.sort_values(["store", "code"]),
                   [("store", "Store", "text"), ("location", "Location", "text"),
                    ("code", "Code", "text"), ("name", "Product", "text"),
                    ("category", "Category", "text"), ("on_hand", "On hand", "units"),
                    ("cost", "Unit cost", "money"), ("value", "Value at cost", "money"),
                    ("net_sold", "Net sold", "units"),
                    ("days_of_cover", "Days of cover", "days"),
                    ("last_sale", "Last sale", "date"), ("dead", "Dead", "text")],
                   page_rows=0,
                   note="every product and location is in the spreadsheet (--format xlsx)")
    return [Section("Dead stock and out of stock", tables=[dead_table, out_table]),
            Section("All stock", tables=[every])]


def _counts(cur, scope: Scope, options: Options, report: Report) -> None:
    lines = figures.count_lines(cur, scope, options.tolerance)
    if lines.empty:
        report.message = f"No count sessions started in the period {report.period}."
        return
    sessions = figures.count_sessions(lines)
    counted = int(sessions["lines"].sum())
    differences = lines[lines["difference"].fillna(0) != 0].assign(
        size=lambda frame: frame["value"].abs()).sort_values("size", ascending=False)
    report.figures = [
        Figure("Count sessions", float(len(sessions)), "count"),
        Figure("Lines counted", float(counted), "count"),
        Figure("Record accuracy", float(sessions["accurate"].sum()) / counted
               if counted else 0.0, "pct"),
        Figure("Units found over record", float(sessions["over"].sum()), "units"),
        Figure("Units short of record", float(sessions["short"].sum()), "units"),
        Figure("Net difference at cost", float(sessions["value"].sum()), "money"),
    ]
    report.notes.append(f"A line is accurate when the count is within {options.tolerance:g} "
                        "units of the record.")
    report.sections.append(Section(
        "Accuracy per session",
        charts=[Chart("Lines within tolerance per session", charts.accuracy(sessions))]
        if counted else [],
        tables=[_table("Count sessions", sessions,
                       [("session_id", "Id", "count"), ("session", "Session", "text"),
                        ("store", "Store", "text"), ("location", "Location", "text"),
                        ("state", "State", "text"), ("started", "Started", "datetime"),
                        ("closed", "Closed", "datetime"), ("lines", "Lines", "count"),
                        ("accuracy", "Accuracy", "pct"), ("over", "Units over", "units"),
                        ("short", "Units short", "units"),
                        ("value", "Difference at cost", "money")], page_rows=40)]))
    report.sections.append(Section("Discrepancies", tables=[_table(
        "Lines whose count differs from the record", differences,
        [("session_id", "Session", "count"), ("store", "Store", "text"),
         ("code", "Code", "text"), ("name", "Product", "text"),
         ("expected", "Record", "units"), ("counted", "Counted", "units"),
         ("difference", "Difference", "units"), ("value", "At cost", "money")],
        sheet="Discrepancies", page_rows=options.top * 2)]))


def _shrink(cur, scope: Scope, options: Options, report: Report) -> None:
    daily = figures.shrink_daily(cur, scope)
    stores = figures.shrink_by_store(daily, figures.rfid_exits(cur, scope))
    if not (stores[["scrapped", "loss", "gain"]] != 0).any().any():
        report.message = f"No scraps and no count differences in the period {report.period}."
        return
    shrink, cost = float(stores["shrink_value"].sum()), float(stores["cost_sold"].sum())
    report.figures = [
        Figure("Shrink at cost", shrink, "money"),
        Figure("Shrink / sales at cost", shrink / cost if cost else 0.0, "pct"),
        Figure("Units scrapped", float(stores["scrapped"].sum()), "units"),
        Figure("Scraps at cost", float(stores["scrap_value"].sum()), "money"),
        Figure("Units lost in counts", float(stores["loss"].sum()), "units"),
        Figure("Units found in counts", float(stores["gain"].sum()), "units"),
        Figure("Units out through RFID exits unsold", float(stores["exit_units"].sum()),
               "units"),
    ]
    report.notes.append("Shrink at cost = scraps + count losses - count gains.")
    report.notes.append("RFID exits: tags an exit reader saw leave without a sale; the "
                        "ingest books them as count losses, so they are part of those.")
    report.sections.append(Section(
        "Per store", charts=[Chart("Shrink at cost per store", charts.shrink_bars(stores))],
        tables=[_table("Shrink per store", stores,
                       [("store", "Store", "text"), ("scrapped", "Scrapped", "units"),
                        ("scrap_value", "Scraps at cost", "money"),
                        ("loss", "Count losses", "units"),
                        ("exit_units", "of which RFID exits", "units"),
                        ("exit_value", "RFID exits at cost", "money"),
                        ("gain", "Count gains", "units"),
                        ("count_loss_value", "Net count loss at cost", "money"),
                        ("shrink_value", "Shrink at cost", "money"),
                        ("shrink_pct", "% of sales at cost", "pct")])]))
    weeks = figures.shrink_by_week(daily)
    weeks = weeks[(weeks[["scrapped", "loss", "gain"]] != 0).any(axis=1)]
    report.sections.append(Section(
        "Per week",
        charts=[Chart("Shrink at cost per week", charts.shrink_trend(weeks))]
        if len(weeks) > 1 else [],
        tables=[_table("Shrink per week", weeks,
                       [("week", "Week from", "date"), ("scrapped", "Scrapped", "units"),
                        ("scrap_value", "Scraps at cost", "money"),
                        ("loss", "Count losses", "units"), ("gain", "Count gains", "units"),
                        ("shrink_value", "Shrink at cost", "money")], page_rows=60)]))
    products = figures.shrink_products(cur, scope)
    report.sections.append(Section("Products", tables=[_table(
        "Products with the most shrink", products,
        [("store", "Store", "text"), ("code", "Code", "text"), ("name", "Product", "text"),
         ("scrapped", "Scrapped", "units"), ("scrap_value", "Scraps at cost", "money"),
         ("loss", "Count losses", "units"), ("gain", "Count gains", "units"),
         ("shrink_value", "Shrink at cost", "money")],
        sheet="Shrink products", page_rows=options.top,
        note=f"products with shrink: {len(products):,}")]))
