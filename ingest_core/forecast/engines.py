"""Where the models run: in this process, or on a Dask cluster through statsforecast's
fugue backend.

What it is: ``Engine``, handed down to every ``StatsForecast`` call of the
backtest and the forecast. ``Engine()`` fits in this process (``n_jobs``
worker processes of statsforecast's own pool); ``Engine(dask=client)`` sends
the history to a Dask cluster as a Dask DataFrame, which statsforecast fits
through fugue, one partition of series per task, and brings the result back
as pandas. A chain's 18 M series are the second case: the same code on a
cluster instead of one machine (docs/decisions/forecasting.md).

How it works: the two paths give the same rows in the same order (sorted by
series, cut-off, day) and the same values: statsforecast's fugue backend
returns float32 columns (and arrow strings), so both paths keep every fitted
figure at float32 precision and hand on float64; everything after the fit is
shared, and the same models are chosen.

Caveats: ``local_cluster`` binds the scheduler, its workers and the
dashboard to the loopback interface only; a production cluster is the
operator's (``--dask-scheduler``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from statsforecast import StatsForecast

POOL_MIN_SERIES = 1000


@dataclass(frozen=True)
class Engine:
    n_jobs: int = 1
    dask: Any = None  # a distributed.Client
    partitions_per_worker: int = 4

    @property
    def name(self) -> str:
        if self.dask is None:
            return f"in-process, n_jobs={self.n_jobs}"
        return f"dask, {self.workers()} workers"

    def workers(self) -> int:
        return len(self.dask.scheduler_info()["workers"]) if self.dask is not None else 0

    def _jobs(self, history: pd.DataFrame) -> int:
        # statsforecast starts a process pool per call: below POOL_MIN_SERIES series
        # its start costs more than the second core gives (measured, docs/benchmarks.md).
        return self.n_jobs if history["unique_id"].nunique() >= POOL_MIN_SERIES else 1

    def forecast(self, models: list, history: pd.DataFrame, horizon: int,
                 **kwargs) -> pd.DataFrame:
        forecaster = StatsForecast(models=models, freq="D", n_jobs=self._jobs(history))
        result = forecaster.forecast(df=self._frame(history), h=horizon, **kwargs)
        return self._back(result, history, ("unique_id", "ds"))

    def cross_validation(self, models: list, history: pd.DataFrame, horizon: int,
                         **kwargs) -> pd.DataFrame:
        forecaster = StatsForecast(models=models, freq="D", n_jobs=self._jobs(history))
        result = forecaster.cross_validation(df=self._frame(history), h=horizon, **kwargs)
        return self._back(result, history, ("unique_id", "cutoff", "ds"))

    def _frame(self, history: pd.DataFrame):
        if self.dask is None:
            return history
        import dask.dataframe as dd

        partitions = max(1, min(history["unique_id"].nunique(),
                                self.workers() * self.partitions_per_worker))
        return dd.from_pandas(history, npartitions=partitions, sort=False)

    def _back(self, result, history: pd.DataFrame, keys: tuple[str, ...]) -> pd.DataFrame:
        # Every figure at float32, the precision the fugue backend returns, so that both
        # paths compare the same errors and choose the same models (demand in units
        # needs no more than its 7 digits).
        if self.dask is None:
            frame = result
        else:
            frame = result.compute()
            frame["unique_id"] = frame["unique_id"].astype(history["unique_id"].dtype)
            for column in keys[1:]:
                frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
            frame = frame.sort_values(list(keys), kind="stable").reset_index(drop=True)
        values = [column for column in frame.columns if column not in keys]
        frame[values] = frame[values].astype("float32").astype("float64")
        return frame


IN_PROCESS = Engine()


@contextmanager
def local_cluster(workers: int = 2, directory: Path | None = None) -> Iterator[Engine]:
    """A Dask cluster of ``workers`` processes (one thread each) on loopback, for the
    length of the block; its workers' scratch space in ``directory`` (default: a
    temporary directory removed afterwards)."""
    import dask
    from dask.distributed import Client, LocalCluster

    with tempfile.TemporaryDirectory(prefix="rtstock-dask-", dir=directory) as scratch, \
            dask.config.set({"temporary-directory": scratch}), \
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                         host="127.0.0.1", dashboard_address="127.0.0.1:0",
                         local_directory=scratch) as cluster, \
            Client(cluster) as client:
        yield Engine(dask=client)


@contextmanager
def connect(address: str) -> Iterator[Engine]:
    """An existing Dask cluster (``tcp://host:port`` of its scheduler)."""
    from dask.distributed import Client

    with Client(address) as client:
        yield Engine(dask=client)
