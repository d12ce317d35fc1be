"""``rtstock forecast run``: forecasts of every product x store from the Odoo database.

What it is: the nightly (or on-demand) job that reads the stores' demand from
the rollups (``rrs_stock_daily``: net sales per local day), forecasts it with
``predict`` and writes ``rrs_forecast`` (with the model and the time it was
made), which the add-on's replenishment screens read.

How it works: a day that opened with nothing on the shelf (the store's
closing on-hand of the day before at or below zero) and sold nothing is a
stock-out: its demand is unknown and ``demand.censor`` estimates it instead
of teaching the models that nobody wanted the product. Everything is written
in one transaction: a failure leaves the previous forecasts.

Caveats: series are (store, product); a product sold in no store has no
forecast.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd
import psycopg2

from ingest_core.forecast import demand, predict
from ingest_core.forecast.engines import Engine
from ingest_core.odoo import alerts
from ingest_core.odoo import forecast as forecast_sql


@dataclass(frozen=True)
class RunReport:
    series: int
    stock_out_days: int
    rows_written: int
    last_day: str
    models: dict[str, int]
    seconds: float


def stock_out_days(history: pd.DataFrame, closing: pd.DataFrame) -> pd.DataFrame:
    """(unique_id, ds) of days that opened with no stock and sold nothing."""
    if closing.empty:
        return pd.DataFrame(columns=["unique_id", "ds"])
    grid = history[["unique_id", "ds", "y"]].merge(closing, on=["unique_id", "ds"], how="left")
    grid = grid.sort_values(["unique_id", "ds"])
    carried = grid.groupby("unique_id")["closing"].ffill()
    opening = carried.groupby(grid["unique_id"]).shift(1)
    out = (opening <= 0) & (grid["y"] == 0)
    return grid.loc[out, ["unique_id", "ds"]]


TWO_PROCESSES = Engine(n_jobs=2)


def run(dsn: str, horizon: int = 28, set_name: str = "fast",
        engine: Engine = TWO_PROCESSES, user_id: int = 1) -> RunReport:
    started = time.monotonic()
    connection = psycopg2.connect(dsn)
    try:
        with connection.cursor() as cur:
            sales = forecast_sql.daily_sales(cur)
            if not sales:
                raise demand.DemandError("the database's rollups hold no sale: nothing to "
                                         "forecast from (rtstock rollup rebuild?)")
            closing = forecast_sql.closing_by_store(cur)
        connection.rollback()
        frame = pd.DataFrame(sales, columns=["warehouse_id", "product_id", "ds", "y"])
        frame = frame.assign(unique_id=frame["warehouse_id"].astype(str) + "/"
                             + frame["product_id"].astype(str),
                             ds=pd.to_datetime(frame["ds"]), y=frame["y"].astype(float))
        last_day = frame["ds"].max()
        history = demand.complete(frame[["unique_id", "ds", "y"]], last_day)
        stock = pd.DataFrame(closing, columns=["warehouse_id", "product_id", "ds", "closing"])
        stock = stock.assign(unique_id=stock["warehouse_id"].astype(str) + "/"
                             + stock["product_id"].astype(str),
                             ds=pd.to_datetime(stock["ds"]),
                             closing=stock["closing"].astype(float))
        outs = stock_out_days(history, stock[["unique_id", "ds", "closing"]])
        history = demand.censor(history, outs)
        forecasts = predict.forecast(history, horizon, set_name, engine)
        keys = forecasts["unique_id"].str.split("/", n=1, expand=True).astype(int)
        rows = list(zip(keys[1], keys[0], forecasts["ds"].dt.date, forecasts["mean"],
                        forecasts["lo80"], forecasts["hi80"], forecasts["lo95"],
                        forecasts["hi95"], forecasts["model"], strict=True))
        with connection.cursor() as cur:
            written = forecast_sql.replace_forecasts(
                cur, rows, datetime.now(UTC).replace(tzinfo=None), user_id)
        connection.commit()
        # The stock-outs the new forecasts foresee, in a short transaction of their own
        # (their bus messages must not wait behind the forecasts' long one).
        with connection.cursor() as cur:
            if alerts.available(cur):
                alerts.sweep(cur, forecast=True)
        connection.commit()
    finally:
        connection.close()
    return RunReport(series=int(forecasts["unique_id"].nunique()), stock_out_days=len(outs),
                     rows_written=written, last_day=last_day.date().isoformat(),
                     models={k: int(v) for k, v in forecasts.groupby("unique_id")["model"]
                             .first().value_counts().items()},
                     seconds=round(time.monotonic() - started, 1))
