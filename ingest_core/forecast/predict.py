"""``rtstock forecast predict``: the next ``horizon`` days of every series, with bounds.

What it is: the production path: each series' model chosen by two rolling
28-day windows at the end of its history (least squared error, as in the
backtest), fitted on the whole history, its forecast with the 80 % / 95 %
bounds calibrated on the same windows (``evaluation``).

How it works: series too short for the windows (``models.min_history``) get
the mean of their history (``HistoricAverage``), with bounds from the pooled
residuals of the long series, and say so in ``model`` (``fallback:...``).
The final fit is one model per series, its chosen one (one
``StatsForecast.forecast`` call per model, over the series that chose it), in
this process or on a Dask cluster (``engines.Engine``).

Caveats: forecasts and bounds are clipped at zero.
"""

from __future__ import annotations

import pandas as pd

from ingest_core.forecast import evaluation
from ingest_core.forecast.backtest import AUTO, cross_validate
from ingest_core.forecast.demand import DemandError
from ingest_core.forecast.engines import IN_PROCESS, Engine
from ingest_core.forecast.models import (
    FALLBACK,
    LEVELS,
    NOT_CANDIDATES,
    SHORT_FALLBACK,
    min_history,
    model_set,
    short_model,
)

SELECTION_WINDOWS = 2
COLUMNS = ["unique_id", "ds", "mean", "lo80", "hi80", "lo95", "hi95", "model"]


def forecast(history: pd.DataFrame, horizon: int = 28, set_name: str = "fast",
             engine: Engine = IN_PROCESS) -> pd.DataFrame:
    """Forecast frame (``COLUMNS``) for every series of ``history`` (unique_id, ds, y)."""
    if history.empty:
        raise DemandError("no demand history to forecast from")
    if history["ds"].nunique() < 2:
        raise DemandError("a history of one day cannot be forecast: at least "
                          f"{min_history(horizon, SELECTION_WINDOWS)} days are needed to "
                          "choose a model, two to fall back on an average")
    lengths = history.groupby("unique_id")["ds"].transform("size")
    long = history[lengths >= min_history(horizon, SELECTION_WINDOWS)]
    methods = [m.alias for m in model_set(set_name, horizon, intervals=False)]
    candidates = [m for m in methods if m not in NOT_CANDIDATES]
    parts, quantiles = [], {f"{s}-{lv}": 0.0 for lv in LEVELS for s in ("lo", "hi")}
    if not long.empty:
        cv = cross_validate(long, horizon, SELECTION_WINDOWS, set_name, engine,
                            intervals=False)
        after_last = cv["cutoff"].max() + pd.Timedelta(days=1)
        choice = evaluation.choose(cv, candidates, after_last, FALLBACK,
                                   series=long["unique_id"].unique())
        scale = evaluation.scales(long, cv[["unique_id", "cutoff"]].drop_duplicates())
        quantiles = evaluation.residual_quantiles(
            evaluation.pick(cv, choice, AUTO, bounds=False), scale)
        parts.append(_bounded(long, _forecast_chosen(long, horizon, set_name, engine, choice),
                              quantiles, choice))
    short = history[lengths < min_history(horizon, SELECTION_WINDOWS)]
    if not short.empty:
        fitted = engine.forecast([short_model()], short, horizon)
        fitted[SHORT_FALLBACK] = fitted[SHORT_FALLBACK].clip(lower=0.0)
        choice = pd.Series(SHORT_FALLBACK, index=short["unique_id"].unique())
        picked = evaluation.pick(fitted, choice, AUTO, bounds=False)
        parts.append(_bounded(short, picked, quantiles, "fallback:" + choice))
    return pd.concat(parts, ignore_index=True)[COLUMNS]


def _forecast_chosen(history: pd.DataFrame, horizon: int, set_name: str, engine: Engine,
                     choice: pd.Series) -> pd.DataFrame:
    """Each series' forecast by its chosen model only (column ``AUTO``): one fit per
    series, where fitting every model and keeping one column fits nine."""
    models = {model.alias: model for model in model_set(set_name, horizon, intervals=False)}
    parts = []
    for alias, ids in choice.groupby(choice).groups.items():
        fitted = engine.forecast([models[alias]], history[history["unique_id"].isin(ids)],
                                 horizon)
        parts.append(fitted.rename(columns={alias: AUTO}))
    frame = pd.concat(parts, ignore_index=True)
    frame[AUTO] = frame[AUTO].clip(lower=0.0)
    return frame.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)


def _bounded(history: pd.DataFrame, picked: pd.DataFrame, quantiles: dict[str, float],
             model: pd.Series) -> pd.DataFrame:
    last = history.groupby("unique_id")["ds"].max().rename("cutoff").reset_index()
    scale = evaluation.scales(history, last).set_index("unique_id")["mae_scale"]
    frame = evaluation.with_bounds(picked, scale, quantiles, AUTO)
    return pd.DataFrame({
        "unique_id": frame["unique_id"], "ds": frame["ds"], "mean": frame[AUTO],
        "lo80": frame[f"{AUTO}-lo-80"], "hi80": frame[f"{AUTO}-hi-80"],
        "lo95": frame[f"{AUTO}-lo-95"], "hi95": frame[f"{AUTO}-hi-95"],
        "model": frame["unique_id"].map(model)})
