"""``rtstock bench forecast``: forecast series per second, in this process and on Dask.

What it is: the production forecast (``forecast.predict``: each series' model
chosen on its two last 28-day windows, then that model's forecast with 80/95 %
bounds) timed on the real year's series (UCI
Online Retail, CC BY 4.0: daily demand per store x product) with each engine:
in this process with one and with two processes, and on a Dask cluster of two
worker processes on loopback (statsforecast's fugue backend, the scale-out
path). The Dask forecasts are checked against the in-process ones.

How it works: one warm-up on a few series per engine (numba compiles the
models once per process), then the timed run over ``--series`` series (all by
default). Odoo has no forecast to compare with: its reorder rules hold the
min/max a person typed.

Caveats: on 2 vCPUs the Dask cluster shares the cores with its scheduler and
this process; its figure shows the overhead of the distribution, not a
speed-up (a cluster's speed-up is its cores).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from ingest_core.forecast import demand, engines, predict

HORIZON = 28
WARM_UP_SERIES = 8


def _sample(history: pd.DataFrame, series: int | None, seed: int = 1) -> pd.DataFrame:
    ids = history["unique_id"].unique()
    if series and series < len(ids):
        ids = np.random.default_rng(seed).choice(ids, size=series, replace=False)
        return history[history["unique_id"].isin(ids)]
    return history


def _timed(history: pd.DataFrame, engine: engines.Engine) -> tuple[float, pd.DataFrame]:
    predict.forecast(_sample(history, WARM_UP_SERIES), HORIZON, "fast", engine)
    started = time.perf_counter()
    frame = predict.forecast(history, HORIZON, "fast", engine)
    return time.perf_counter() - started, frame


def run(transactions: Path, series: int | None = None,
        progress: Callable[[str], None] = print) -> dict:
    load_before = [round(value, 2) for value in os.getloadavg()]
    history = _sample(demand.from_transactions(transactions), series)
    count = int(history["unique_id"].nunique())
    progress(f"{count} series of {history['ds'].nunique()} days")
    runs, frames = {}, {}

    def measure(name: str, engine: engines.Engine) -> None:
        seconds, frames[name] = _timed(history, engine)
        runs[name] = {"engine": engine.name, "seconds": round(seconds, 2),
                      "series_per_s": round(count / seconds, 1)}
        progress(f"{engine.name}: {runs[name]['series_per_s']} series/s")

    measure("in_process_1", engines.Engine(n_jobs=1))
    measure("in_process_2", engines.Engine(n_jobs=2))
    with engines.local_cluster(workers=2) as engine:
        measure("dask_2", engine)
    here, there = frames["in_process_1"], frames["dask_2"]
    numbers = ["mean", "lo80", "hi80", "lo95", "hi95"]
    return {
        "data": "UCI Online Retail (Daqing Chen, UCI Machine Learning Repository, CC BY 4.0)",
        "series": count, "horizon_days": HORIZON, "model_set": "fast",
        "machine_cores": os.cpu_count(), "load_average_before": load_before,
        "load_average_after": [round(value, 2) for value in os.getloadavg()],
        "runs": runs,
        "dask_equals_in_process": {
            "same_rows": bool(there[["unique_id", "ds"]].equals(here[["unique_id", "ds"]])),
            "same_models": bool((there["model"] == here["model"]).all()),
            "max_abs_difference": float(np.abs(there[numbers].to_numpy()
                                               - here[numbers].to_numpy()).max()),
        },
        "goal_series_per_s": 1000,
    }


def table(result: dict) -> str:
    lines = [f"forecast of {result['series']} series x {result['horizon_days']} days "
             f"(model set {result['model_set']}, choice by 2 windows), "
             f"{result['machine_cores']} cores",
             f"{'engine':<28}{'seconds':>10}{'series/s':>12}"]
    for run in result["runs"].values():
        lines.append(f"{run['engine']:<28}{run['seconds']:>10.2f}{run['series_per_s']:>12.1f}")
    same = result["dask_equals_in_process"]
    lines.append(f"dask = in-process: rows {same['same_rows']}, models {same['same_models']}, "
                 f"largest difference {same['max_abs_difference']:.2e}")
    lines.append(f"load average before/after: {result['load_average_before']} / "
                 f"{result['load_average_after']}; data: {result['data']}")
    return "\n".join(lines)
