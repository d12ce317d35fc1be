"""``rtstock forecast backtest|predict``: demand forecasts from the real year (issue 15)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

DEFAULT_TRANSACTIONS = Path("../shared/datasets/online_retail/transactions.csv.gz")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    backtest = sub.add_parser(
        "backtest", help="rolling-origin backtest of every model and of the per-series choice",
        description="Backtest on daily demand per store x product of the UCI Online Retail "
        "year (CC BY 4.0): MASE, RMSSE, WAPE, bias, interval coverage per method.")
    _common(backtest)
    backtest.add_argument("--origins", type=int, default=4,
                          help="rolling origins, 28 days apart by default (default 4)")
    backtest.add_argument("--series", type=int, help="a seeded sample of this many series")
    backtest.add_argument("--seed", type=int, default=1, help="sample seed")
    backtest.add_argument("--plots", type=Path, metavar="DIR",
                          help="write error_by_horizon.png and forecast_vs_actual.png here")
    predict = sub.add_parser(
        "predict", help="forecast every series after a date, with 80/95 %% bounds",
        description="Forecast of daily demand per store x product, each series with the "
        "model its own recent windows choose.")
    _common(predict)
    predict.add_argument("--until", type=date.fromisoformat, metavar="DATE",
                         help="last day of history used (default: the file's last day)")
    predict.add_argument("--out", type=Path, required=True, help="CSV file to write")
    odoo = sub.add_parser(
        "run", help="forecast every product x store of an Odoo database into rrs_forecast",
        description="Daily demand from the database's rollups (stock-out days censored), "
        "forecast, written to rrs_forecast in one transaction.")
    _dsn(odoo)
    odoo.add_argument("--horizon", type=int, default=28, help="days ahead (default 28)")
    odoo.add_argument("--models", choices=["fast", "full"], default="fast")
    _engine_options(odoo)
    odoo.add_argument("--json", action="store_true", help="print only JSON")
    replenish = sub.add_parser(
        "replenish", help="set the reorder rules' min/max from the latest forecasts",
        description="Min = demand over the lead time + safety stock (ABC service level), "
        "max = min + demand over the review period, on Odoo's own reorder rules; manual "
        "rules only get the suggestion.")
    _dsn(replenish)
    replenish.add_argument("--lead-days", type=int, default=3, help="default 3")
    replenish.add_argument("--review-days", type=int, default=7, help="default 7")
    replenish.add_argument("--no-create", action="store_true",
                           help="do not create rules for A/B products that have none")
    replenish.add_argument("--json", action="store_true", help="print only JSON")
    simulate = sub.add_parser(
        "simulate", help="replay the last weeks: static min/max vs forecast-driven reorder points",
        description="Day-by-day replay of the real year's last 13 weeks under policy A "
        "(static min/max from the average) and B (min/max from the forecasts, weekly).")
    _common(simulate)
    simulate.add_argument("--weeks", type=int, default=13, help="weeks replayed (default 13)")
    simulate.add_argument("--lead-days", type=int, default=3,
                          help="days from order to shelf (default 3: a store's resupply)")
    simulate.add_argument("--series", type=int, help="a seeded sample of this many series")
    simulate.add_argument("--seed", type=int, default=1, help="sample seed")
    simulate.add_argument("--plots", type=Path, metavar="DIR",
                          help="write policy_on_hand.png here")


def _dsn(parser: argparse.ArgumentParser) -> None:
    """``--dsn``, or ``RTSTOCK_DSN`` (how the ingest's scheduled jobs pass it: not on a
    command line every user of the machine can read)."""
    default = os.environ.get("RTSTOCK_DSN") or None
    parser.add_argument("--dsn", required=default is None, default=default,
                        help="Odoo database (libpq DSN; default: $RTSTOCK_DSN)")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--transactions", type=Path, default=DEFAULT_TRANSACTIONS,
                        help=f"invoice lines (default {DEFAULT_TRANSACTIONS})")
    parser.add_argument("--horizon", type=int, default=28, help="days ahead (default 28)")
    parser.add_argument("--models", choices=["fast", "full"], default="fast",
                        help="model set: fast (production) or full (+ AutoETS, AutoTheta)")
    _engine_options(parser)
    parser.add_argument("--json", action="store_true", help="print only JSON")


def _engine_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--jobs", type=int, default=2, help="processes (default 2)")
    dask = parser.add_mutually_exclusive_group()
    dask.add_argument("--dask-workers", type=int, metavar="N",
                      help="fit the models on a Dask cluster of N worker processes started "
                      "on loopback for the run (statsforecast's fugue backend)")
    dask.add_argument("--dask-scheduler", metavar="ADDRESS",
                      help="fit the models on this running Dask cluster (tcp://host:port)")


@contextmanager
def _engine(args: argparse.Namespace) -> Iterator:
    """Where the models run, for the length of the command."""
    from ingest_core.forecast import engines

    if args.dask_workers:
        with engines.local_cluster(args.dask_workers) as engine:
            yield engine
    elif args.dask_scheduler:
        with engines.connect(args.dask_scheduler) as engine:
            yield engine
    else:
        yield engines.Engine(n_jobs=args.jobs)


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from ingest_core.forecast import backtest, demand, predict, simulate
    from ingest_core.history.dataset import DatasetError

    if args.action == "replenish":
        return _replenish(args)
    if args.horizon < 1:
        return _fail("--horizon must be at least 1 day")
    if args.action == "run":
        return _run_on_odoo(args)
    try:
        prices: dict[str, float] = {}
        history = demand.from_transactions(args.transactions, prices=prices)
        with _engine(args) as engine:
            if args.action == "simulate":
                result = simulate.run(history, prices, args.weeks, args.lead_days,
                                      set_name=args.models, series=args.series,
                                      seed=args.seed, engine=engine, plots=args.plots)
                _print_simulation(result, args.json)
                return 0
            if args.action == "backtest":
                report = backtest.run(history, args.horizon, args.origins, args.models,
                                      args.series, args.seed, engine, args.plots)
                _print_backtest(report, args.json)
                return 0
            if args.until:
                history = history[history["ds"] <= pd.Timestamp(args.until)]
            frame = predict.forecast(history, args.horizon, args.models, engine)
    except (DatasetError, demand.DemandError, OSError) as exc:
        return _fail(str(exc))
    store_code = frame["unique_id"].str.split("/", n=1, expand=True)
    out = frame.assign(store=store_code[0], stock_code=store_code[1],
                       date=frame["ds"].dt.date)[
        ["store", "stock_code", "date", "mean", "lo80", "hi80", "lo95", "hi95", "model"]]
    try:
        out.to_csv(args.out, index=False, float_format="%.4f")
    except OSError as exc:
        return _fail(f"cannot write {args.out}: {exc.strerror}")
    summary = {"series": int(frame["unique_id"].nunique()), "rows": len(out),
               "out": str(args.out), "models": out["model"].value_counts().to_dict()}
    print(json.dumps(summary, indent=2) if args.json else
          f"{summary['series']} series, {summary['rows']} rows written to {args.out}")
    return 0


def _fail(message: str) -> int:
    print(f"rtstock forecast: {message}", file=sys.stderr)
    return 2


def _print_backtest(report, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report.as_dict(), indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Backtest: {report.series} series, origins "
                  f"{', '.join(report.origins)}, {report.horizon} days ahead "
                  f"({report.too_short} series too short)")
    for column in ("method", "MASE", "RMSSE", "WAPE", "bias", "cover 80", "cover 95"):
        table.add_column(column, justify="right" if column != "method" else "left")
    for method, figures in report.methods.items():
        table.add_row(method, *(f"{figures[k]:.3f}" for k in (
            "mase", "rmsse", "wape", "bias", "coverage_80", "coverage_95")))
    console = Console()
    console.print(table)
    console.print(f"choice beats both baselines on MASE and WAPE: "
                  f"{report.choice_beats_baselines}; chosen models (last origin): "
                  f"{report.choices}; {report.seconds} s")
    console.print("Data: UCI Online Retail (Daqing Chen, UCI Machine Learning Repository, "
                  "CC BY 4.0)")


def _print_simulation(report, as_json: bool) -> None:
    figures = report.as_dict()
    if as_json:
        print(json.dumps(figures, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Replay {report.first_day} .. {report.last_day}: {report.series} "
                  f"store x product series, lead time {report.lead_days} days")
    for column in ("policy", "fill rate", "stock-out SKU-days", "avg on hand (units)",
                   "avg on hand (cost)", "orders"):
        table.add_column(column, justify="right" if column != "policy" else "left")
    for name, label in (("static", "A: static min/max"), ("forecast", "B: forecast")):
        p = report.policies[name]
        table.add_row(label, f"{p.fill_rate:.1%}", str(p.stockout_sku_days),
                      f"{p.average_on_hand_units:,.0f}", f"{p.average_on_hand_value:,.0f}",
                      str(p.orders))
    console = Console()
    console.print(table)
    reduction = figures["stock_reduction"]
    console.print(f"stock of B vs A: {-reduction:+.0%}" if reduction is not None else "")
    console.print("Data: UCI Online Retail (Daqing Chen, UCI Machine Learning Repository, "
                  "CC BY 4.0)")


def _run_on_odoo(args: argparse.Namespace) -> int:
    import dataclasses

    import psycopg2

    from ingest_core.forecast import demand, odoo_run

    try:
        with _engine(args) as engine:
            report = odoo_run.run(args.dsn, args.horizon, args.models, engine)
    except (demand.DemandError, psycopg2.Error) as exc:
        return _fail(f"{str(exc).strip()}; nothing was written")
    figures = dataclasses.asdict(report)
    print(json.dumps(figures, indent=2) if args.json else
          f"{report.series} product x store series up to {report.last_day} "
          f"({report.stock_out_days} stock-out days censored): {report.rows_written} "
          f"forecast rows written to rrs_forecast in {report.seconds} s")
    return 0


def _replenish(args: argparse.Namespace) -> int:
    import dataclasses

    import psycopg2

    from ingest_core.forecast import demand, replenish

    if args.lead_days < 1 or args.review_days < 1:
        return _fail("--lead-days and --review-days must be at least 1")
    try:
        report = replenish.run(args.dsn, args.lead_days, args.review_days,
                               create=not args.no_create)
    except (demand.DemandError, psycopg2.Error) as exc:
        return _fail(f"{str(exc).strip()}; nothing was written")
    print(json.dumps(dataclasses.asdict(report), indent=2) if args.json else
          f"{report.suggestions} reorder rules computed: {report.rules_changed} changed, "
          f"{report.rules_created} created, {report.manual_kept} manual kept "
          f"(classes {report.classes})")
    return 0
