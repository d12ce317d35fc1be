"""The reports' figures as pandas frames, from the rollups' rows (``odoo.analysis``).

What it is: sales per day / week / store / product, the ABC (revenue Pareto)
class of each product, sales by weekday and hour; stock on hand per product and
location with days of cover and dead stock, on hand over time; count accuracy
and discrepancies per session; shrink (count losses, scraps) per store, week
and product.

How it works: each function runs one query and shapes its rows with vectorised
pandas (no loop over rows). Rules a buyer would ask about:

- ABC: products by net revenue (list price, sales less returns), class A while
  the share of revenue before the product is under 80 %, B under 95 %, C after
  (the same rule as ``rtstock history summary``); products without positive
  revenue are C.
- Days of cover: on hand / (net units sold in the period / days in the period);
  infinite where nothing sold and stock is on hand.
- Dead stock: on hand and no sale in the ``dead_days`` days up to the period's end.
- Count accuracy: share of counted product-locations whose record was within
  ``tolerance`` units of the count.
- Shrink at cost: scraps plus count losses less count gains.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd

from ingest_core.odoo import analysis

A_SHARE, B_SHARE = 0.80, 0.95
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Scope:
    """The period (both days included) and the stores (warehouse id -> code) of a report."""

    since: date
    until: date
    stores: dict[int, str]

    @property
    def ids(self) -> list[int]:
        return list(self.stores)

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    def args(self) -> tuple[date, date, list[int]]:
        return self.since, self.until, self.ids


def _frame(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    """The rows as a frame, SQL numerics (psycopg2's ``Decimal``) as floats."""
    frame = pd.DataFrame.from_records(rows, columns=columns)
    for column in frame.columns:
        values = frame[column].dropna()
        if len(values) and isinstance(values.iloc[0], Decimal):
            frame[column] = frame[column].astype(float)
    return frame


def _store(frame: pd.DataFrame, scope: Scope) -> pd.Series:
    return frame["warehouse_id"].map(scope.stores)


# ------------------------------------------------------------------------------- sales


def daily_sales(cur, scope: Scope) -> pd.DataFrame:
    """day, store, sold, returned, net_units, revenue (net, list price), cost, margin."""
    frame = _frame(analysis.daily_sales(cur, *scope.args()),
                   ["day", "warehouse_id", "sold", "returned", "value_sold",
                    "value_returned", "cost"])
    frame["store"] = _store(frame, scope)
    frame["day"] = pd.to_datetime(frame["day"])
    frame["net_units"] = frame["sold"] - frame["returned"]
    frame["revenue"] = frame["value_sold"] - frame["value_returned"]
    frame["margin"] = frame["revenue"] - frame["cost"]
    return frame[["day", "store", "sold", "returned", "net_units", "revenue", "cost", "margin"]]


def sales_by_period(daily: pd.DataFrame, weekly: bool) -> pd.DataFrame:
    """Totals per day (or per week, starting Monday) over all stores."""
    period = daily["day"].dt.to_period("W-SUN").dt.start_time if weekly else daily["day"]
    totals = daily.assign(period=period).groupby("period", as_index=False)[
        ["sold", "returned", "net_units", "revenue", "cost", "margin"]].sum()
    totals["margin_pct"] = _ratio(totals["margin"], totals["revenue"])
    return totals


def revenue_by_store(daily: pd.DataFrame, weekly: bool) -> pd.DataFrame:
    """Net revenue, periods (days or weeks) as rows, stores as columns (the trend chart)."""
    period = daily["day"].dt.to_period("W-SUN").dt.start_time if weekly else daily["day"]
    return daily.assign(period=period).pivot_table(
        index="period", columns="store", values="revenue", aggfunc="sum", fill_value=0.0)


def sales_by_store(daily: pd.DataFrame) -> pd.DataFrame:
    stores = daily.groupby("store", as_index=False)[
        ["sold", "returned", "net_units", "revenue", "cost", "margin"]].sum()
    stores["margin_pct"] = _ratio(stores["margin"], stores["revenue"])
    stores["return_rate"] = _ratio(stores["returned"], stores["sold"])
    stores["revenue_share"] = _ratio(stores["revenue"], stores["revenue"].sum())
    return stores


def product_sales(cur, scope: Scope) -> pd.DataFrame:
    """code, name, category, sold, returned, net_units, revenue, cost, margin, share,
    cumulative_share, abc; by revenue, highest first."""
    frame = _frame(analysis.product_sales(cur, *scope.args()),
                   ["product_id", "code", "name", "category", "sold", "returned",
                    "value_sold", "value_returned", "cost"])
    frame["net_units"] = frame["sold"] - frame["returned"]
    frame["revenue"] = frame["value_sold"] - frame["value_returned"]
    frame["margin"] = frame["revenue"] - frame["cost"]
    frame = frame.sort_values(["revenue", "code"], ascending=[False, True], kind="stable")
    return abc_classes(frame.reset_index(drop=True))


def abc_classes(products: pd.DataFrame) -> pd.DataFrame:
    """``products`` (by revenue, highest first) with share, cumulative_share and abc."""
    revenue = products["revenue"].clip(lower=0)
    total = revenue.sum()
    products = products.copy()
    products["share"] = revenue / total if total else 0.0
    products["cumulative_share"] = products["share"].cumsum()
    before = products["cumulative_share"] - products["share"]
    products["abc"] = np.where(before < A_SHARE, "A", np.where(before < B_SHARE, "B", "C"))
    products.loc[revenue <= 0, "abc"] = "C"
    return products


def abc_split(products: pd.DataFrame) -> pd.DataFrame:
    split = products.groupby("abc", as_index=False).agg(
        products=("code", "size"), revenue=("revenue", "sum"), net_units=("net_units", "sum"))
    split = split.set_index("abc").reindex(["A", "B", "C"], fill_value=0).reset_index()
    split["product_share"] = _ratio(split["products"], split["products"].sum())
    split["revenue_share"] = _ratio(split["revenue"], split["revenue"].sum())
    return split


def weekday_hour(cur, scope: Scope) -> pd.DataFrame:
    """Net sales value, weekdays (Mon..Sun) as rows, local hours 0..23 as columns."""
    frame = _frame(analysis.sales_by_weekday_hour(cur, *scope.args()),
                   ["weekday", "hour", "net_units", "revenue"])
    grid = frame.pivot_table(index="weekday", columns="hour", values="revenue",
                             aggfunc="sum", fill_value=0.0)
    grid = grid.reindex(index=range(1, 8), columns=range(24), fill_value=0.0)
    grid.index = list(WEEKDAYS)
    return grid


# ------------------------------------------------------------------------------- stock


def stock_status(cur, scope: Scope, dead_days: int) -> pd.DataFrame:
    """Per store, location and product: on_hand, value (cost), net_sold, days_of_cover,
    last_sale, days_since_sale, dead, out_of_stock."""
    frame = _frame(analysis.stock_position(cur, *scope.args()),
                   ["warehouse_id", "location", "product_id", "code", "name", "category",
                    "on_hand", "net_sold", "last_sale", "cost", "list_price"])
    frame["store"] = _store(frame, scope)
    frame["value"] = frame["on_hand"].clip(lower=0) * frame["cost"]
    rate = frame["net_sold"].clip(lower=0) / scope.days
    cover = frame["on_hand"].clip(lower=0) / rate.where(rate > 0)
    frame["days_of_cover"] = cover.where(rate > 0, np.where(frame["on_hand"] > 0, np.inf, 0.0))
    last = pd.to_datetime(frame["last_sale"])
    frame["last_sale"] = last
    frame["days_since_sale"] = (pd.Timestamp(scope.until) - last).dt.days
    horizon = pd.Timestamp(scope.until - timedelta(days=dead_days - 1))
    frame["dead"] = (frame["on_hand"] > 0) & (last.isna() | (last < horizon))
    frame["out_of_stock"] = (frame["on_hand"] <= 0) & (frame["net_sold"] > 0)
    return frame


def stock_by_store(status: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    status = status.assign(
        in_stock=status["on_hand"] > 0, units=status["on_hand"].clip(lower=0),
        dead_value=status["value"].where(status["dead"], 0.0))
    stores = status.groupby("store", as_index=False).agg(
        skus=("in_stock", "sum"), units=("units", "sum"), value=("value", "sum"),
        net_sold=("net_sold", "sum"), out_of_stock=("out_of_stock", "sum"),
        dead=("dead", "sum"), dead_value=("dead_value", "sum"))
    rate = stores["net_sold"].clip(lower=0) / scope.days
    stores["days_of_cover"] = (stores["units"] / rate.where(rate > 0)).where(
        rate > 0, np.where(stores["units"] > 0, np.inf, 0.0))
    stores["dead_share"] = _ratio(stores["dead_value"], stores["value"])
    return stores


COVER_BUCKETS = ("out of stock", "< 7 days", "7-30 days", "30-90 days", "> 90 days",
                 "no sales")


def cover_buckets(status: pd.DataFrame) -> pd.DataFrame:
    """SKU-locations and stock value per days-of-cover bucket."""
    cover = status["days_of_cover"]
    bucket = np.select(
        [status["on_hand"] <= 0, np.isinf(cover), cover < 7, cover < 30, cover < 90],
        ["out of stock", "no sales", "< 7 days", "7-30 days", "30-90 days"], "> 90 days")
    counted = status.assign(bucket=bucket).groupby("bucket").agg(
        skus=("code", "size"), value=("value", "sum"))
    return counted.reindex(list(COVER_BUCKETS), fill_value=0).rename_axis("cover").reset_index()


def on_hand_trend(cur, scope: Scope) -> pd.DataFrame:
    """Units on hand at the end of each day of the period, days as rows, stores as columns
    (from the closings before the period and the days' net changes)."""
    frame = _frame(analysis.daily_net_change(cur, *scope.args()),
                   ["day", "warehouse_id", "net"])
    frame["store"] = _store(frame, scope)
    days = pd.date_range(scope.since - timedelta(days=1), scope.until, freq="D")
    changes = frame.assign(day=pd.to_datetime(frame["day"])).pivot_table(
        index="day", columns="store", values="net", aggfunc="sum", fill_value=0.0)
    return changes.reindex(days, fill_value=0.0).cumsum().iloc[1:]


# ------------------------------------------------------------------------------ counts


def count_lines(cur, scope: Scope, tolerance: float) -> pd.DataFrame:
    frame = _frame(analysis.count_lines(cur, *scope.args()),
                   ["session_id", "session", "warehouse_id", "location", "state", "started",
                    "closed", "code", "name", "expected", "counted", "cost"])
    frame["store"] = _store(frame, scope)
    for column in ("expected", "counted", "cost"):
        frame[column] = pd.to_numeric(frame[column])
    frame["difference"] = frame["counted"] - frame["expected"]
    frame["value"] = frame["difference"] * frame["cost"]
    frame["has_line"] = frame["expected"].notna()
    frame["accurate"] = frame["has_line"] & (frame["difference"].abs() <= tolerance)
    return frame


def count_sessions(lines: pd.DataFrame) -> pd.DataFrame:
    """Per session: lines, accurate lines, accuracy, units over and short, value at cost."""
    counted = lines.assign(over=lines["difference"].clip(lower=0),
                           short=(-lines["difference"]).clip(lower=0))
    sessions = counted.groupby(["session_id", "session", "store", "location", "state",
                                "started", "closed"], as_index=False, dropna=False).agg(
        lines=("has_line", "sum"), accurate=("accurate", "sum"), over=("over", "sum"),
        short=("short", "sum"), value=("value", "sum"))
    sessions["accuracy"] = _ratio(sessions["accurate"], sessions["lines"])
    return sessions.sort_values(["started", "session_id"])


# ------------------------------------------------------------------------------ shrink


def shrink_daily(cur, scope: Scope) -> pd.DataFrame:
    frame = _frame(analysis.shrink_daily(cur, *scope.args()),
                   ["day", "warehouse_id", "gain", "loss", "count_value", "scrapped",
                    "scrap_value", "cost_sold"])
    frame["store"] = _store(frame, scope)
    frame["day"] = pd.to_datetime(frame["day"])
    frame["count_loss_value"] = -frame["count_value"]
    frame["shrink_value"] = frame["scrap_value"] + frame["count_loss_value"]
    return frame


def shrink_by_store(daily: pd.DataFrame, exits: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per store; with ``exits`` (``rfid_exits``), the RFID exit losses beside the count
    losses they are part of."""
    stores = daily.groupby("store", as_index=False)[
        ["scrapped", "scrap_value", "loss", "gain", "count_loss_value", "shrink_value",
         "cost_sold"]].sum()
    stores["shrink_pct"] = _ratio(stores["shrink_value"], stores["cost_sold"])
    if exits is not None:
        stores = stores.merge(exits[["store", "exit_units", "exit_value"]], on="store",
                              how="left").fillna({"exit_units": 0.0, "exit_value": 0.0})
    return stores


def rfid_exits(cur, scope: Scope) -> pd.DataFrame:
    """Per store: units and value at cost of the tags that left through an RFID exit
    reader without a sale (part of the count losses)."""
    frame = _frame(analysis.rfid_exit_losses(cur, *scope.args()),
                   ["warehouse_id", "exit_units", "exit_value"])
    frame = frame.astype({"exit_units": float, "exit_value": float})  # also when empty
    frame["store"] = _store(frame, scope)
    return frame


def shrink_by_week(daily: pd.DataFrame) -> pd.DataFrame:
    week = daily["day"].dt.to_period("W-SUN").dt.start_time
    return daily.assign(week=week).groupby("week", as_index=False)[
        ["scrapped", "scrap_value", "loss", "gain", "count_loss_value", "shrink_value"]].sum()


def shrink_products(cur, scope: Scope) -> pd.DataFrame:
    frame = _frame(analysis.shrink_by_product(cur, *scope.args()),
                   ["warehouse_id", "code", "name", "gain", "loss", "count_value",
                    "scrapped", "scrap_value"])
    frame["store"] = _store(frame, scope)
    frame["shrink_value"] = frame["scrap_value"] - frame["count_value"]
    return frame.sort_values(["shrink_value", "code"], ascending=[False, True])


def _ratio(numerator: pd.Series, denominator) -> pd.Series:
    """numerator / denominator; missing (a blank cell, not 0 %) where the denominator is 0."""
    if np.isscalar(denominator):
        return numerator / denominator if denominator else numerator * np.nan
    return numerator / denominator.where(denominator != 0)
