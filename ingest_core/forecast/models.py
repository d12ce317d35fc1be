"""The model sets: statsforecast models, named once, with their prediction intervals.

What it is: ``fast`` is the production set (nightly over every product x store:
baselines, exponential smoothing, and the intermittent-demand family, which
most retail series need: the median series of the real year sells on 30 of
368 days); ``full`` adds AutoETS and AutoTheta, 20-100x dearer per series
here (docs/benchmarks.md, forecast section), for backtests on samples.

How it works: models without native intervals get conformal intervals from
two extra 28-day windows (``ConformalIntervals``), so every model gives the
80 % and 95 % bounds.

Caveats: model names are statsforecast's aliases; they are what
``rrs_forecast.model`` and the backtest table show.
"""

from __future__ import annotations

from statsforecast.models import (
    ADIDA,
    IMAPA,
    TSB,
    AutoETS,
    AutoTheta,
    CrostonSBA,
    HistoricAverage,
    SeasonalExponentialSmoothingOptimized,
    SeasonalNaive,
    SeasonalWindowAverage,
    SimpleExponentialSmoothingOptimized,
    WindowAverage,
)
from statsforecast.utils import ConformalIntervals

SEASON = 7  # days: the shop's week
LEVELS = (80, 95)
#: The two baselines every choice must beat (issue 15). The seasonal naive is a
#: yardstick only: as a candidate it wins windows of zeros by chance.
BASELINES = ("SeasonalNaive", "WindowAverage")
NOT_CANDIDATES = ("SeasonalNaive",)
FALLBACK = "WindowAverage"
#: For series shorter than the selection windows: the mean of whatever history there is.
SHORT_FALLBACK = "HistoricAverage"


def model_set(name: str, horizon: int, intervals: bool = True) -> list:
    """The models of set ``name`` (``fast`` or ``full``) for forecasts of ``horizon`` days;
    without ``intervals``, no model computes its own (the choice's are calibrated)."""
    if name not in ("fast", "full"):
        raise ValueError(f"model set: fast or full, not {name!r}")
    conformal = ConformalIntervals(h=horizon, n_windows=2) if intervals else None
    models = [
        SeasonalNaive(season_length=SEASON),
        WindowAverage(window_size=28, prediction_intervals=conformal),
        SeasonalWindowAverage(season_length=SEASON, window_size=4,
                              prediction_intervals=conformal),
        SimpleExponentialSmoothingOptimized(prediction_intervals=conformal),
        SeasonalExponentialSmoothingOptimized(season_length=SEASON,
                                              prediction_intervals=conformal),
        CrostonSBA(prediction_intervals=conformal),
        ADIDA(prediction_intervals=conformal),
        IMAPA(prediction_intervals=conformal),
        TSB(alpha_d=0.1, alpha_p=0.1, prediction_intervals=conformal),
    ]
    if name == "full":
        models += [AutoETS(season_length=SEASON), AutoTheta(season_length=SEASON)]
    return models


def short_model() -> HistoricAverage:
    return HistoricAverage()


def min_history(horizon: int, windows: int) -> int:
    """Days a series needs for ``windows`` rolling origins plus the conformal windows and
    two seasons to learn from."""
    return horizon * (windows + 2) + 2 * SEASON
