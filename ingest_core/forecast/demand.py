"""Daily demand series in statsforecast's long format (``unique_id``, ``ds``, ``y``).

What it is: the history the models learn from, built from the UCI Online
Retail file (UCI Machine Learning Repository, Daqing Chen, CC BY 4.0) the way
``rtstock history import`` spreads it over the stores: a series per stock code
and store (``S01/85123A``), one row per local calendar day from the series'
first sale to the last day of the file.

How it works: the file is read and checked by ``history.dataset`` (a damaged
line is an error naming it), lines that move no goods are skipped as the
importer skips them, sales count, returns (cancellations) are netted on the
day they came back, write-offs are not demand. Days without a sale are zero
demand; a day's net is clipped at zero (a return bigger than the day's sales
is not negative demand).

Caveats: the file knows no stock, so no day is a stock-out here; demand read
from an Odoo database treats stock-out days as censored (``censor``).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from ingest_core.history.dataset import movement_of, read, skip_reason
from ingest_core.history.importer import store_of


class DemandError(ValueError):
    """The history cannot give a forecast (empty, too short, no sales)."""


def from_transactions(path: Path, stores: int = 2,
                      store_codes: tuple[str, ...] = ("S01", "S02"),
                      prices: dict[str, float] | None = None) -> pd.DataFrame:
    """Daily net demand per (store, stock code) from the invoice lines of ``path``;
    ``prices``, when given, receives each stock code's last positive sale price."""
    units: dict[tuple[str, date], float] = defaultdict(float)
    last_day: date | None = None
    for line in read(path):
        day = line.at.date()  # any line, goods or not, is a day the shop traded
        last_day = day if last_day is None or day > last_day else last_day
        if skip_reason(line):
            continue
        operation = movement_of(line)
        if operation == "scrap":
            continue
        series = f"{store_codes[store_of(line, stores)]}/{line.code}"
        if prices is not None and operation == "sale" and line.price > 0:
            prices[line.code] = line.price
        units[(series, day)] += abs(line.quantity) if operation == "sale" else -abs(
            line.quantity)
    if not units:
        raise DemandError(f"{path}: no sale or return of goods in the file")
    frame = pd.DataFrame([(series, day, quantity) for (series, day), quantity in units.items()],
                         columns=["unique_id", "ds", "y"])
    frame["ds"] = pd.to_datetime(frame["ds"])
    return complete(frame, pd.Timestamp(last_day))


def complete(frame: pd.DataFrame, until: pd.Timestamp) -> pd.DataFrame:
    """Every day from each series' first positive day to ``until``, zeros where nothing
    sold, net clipped at zero; series that never sold are dropped."""
    frame = frame[frame["ds"] <= until]
    first = frame[frame["y"] > 0].groupby("unique_id")["ds"].min()
    if first.empty:
        raise DemandError("no day with a positive demand before "
                          f"{until.date().isoformat()}")
    lengths = ((until - first).dt.days + 1).to_numpy()
    ids = np.repeat(first.index.to_numpy(), lengths)
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    days = np.repeat(first.to_numpy(), lengths) + offsets.astype("timedelta64[D]")
    grid = pd.DataFrame({"unique_id": ids, "ds": days})
    daily = frame.groupby(["unique_id", "ds"], as_index=False)["y"].sum()
    result = grid.merge(daily, on=["unique_id", "ds"], how="left")
    result["y"] = result["y"].fillna(0.0).clip(lower=0.0)
    return result.sort_values(["unique_id", "ds"], ignore_index=True)


def censor(frame: pd.DataFrame, stock_out: pd.DataFrame) -> pd.DataFrame:
    """Demand of stock-out days (``stock_out``: unique_id, ds) is unknown, not zero: those
    days are replaced by the mean of the series' in-stock days of the same weekday over
    the previous four weeks (zero when there is none), so a model does not learn that
    an empty shelf means nobody wanted the product."""
    if stock_out.empty:
        return frame
    marked = frame.merge(stock_out.assign(out=True), on=["unique_id", "ds"], how="left")
    marked["out"] = marked["out"].eq(True)
    observed = marked["y"].where(~marked["out"])
    marked["weekday"] = marked["ds"].dt.dayofweek
    estimate = (observed.groupby([marked["unique_id"], marked["weekday"]])
                .transform(lambda s: s.shift(1).rolling(4, min_periods=1).mean()))
    marked["y"] = np.where(marked["out"], estimate.fillna(0.0), marked["y"])
    return marked[["unique_id", "ds", "y"]]
