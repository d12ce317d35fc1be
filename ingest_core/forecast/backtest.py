"""``rtstock forecast backtest``: rolling-origin backtest of every model and of the choice.

What it is: the proof that the per-series choice of model beats the
baselines on real demand: statsforecast's ``cross_validation`` over
``windows`` origins ``horizon`` days apart, every model of the set, then for
each origin but the first, each series' choice by its errors at the earlier
origins; the figures (``evaluation``) over those origins, per method.

How it works: forecasts and bounds are clipped at zero (demand is not
negative) for every method alike. Series shorter than
``models.min_history`` are left out of the backtest and counted (in
production they get the fallback model). ``series`` samples that many series
(seeded) for a quick run.

Caveats: the first origin only trains the choice; the figures start at the
second. The plots need matplotlib (the ``load`` extra).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ingest_core.forecast import evaluation
from ingest_core.forecast.demand import DemandError
from ingest_core.forecast.engines import IN_PROCESS, Engine
from ingest_core.forecast.models import (
    BASELINES,
    FALLBACK,
    LEVELS,
    NOT_CANDIDATES,
    min_history,
    model_set,
)

AUTO = "Auto"


@dataclass
class BacktestReport:
    series: int
    too_short: int
    origins: list[str]
    horizon: int
    model_set: str
    seconds: float
    methods: dict[str, dict[str, float]] = field(default_factory=dict)
    choices: dict[str, int] = field(default_factory=dict)
    plots: list[str] = field(default_factory=list)

    @property
    def choice_beats_baselines(self) -> bool:
        auto = self.methods[AUTO]
        return all(auto["mase"] < self.methods[b]["mase"] and auto["wape"] < self.methods[b][
            "wape"] for b in BASELINES)

    def as_dict(self) -> dict:
        return {**asdict(self), "choice_beats_baselines": self.choice_beats_baselines,
                "source": "UCI Online Retail (Daqing Chen, UCI Machine Learning Repository, "
                          "CC BY 4.0)"}


def eligible(frame: pd.DataFrame, horizon: int, windows: int) -> tuple[pd.DataFrame, int]:
    """The series long enough for the backtest, and how many were not."""
    lengths = frame.groupby("unique_id")["ds"].transform("size")
    kept = frame[lengths >= min_history(horizon, windows)]
    return kept, frame["unique_id"].nunique() - kept["unique_id"].nunique()


def cross_validate(frame: pd.DataFrame, horizon: int, windows: int, set_name: str,
                   engine: Engine = IN_PROCESS, intervals: bool = True) -> pd.DataFrame:
    cv = engine.cross_validation(model_set(set_name, horizon, intervals), frame, horizon,
                                 n_windows=windows, step_size=horizon,
                                 level=list(LEVELS) if intervals else None)
    values = [c for c in cv.columns if c not in ("unique_id", "ds", "cutoff", "y")]
    cv[values] = cv[values].clip(lower=0.0)
    return cv


def run(frame: pd.DataFrame, horizon: int = 28, windows: int = 4, set_name: str = "fast",
        series: int | None = None, seed: int = 1, engine: Engine = IN_PROCESS,
        plots: Path | None = None) -> BacktestReport:
    started = time.monotonic()
    if windows < 2:
        raise DemandError("the backtest needs at least 2 origins (the first trains the choice)")
    kept, too_short = eligible(frame, horizon, windows)
    ids = kept["unique_id"].unique()
    if len(ids) == 0:
        raise DemandError(f"no series has the {min_history(horizon, windows)} days of "
                          f"history {windows} origins of {horizon} days need")
    if series and series < len(ids):
        ids = np.random.default_rng(seed).choice(ids, size=series, replace=False)
        kept = kept[kept["unique_id"].isin(ids)]
    cv = cross_validate(kept, horizon, windows, set_name, engine)
    methods = [m.alias for m in model_set(set_name, horizon)]
    candidates = [m for m in methods if m not in NOT_CANDIDATES]
    cutoffs = sorted(cv["cutoff"].unique())
    scale = evaluation.scales(kept, cv[["unique_id", "cutoff"]].drop_duplicates())
    judged, choice = [], pd.Series(dtype=object)
    for cutoff in cutoffs[1:]:
        choice = evaluation.choose(cv, candidates, cutoff, FALLBACK)
        earlier = cv[cv["cutoff"] < cutoff]
        quantiles = evaluation.residual_quantiles(
            evaluation.pick(earlier, choice, AUTO, bounds=False), scale)
        now = cv[cv["cutoff"] == cutoff]
        series_scale = scale[scale["cutoff"] == cutoff].set_index("unique_id")["mae_scale"]
        judged.append(evaluation.with_bounds(
            evaluation.pick(now, choice, AUTO, bounds=False), series_scale, quantiles, AUTO))
    evaluated = pd.concat(judged, ignore_index=True)
    report = BacktestReport(
        series=len(ids), too_short=too_short,
        origins=[pd.Timestamp(c).date().isoformat() for c in cutoffs], horizon=horizon,
        model_set=set_name, seconds=0.0,
        methods={m: evaluation.summarise(evaluated, m, scale) for m in [AUTO, *methods]},
        choices={k: int(v) for k, v in choice.value_counts().items()})
    if plots:
        report.plots = _plots(evaluated, scale, plots)
    report.seconds = round(time.monotonic() - started, 1)
    return report


def _plots(evaluated: pd.DataFrame, scale: pd.DataFrame, folder: Path) -> list[str]:
    from matplotlib.figure import Figure

    from ingest_core.forecast import plots

    frame = evaluated.merge(scale, on=["unique_id", "cutoff"])
    frame = frame[frame["mae_scale"] > 0]
    frame["step"] = (frame["ds"] - frame["cutoff"]).dt.days
    figure = Figure(figsize=(8, 4))
    axis = figure.subplots()
    for method in (AUTO, *BASELINES):
        by_step = ((frame[method] - frame["y"]).abs() / frame["mae_scale"]).groupby(
            frame["step"]).mean()
        axis.plot(by_step.index, by_step.to_numpy(), label=method)
    axis.set(xlabel="days ahead", ylabel="scaled absolute error (MASE)",
             title="Error by horizon, real year (UCI Online Retail, CC BY 4.0)")
    axis.legend()
    by_horizon = plots.save(figure, folder / "error_by_horizon.png")
    last = evaluated[evaluated["cutoff"] == evaluated["cutoff"].max()]

    def draw(axis, series: str) -> str:
        part = last[last["unique_id"] == series]
        axis.fill_between(part["ds"], part[f"{AUTO}-lo-95"], part[f"{AUTO}-hi-95"],
                          alpha=0.15, color="tab:blue", label="95 %")
        axis.fill_between(part["ds"], part[f"{AUTO}-lo-80"], part[f"{AUTO}-hi-80"],
                          alpha=0.3, color="tab:blue", label="80 %")
        axis.plot(part["ds"], part[AUTO], color="tab:blue", label="forecast")
        axis.plot(part["ds"], part["y"], color="black", marker=".", lw=0.8, label="actual")
        return series

    versus = plots.four_series(
        last.groupby("unique_id")["y"].sum().nlargest(4).index, draw,
        "Forecast vs actual, last origin (UCI Online Retail, CC BY 4.0)",
        folder / "forecast_vs_actual.png")
    return [by_horizon, versus]
