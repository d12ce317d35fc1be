"""The forecasts on a Dask cluster (statsforecast's fugue backend) equal the in-process ones.

A real Dask cluster of two worker processes on loopback, started by the test:
the history goes to it as a Dask DataFrame and the same models are fitted there.
Both paths keep the fitted figures at float32 (what the fugue backend returns), so
the forecasts, the chosen models and the cross-validation are equal, not close.
"""

from __future__ import annotations

import pandas as pd
import pytest

from ingest_core.forecast import engines, predict
from ingest_core.forecast.backtest import cross_validate
from tests.test_forecast import synthetic


@pytest.fixture(scope="module")
def dask_engine(tmp_path_factory):
    with engines.local_cluster(workers=2, directory=tmp_path_factory.mktemp("dask")) as engine:
        yield engine


def _history() -> pd.DataFrame:
    short = synthetic(series=1, days=20, seed=9).assign(unique_id="S02/NEW")
    short["ds"] = short["ds"] + pd.Timedelta(days=220)
    return pd.concat([synthetic(series=7), short], ignore_index=True)


def test_cluster_is_two_loopback_workers(dask_engine):
    workers = dask_engine.dask.scheduler_info()["workers"]
    assert len(workers) == 2 and all(address.startswith("tcp://127.0.0.1:")
                                      for address in workers), workers
    assert dask_engine.name == "dask, 2 workers"


def test_forecast_on_dask_equals_in_process(dask_engine):
    history = _history()
    here = predict.forecast(history, horizon=14)
    there = predict.forecast(history, horizon=14, engine=dask_engine)
    assert list(there.columns) == predict.COLUMNS and len(there) == len(here) == 8 * 14
    assert there["unique_id"].tolist() == here["unique_id"].tolist()
    assert there["ds"].tolist() == here["ds"].tolist()
    assert there["model"].tolist() == here["model"].tolist(), "another model chosen"
    numbers = ["mean", "lo80", "hi80", "lo95", "hi95"]
    assert there[numbers].equals(here[numbers]), "other forecasts on the cluster"


def test_cross_validation_on_dask_equals_in_process(dask_engine):
    history = synthetic(series=4)
    here = cross_validate(history, 14, 2, "fast", intervals=False)
    there = cross_validate(history, 14, 2, "fast", dask_engine, intervals=False)
    assert list(there.columns) == list(here.columns)
    assert there[["unique_id", "ds", "cutoff"]].equals(here[["unique_id", "ds", "cutoff"]])
    assert there.equals(here), "other cross-validation figures on the cluster"
