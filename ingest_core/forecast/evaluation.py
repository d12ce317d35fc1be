"""Forecast errors as the field reports them, on statsforecast's cross-validation frame.

What it is: MASE and RMSSE (errors scaled by the in-sample seasonal naive's,
per series and origin), WAPE, bias and the coverage of the 80 % / 95 %
intervals, per method; and the per-series choice of method by earlier windows.

How it works: ``scales`` computes, for every (series, cutoff), the mean
absolute and squared 7-day difference of the history up to the cutoff with
cumulative sums (one pass, no loop over series). A series whose history has
no variation (scale 0) has no MASE/RMSSE and is left out of those means, kept
in WAPE, bias and coverage.

The choice's intervals are calibrated, not any one model's: the scaled
residuals (actual - forecast) / MASE scale of the chosen models in earlier
windows, pooled over all series, give the 2.5/10/90/97.5 % quantiles, and the
bounds are forecast + quantile x the series' scale (split-conformal, pooled
because one series has too few residuals). Per-model conformal intervals from
two windows covered 70 % / 73 % for nominal 80 % / 95 % on the real year;
these 78 % / 93 % (docs/benchmarks.md).

Caveats: ``choose`` picks by the sum of squared errors over the windows
before the one it is used for (absolute errors favour forecasts of zero on
intermittent series and lost to the window average), so no choice ever sees
the errors it is judged by.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ingest_core.forecast.models import LEVELS, SEASON


def scales(history: pd.DataFrame, cutoffs: pd.DataFrame) -> pd.DataFrame:
    """(unique_id, cutoff) -> mae_scale, mse_scale of the seasonal naive in-sample."""
    # Series as integer codes: sorting and joining millions of rows on the id strings
    # took a third of a forecast of the real year.
    codes, ids = pd.factorize(history["unique_id"], sort=True)
    frame = history[["ds", "y"]].assign(code=codes).sort_values(["code", "ds"])
    lagged = frame.groupby("code")["y"].shift(SEASON)
    error = (frame["y"] - lagged).to_numpy()
    valid = ~np.isnan(error)
    frame = frame.assign(abs_error=np.where(valid, np.abs(error), 0.0),
                         sq_error=np.where(valid, error ** 2, 0.0), n=valid.astype(float))
    grouped = frame.groupby("code")
    for column in ("abs_error", "sq_error", "n"):
        frame[column] = grouped[column].cumsum()
    at = cutoffs.assign(code=ids.get_indexer(cutoffs["unique_id"])).merge(
        frame[["code", "ds", "abs_error", "sq_error", "n"]],
        left_on=["code", "cutoff"], right_on=["code", "ds"], how="left")
    count = at["n"].where(at["n"] > 0)
    return pd.DataFrame({"unique_id": at["unique_id"], "cutoff": at["cutoff"],
                         "mae_scale": at["abs_error"] / count,
                         "mse_scale": at["sq_error"] / count})


def window_errors(cv: pd.DataFrame, method: str) -> pd.DataFrame:
    """Per (series, cutoff): absolute and squared error sums, actual sum, horizon count."""
    error = cv[method] - cv["y"]
    parts = cv[["unique_id", "cutoff"]].assign(abs_error=error.abs(), sq_error=error ** 2,
                                               error=error, actual=cv["y"])
    return parts.groupby(["unique_id", "cutoff"], as_index=False).agg(
        abs_error=("abs_error", "sum"), sq_error=("sq_error", "sum"),
        error=("error", "sum"), actual=("actual", "sum"), n=("abs_error", "size"))


def summarise(cv: pd.DataFrame, method: str, scale: pd.DataFrame) -> dict[str, float]:
    """The figures of one method over every (series, window) of ``cv``."""
    windows = window_errors(cv, method).merge(scale, on=["unique_id", "cutoff"])
    scaled = windows[windows["mae_scale"] > 0]
    mase = scaled["abs_error"] / scaled["n"] / scaled["mae_scale"]
    rmsse = np.sqrt(scaled["sq_error"] / scaled["n"] / scaled["mse_scale"])
    actual = windows["actual"].sum()
    figures = {
        "mase": float(mase.mean()), "rmsse": float(rmsse.mean()),
        "wape": float(windows["abs_error"].sum() / actual) if actual else float("nan"),
        "bias": float(windows["error"].sum() / actual) if actual else float("nan"),
    }
    for level in LEVELS:
        inside = (cv["y"] >= cv[f"{method}-lo-{level}"]) & (cv["y"] <= cv[f"{method}-hi-{level}"])
        figures[f"coverage_{level}"] = float(inside.mean())
    return figures


def choose(cv: pd.DataFrame, methods: list[str], cutoff: pd.Timestamp,
           fallback: str, series=None) -> pd.Series:
    """unique_id -> the method with the least squared error in the windows before
    ``cutoff`` (``fallback`` for a series with no earlier window); for the series of
    ``cutoff``'s window, or ``series``."""
    earlier = cv[cv["cutoff"] < cutoff]
    if series is None:
        series = cv.loc[cv["cutoff"] == cutoff, "unique_id"].unique()
    if earlier.empty:
        return pd.Series(fallback, index=series)
    totals = pd.DataFrame({method: (earlier[method] - earlier["y"]) ** 2
                           for method in methods})
    totals["unique_id"] = earlier["unique_id"].to_numpy()
    best = totals.groupby("unique_id")[methods].sum().idxmin(axis=1)
    return best.reindex(series).fillna(fallback)


def pick(cv: pd.DataFrame, choice: pd.Series, name: str = "Auto",
         bounds: bool = True) -> pd.DataFrame:
    """Add columns ``name`` (and, with ``bounds``, its models' own bounds) holding each
    row's chosen method's values."""
    chosen = cv["unique_id"].map(choice).to_numpy()
    result = cv.copy()
    suffixes = [""] + ([f"-{side}-{level}" for level in LEVELS for side in ("lo", "hi")]
                       if bounds else [])
    for suffix in suffixes:
        values = np.full(len(cv), np.nan)
        for method in np.unique(chosen):
            rows = chosen == method
            values[rows] = cv.loc[rows, f"{method}{suffix}"].to_numpy()
        result[f"{name}{suffix}"] = values
    return result


def residual_quantiles(picked: pd.DataFrame, scale: pd.DataFrame,
                       name: str = "Auto") -> dict[str, float]:
    """Pooled quantiles of the scaled residuals of ``name`` (see the module docstring)."""
    frame = picked.merge(scale, on=["unique_id", "cutoff"])
    frame = frame[frame["mae_scale"] > 0]
    residual = (frame["y"] - frame[name]) / frame["mae_scale"]
    if residual.empty:
        return {f"{side}-{level}": 0.0 for level in LEVELS for side in ("lo", "hi")}
    quantiles = {}
    for level in LEVELS:
        tail = (1 - level / 100) / 2
        quantiles[f"lo-{level}"] = float(residual.quantile(tail))
        quantiles[f"hi-{level}"] = float(residual.quantile(1 - tail))
    return quantiles


def with_bounds(frame: pd.DataFrame, series_scale: pd.Series, quantiles: dict[str, float],
                name: str = "Auto") -> pd.DataFrame:
    """Set ``name``'s bounds: forecast + quantile x the series' MASE scale, at least 0."""
    scale = frame["unique_id"].map(series_scale).fillna(0.0).to_numpy()
    result = frame.copy()
    for key, quantile in quantiles.items():
        result[f"{name}-{key}"] = np.maximum(frame[name].to_numpy() + quantile * scale, 0.0)
    return result
