"""``rtstock forecast simulate``: the reorder policy replayed on the real year's last weeks.

What it is: the proof asked by issue 15 that reorder points set from the
forecasts serve demand with less stock than the min/max a person types once.
Every store x product of the backtest is replayed day by day over the last
``weeks`` weeks of the file: the day's actual demand is served from stock
(what is not on the shelf is a lost sale), and when the stock position (on
hand + on order) falls to the min, an order up to the max arrives
``lead_days`` later (the daily scheduler of Odoo's reorder rules).

How it works:

* Policy A, static: from the average daily demand of the history before the
  replay, min = two weeks of it, max = four weeks (weeks of cover, the rule of
  thumb a buyer types into Odoo), set once.
* Policy B, ours, recomputed every week: the per-series choice of model
  (squared error in earlier weekly windows, as ``predict``) forecasts the next
  ``lead_days + review_days``; min = forecast over the lead time + safety
  stock, max = min + forecast over the review period. The safety stock is the
  quantile, at the product's service level (ABC class by revenue before the
  replay: A 98 %, B 95 %, C 90 %), of the pooled, scale-free errors of
  lead-time demand in the earlier windows, times the series' scale: the same
  calibration as the forecasts' bounds.
* Both policies start with their own max on hand. All forecasts come from one
  statsforecast ``cross_validation`` with weekly origins (no look-ahead: the
  forecast made at origin t knows the demand up to t only).

Caveats: quantities are whole units; packaging multiples are 1 (the file has
none); the replay covers the series long enough to forecast (the others are
counted). Cost is ``COST_SHARE`` of the list price, as the history import.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ingest_core.forecast import evaluation
from ingest_core.forecast.backtest import AUTO
from ingest_core.forecast.demand import DemandError
from ingest_core.forecast.engines import IN_PROCESS, Engine
from ingest_core.forecast.models import FALLBACK, NOT_CANDIDATES, model_set
from ingest_core.forecast.replenish import SERVICE_LEVELS
from ingest_core.history.importer import COST_SHARE

SELECTION_WINDOWS = 2
#: History before the first weekly origin a series needs to be replayed.
TRAINING_DAYS = 56
#: Policy A's rule of thumb, in weeks of average demand (the "weeks of cover" a buyer types).
STATIC_MIN_WEEKS, STATIC_MAX_WEEKS = 2, 4


@dataclass
class PolicyFigures:
    fill_rate: float
    stockout_sku_days: int
    average_on_hand_units: float
    average_on_hand_value: float
    orders: int


@dataclass
class SimulationReport:
    series: int
    too_short: int
    first_day: str
    last_day: str
    lead_days: int
    review_days: int
    seconds: float
    policies: dict[str, PolicyFigures] = field(default_factory=dict)
    plots: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        a, b = self.policies["static"], self.policies["forecast"]
        return {**asdict(self),
                "stock_reduction": 1 - b.average_on_hand_value / a.average_on_hand_value
                if a.average_on_hand_value else None,
                "source": "UCI Online Retail (Daqing Chen, UCI Machine Learning Repository, "
                          "CC BY 4.0)"}


def abc_classes(frame: pd.DataFrame, prices: dict[str, float]) -> pd.Series:
    """unique_id -> A/B/C by revenue (80 % / next 15 % / rest) in ``frame``."""
    code = frame["unique_id"].str.split("/", n=1).str[1]
    revenue = (frame["y"] * code.map(prices).fillna(0.0)).groupby(frame["unique_id"]).sum()
    share = revenue.sort_values(ascending=False).cumsum() / max(revenue.sum(), 1e-9)
    return pd.Series(np.where(share.shift(fill_value=0) < 0.80, "A",
                              np.where(share.shift(fill_value=0) < 0.95, "B", "C")),
                     index=share.index)


def run(frame: pd.DataFrame, prices: dict[str, float], weeks: int = 13, lead_days: int = 3,
        review_days: int = 7, set_name: str = "fast", series: int | None = None,
        seed: int = 1, engine: Engine = IN_PROCESS,
        plots: Path | None = None) -> SimulationReport:
    started = time.monotonic()
    horizon = lead_days + review_days
    windows = weeks + SELECTION_WINDOWS
    lengths = frame.groupby("unique_id")["ds"].transform("size")
    kept = frame[lengths >= 7 * (windows - 1) + horizon + TRAINING_DAYS]
    too_short = frame["unique_id"].nunique() - kept["unique_id"].nunique()
    ids = kept["unique_id"].unique()
    if len(ids) == 0:
        raise DemandError(f"no series is long enough to replay {weeks} weeks")
    if series and series < len(ids):
        ids = np.random.default_rng(seed).choice(ids, size=series, replace=False)
        kept = kept[kept["unique_id"].isin(ids)]
    ids = np.sort(ids)
    cv = _weekly_forecasts(kept, horizon, windows, set_name, engine)
    cutoffs = sorted(cv["cutoff"].unique())[SELECTION_WINDOWS:]
    first_day = cutoffs[0] + pd.Timedelta(days=1)
    days = pd.date_range(first_day, kept["ds"].max(), freq="D")
    demand = (kept[kept["ds"] >= first_day].pivot(index="unique_id", columns="ds", values="y")
              .reindex(index=ids, columns=days).fillna(0.0).to_numpy())
    before = kept[kept["ds"] < first_day]
    cost = pd.Series(ids).str.split("/", n=1).str[1].map(prices).fillna(0.0).to_numpy() \
        * COST_SHARE
    static_min, static_max = _static_policy(before, ids)
    levels = abc_classes(before, prices).reindex(ids).fillna("C").map(SERVICE_LEVELS)
    forecast_min, forecast_max = _forecast_policy(cv, kept, ids, cutoffs, days, lead_days,
                                                  levels, set_name)
    report = SimulationReport(
        series=len(ids), too_short=too_short, first_day=days[0].date().isoformat(),
        last_day=days[-1].date().isoformat(), lead_days=lead_days, review_days=review_days,
        seconds=0.0)
    traces = {}
    for name, low, high in (("static", np.repeat(static_min[:, None], len(days), 1),
                             np.repeat(static_max[:, None], len(days), 1)),
                            ("forecast", forecast_min, forecast_max)):
        report.policies[name], traces[name] = replay(demand, low, high, lead_days, cost)
    if plots:
        report.plots = [_plot(traces, demand, ids, days, plots)]
    report.seconds = round(time.monotonic() - started, 1)
    return report


def _weekly_forecasts(kept, horizon, windows, set_name, engine: Engine) -> pd.DataFrame:
    """Forecasts of ``horizon`` days made every 7 days, the last window ending with the data."""
    cv = engine.cross_validation(model_set(set_name, horizon, intervals=False), kept, horizon,
                                 n_windows=windows, step_size=7)
    values = [c for c in cv.columns if c not in ("unique_id", "ds", "cutoff", "y")]
    cv[values] = cv[values].clip(lower=0.0)
    return cv


def _static_policy(before: pd.DataFrame, ids) -> tuple[np.ndarray, np.ndarray]:
    average = before.groupby("unique_id")["y"].mean().reindex(ids).fillna(0.0).to_numpy()
    return np.ceil(average * 7 * STATIC_MIN_WEEKS), np.ceil(average * 7 * STATIC_MAX_WEEKS)


def _forecast_policy(cv, kept, ids, cutoffs, days, lead_days, levels,
                     set_name) -> tuple[np.ndarray, np.ndarray]:
    """Min and max of every series on every day, as recomputed at each weekly origin."""
    methods = [m.alias for m in model_set(set_name, 1, intervals=False)]
    candidates = [m for m in methods if m not in NOT_CANDIDATES]
    scale = evaluation.scales(kept, cv[["unique_id", "cutoff"]].drop_duplicates())
    cv = cv.assign(step=(cv["ds"] - cv["cutoff"]).dt.days)
    low = np.zeros((len(ids), len(days)))
    high = np.zeros((len(ids), len(days)))
    for number, cutoff in enumerate(cutoffs):
        choice = evaluation.choose(cv, candidates, cutoff, FALLBACK, series=ids)
        earlier = evaluation.pick(cv[cv["cutoff"] < cutoff], choice, AUTO, bounds=False)
        lead = earlier[earlier["step"] <= lead_days].groupby(["unique_id", "cutoff"]).agg(
            y=("y", "sum"), f=(AUTO, "sum")).reset_index().merge(scale,
                                                                  on=["unique_id", "cutoff"])
        lead = lead[lead["mae_scale"] > 0]
        errors = ((lead["y"] - lead["f"]) / lead["mae_scale"]).to_numpy()
        now = evaluation.pick(cv[cv["cutoff"] == cutoff], choice, AUTO, bounds=False)
        over_lead = now[now["step"] <= lead_days].groupby("unique_id")[AUTO].sum()
        over_review = now[now["step"] > lead_days].groupby("unique_id")[AUTO].sum()
        series_scale = scale[scale["cutoff"] == cutoff].set_index("unique_id")["mae_scale"]
        quantile = np.array([np.quantile(errors, level) if len(errors) else 0.0
                             for level in levels.to_numpy()])
        safety = np.maximum(quantile * series_scale.reindex(ids).fillna(0.0).to_numpy(), 0.0)
        minimum = np.ceil(over_lead.reindex(ids).fillna(0.0).to_numpy() + safety)
        maximum = minimum + np.ceil(over_review.reindex(ids).fillna(0.0).to_numpy())
        start = number * 7
        end = len(days) if number == len(cutoffs) - 1 else start + 7
        low[:, start:end] = minimum[:, None]
        high[:, start:end] = np.maximum(maximum, minimum)[:, None]
    return low, high


def replay(demand: np.ndarray, low: np.ndarray, high: np.ndarray, lead_days: int,
           cost: np.ndarray) -> tuple[PolicyFigures, np.ndarray]:
    """Serve each day's demand from stock; reorder up to max when the position is at min."""
    series, days = demand.shape
    on_hand = high[:, 0].copy()
    arriving = np.zeros((series, days + lead_days + 1))
    trace = np.zeros((series, days))
    served_total = stockout_days = orders = 0
    for day in range(days):
        on_hand += arriving[:, day]
        stockout_days += int(((on_hand <= 0) & (demand[:, day] > 0)).sum())
        served = np.minimum(on_hand, demand[:, day])
        served_total += served.sum()
        on_hand -= served
        position = on_hand + arriving[:, day + 1:].sum(axis=1)
        order = np.where(position <= low[:, day], np.maximum(high[:, day] - position, 0), 0)
        orders += int((order > 0).sum())
        arriving[:, day + lead_days] += order
        trace[:, day] = on_hand
    demanded = demand.sum()
    return PolicyFigures(
        fill_rate=float(served_total / demanded) if demanded else math.nan,
        stockout_sku_days=stockout_days,
        average_on_hand_units=float(trace.sum(axis=0).mean()),
        average_on_hand_value=float((trace * cost[:, None]).sum(axis=0).mean()),
        orders=orders), trace


def _plot(traces, demand, ids, days, folder: Path) -> str:
    from ingest_core.forecast import plots

    def draw(axis, row: int) -> str:
        axis.step(days, traces["static"][row], where="post", label="A: static min/max")
        axis.step(days, traces["forecast"][row], where="post", label="B: forecast")
        axis.bar(days, demand[row], color="grey", alpha=0.4, label="demand")
        return ids[row]

    return plots.four_series(np.argsort(-demand.sum(axis=1))[:4], draw,
                             "On hand under both policies (UCI Online Retail, CC BY 4.0)",
                             folder / "policy_on_hand.png")
