"""Forecasting: demand series, the backtest's choice and figures, forecasts, bad history.

Synthetic weekly-patterned Poisson series test the mechanics exactly; the real
year (UCI Online Retail, Daqing Chen, UCI Machine Learning Repository, CC BY
4.0) runs through the command line on a seeded sample.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ingest_core.forecast import backtest, demand, evaluation, odoo_run, predict, simulate
from ingest_core.forecast.models import SHORT_FALLBACK, min_history

REPO = Path(__file__).resolve().parents[1]
REAL = REPO.parent / "shared" / "datasets" / "online_retail" / "transactions.csv.gz"
HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"


def synthetic(series: int = 6, days: int = 240, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2011-01-03")
    rows = []
    for number in range(series):
        level = 0.3 + number  # from intermittent to steady
        weekly = np.array([1.4, 1.2, 1.0, 1.0, 1.3, 0.0, 0.6])  # closed on Saturdays
        for day in range(days):
            rows.append((f"S01/P{number}", start + pd.Timedelta(days=day),
                         float(rng.poisson(level * weekly[day % 7]))))
    return pd.DataFrame(rows, columns=["unique_id", "ds", "y"])


def _csv(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "lines.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n")
    return path


def test_demand_nets_returns_by_store_and_fills_the_days(tmp_path):
    path = _csv(tmp_path, [
        "536365,85123A,HEART,6,2010-12-01 08:26:00,2.55,17850,United Kingdom",
        "536366,85123A,HEART,4,2010-12-03 09:00:00,2.55,17850,United Kingdom",
        "C536367,85123A,HEART,-1,2010-12-03 10:00:00,2.55,17850,United Kingdom",
        "536368,85123A,HEART,-2,2010-12-03 11:00:00,2.55,17850,United Kingdom",  # write-off
        "536369,POST,POSTAGE,1,2010-12-04 09:00:00,18.0,17850,United Kingdom",  # no goods
    ])
    frame = demand.from_transactions(path)
    assert frame["unique_id"].nunique() == 1
    series = frame.set_index("ds")["y"]
    # 1st: 6 sold; 2nd: nothing; 3rd: 4 sold - 1 returned; the write-off is no demand;
    # the postage line still ends the file's days (the 4th)
    assert series.to_dict() == {pd.Timestamp("2010-12-01"): 6.0, pd.Timestamp("2010-12-02"): 0.0,
                                pd.Timestamp("2010-12-03"): 3.0, pd.Timestamp("2010-12-04"): 0.0}


def test_only_returns_is_a_clear_error(tmp_path):
    path = _csv(tmp_path, ["C536379,85123A,HEART,-3,2010-12-02 09:41:00,2.55,17850,UK"])
    with pytest.raises(demand.DemandError, match="no day with a positive demand"):
        demand.from_transactions(path)


def test_censored_days_are_estimated_not_zero():
    frame = synthetic(series=1, days=35)
    frame.loc[frame.index[-1], "y"] = 0.0
    last = frame["ds"].iloc[-1]
    out = demand.censor(frame, pd.DataFrame({"unique_id": ["S01/P0"], "ds": [last]}))
    same_weekday = frame[(frame["ds"] < last) & (frame["ds"].dt.dayofweek == last.dayofweek)]
    assert out["y"].iloc[-1] == pytest.approx(same_weekday["y"].tail(4).mean())
    assert out["y"].iloc[:-1].tolist() == frame["y"].iloc[:-1].tolist()


def test_backtest_judges_each_origin_by_choices_made_before_it():
    frame = synthetic()
    report = backtest.run(frame, horizon=14, windows=3)
    assert report.series == 6 and report.too_short == 0 and len(report.origins) == 3
    assert {"Auto", "SeasonalNaive", "WindowAverage", "CrostonSBA", "TSB"} <= set(
        report.methods)
    for figures in report.methods.values():
        assert set(figures) == {"mase", "rmsse", "wape", "bias", "coverage_80", "coverage_95"}
        assert 0 <= figures["coverage_80"] <= figures["coverage_95"] <= 1
    assert sum(report.choices.values()) == 6
    assert "SeasonalNaive" not in report.choices, "the seasonal naive is a yardstick only"
    assert report.as_dict()["source"].startswith("UCI Online Retail")


def test_choice_and_pick_use_only_earlier_windows():
    cutoffs = [pd.Timestamp("2011-01-10"), pd.Timestamp("2011-01-20")]
    cv = pd.DataFrame({
        "unique_id": ["a", "a", "b", "b"], "cutoff": cutoffs * 2, "y": [1.0, 1.0, 5.0, 5.0],
        "ds": cutoffs * 2, "M1": [1.0, 9.0, 0.0, 5.0], "M2": [3.0, 1.0, 5.0, 0.0]})
    choice = evaluation.choose(cv, ["M1", "M2"], cutoffs[1], "M2")
    assert choice.to_dict() == {"a": "M1", "b": "M2"}  # by the first window alone
    picked = evaluation.pick(cv[cv["cutoff"] == cutoffs[1]], choice, bounds=False)
    assert picked["Auto"].tolist() == [9.0, 0.0]
    assert evaluation.choose(cv, ["M1", "M2"], cutoffs[0], "M2").tolist() == ["M2", "M2"]


def test_forecast_has_every_day_bounds_in_order_and_a_fallback_for_short_series():
    frame = synthetic(series=3)
    short = synthetic(series=1, days=20, seed=9).assign(unique_id="S02/NEW")
    short["ds"] = short["ds"] + pd.Timedelta(days=220)  # ends with the others
    result = predict.forecast(pd.concat([frame, short]), horizon=14)
    assert len(result) == 4 * 14 and list(result.columns) == predict.COLUMNS
    assert (result["ds"].groupby(result["unique_id"]).min()
            == frame["ds"].max() + pd.Timedelta(days=1)).all()
    ordered = (result["lo95"] <= result["lo80"]) & (result["lo80"] <= result["hi80"]) & (
        result["hi80"] <= result["hi95"]) & (result["lo95"] >= 0)
    assert ordered.all()
    models = result.groupby("unique_id")["model"].first()
    assert models["S02/NEW"] == f"fallback:{SHORT_FALLBACK}"
    assert not models.drop("S02/NEW").str.startswith("fallback").any()
    assert len(frame) // 3 >= min_history(14, predict.SELECTION_WINDOWS)


@pytest.mark.parametrize(("history", "message"), [
    (pd.DataFrame(columns=["unique_id", "ds", "y"]), "no demand history"),
    (synthetic(series=2, days=1), "a history of one day"),
])
def test_forecast_refuses_what_cannot_be_forecast(history, message):
    with pytest.raises(demand.DemandError, match=message):
        predict.forecast(history)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ingest_core.cli", "forecast", *args],
                          cwd=REPO, capture_output=True, text=True, timeout=600, check=False)


def test_cli_predict_bad_history_writes_nothing(tmp_path):
    out = tmp_path / "forecasts.csv"
    early = _cli("predict", "--transactions", str(REPO / "tests/data/online_retail/sample.csv"),
                 "--until", "2009-01-01", "--out", str(out))
    assert early.returncode == 2 and "no demand history" in early.stderr
    assert "Traceback" not in early.stderr and not out.exists()
    missing = _cli("backtest", "--transactions", str(tmp_path / "absent.csv"))
    assert missing.returncode == 2 and "absent.csv" in missing.stderr


@pytest.mark.skipif(not REAL.exists(), reason="../shared/datasets/online_retail is absent")
def test_cli_backtest_on_a_sample_of_the_real_year(tmp_path):
    result = _cli("backtest", "--series", "24", "--origins", "3", "--json",
                  "--plots", str(tmp_path))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["series"] == 24 and report["too_short"] > 0
    assert report["origins"][-1] == "2011-11-11"  # the last 28 days are the last window
    assert set(report["methods"]["Auto"]) >= {"mase", "wape", "coverage_80", "coverage_95"}
    assert "CC BY 4.0" in report["source"]
    assert sorted(p.name for p in tmp_path.glob("*.png")) == [
        "error_by_horizon.png", "forecast_vs_actual.png"]


def test_replay_serves_from_stock_and_orders_up_to_max():
    """One series, lead time 1: the shelf empties, the order placed at min arrives next day."""
    demand_rows = np.array([[3.0, 3.0, 3.0, 3.0]])
    low, high = np.full((1, 4), 2.0), np.full((1, 4), 6.0)
    figures, trace = simulate.replay(demand_rows, low, high, lead_days=1, cost=np.array([2.0]))
    # day 0: 6 on hand, 3 sold -> 3 (> min 2); day 1: 3 sold -> 0, order 6
    # day 2: 6 arrive, 3 sold -> 3; day 3: 3 sold -> 0, order 6
    assert trace.tolist() == [[3.0, 0.0, 3.0, 0.0]]
    assert figures.fill_rate == 1.0 and figures.orders == 2 and figures.stockout_sku_days == 0
    assert figures.average_on_hand_value == pytest.approx(1.5 * 2.0)


def test_simulation_runs_both_policies_on_weekly_forecasts():
    frame = synthetic(series=4, days=200)
    prices = {f"P{number}": 1.0 + number for number in range(4)}
    report = simulate.run(frame, prices, weeks=4, lead_days=2, review_days=7)
    assert report.series == 4 and set(report.policies) == {"static", "forecast"}
    for figures in report.policies.values():
        assert 0 < figures.fill_rate <= 1 and figures.orders > 0
    assert report.first_day < report.last_day
    assert report.as_dict()["stock_reduction"] is not None
    assert simulate.abc_classes(frame, prices).value_counts().sum() == 4


def test_stock_out_days_are_the_empty_shelf_days_without_sales():
    history = pd.DataFrame({"unique_id": ["2/7"] * 4,
                            "ds": pd.date_range("2011-03-01", periods=4),
                            "y": [2.0, 0.0, 0.0, 1.0]})
    closing = pd.DataFrame({"unique_id": ["2/7"], "ds": [pd.Timestamp("2011-03-01")],
                            "closing": [0.0]})
    outs = odoo_run.stock_out_days(history, closing)
    # the 2nd and 3rd opened empty (closing carried) and sold nothing; the 4th sold
    assert outs["ds"].dt.day.tolist() == [2, 3]


def test_run_on_the_database_writes_one_forecast_per_store_and_product(fast_db):
    from ingest_core.commit.journal import wait_drained
    from ingest_core.history import importer
    from tests.support.ingest import query

    empty = _cli("run", "--dsn", fast_db)
    assert empty.returncode == 2 and "hold no sale" in empty.stderr
    assert query(fast_db, "SELECT count(*) FROM rrs_forecast")[0][0] == 0
    importer.run(fast_db, REPO / "tests" / "data" / "online_retail" / "sample.csv")
    wait_drained(fast_db, 30)
    result = _cli("run", "--dsn", fast_db, "--horizon", "7", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    series = query(fast_db, """SELECT count(DISTINCT (warehouse_id, product_id))
                                 FROM rrs_stock_daily WHERE qty_sold > 0""")[0][0]
    assert report["series"] == series and report["rows_written"] == 7 * series
    rows = query(fast_db, "SELECT product_id, warehouse_id, count(*), min(model), "
                          "bool_and(lo95 <= mean AND mean <= hi95) FROM rrs_forecast "
                          "GROUP BY 1, 2")
    assert len(rows) == series and all(count == 7 for _p, _w, count, _m, _ok in rows)
    assert all(model.startswith("fallback:") for *_rest, model, _ok in rows)  # days of history
    assert all(ok for *_rest, ok in rows)
    again = _cli("run", "--dsn", fast_db, "--horizon", "7", "--json")
    assert again.returncode == 0 and query(
        fast_db, "SELECT count(*) FROM rrs_forecast")[0][0] == 7 * series


def test_replenish_sets_forecast_rules_and_keeps_manual_ones(fast_db):
    """Rules of A/B products are created and follow the forecast; a buyer's manual rule keeps
    its min/max and only shows the suggestion; the previous values and the reason stay."""
    from ingest_core.commit.journal import wait_drained
    from ingest_core.history import importer
    from ingest_core.odoo import rollup
    from tests.support.ingest import query

    none = _cli("replenish", "--dsn", fast_db)
    assert none.returncode == 2 and "run `rtstock forecast run` first" in none.stderr
    importer.run(fast_db, REPO / "tests" / "data" / "online_retail" / "sample.csv")
    wait_drained(fast_db, 30)
    assert _cli("run", "--dsn", fast_db, "--horizon", "14").returncode == 0
    (product, store) = query(fast_db, """SELECT product_id, warehouse_id FROM rrs_forecast
                                          ORDER BY product_id, warehouse_id LIMIT 1""")[0]
    query(fast_db, """  -- a buyer's rule, typed in Odoo before the add-on saw it
        INSERT INTO stock_warehouse_orderpoint (warehouse_id, location_id, product_id,
               company_id, name, trigger, product_min_qty, product_max_qty, qty_multiple,
               active)
        SELECT id, lot_stock_id, %s, company_id, 'OP/MANUAL', 'auto', 5, 9, 1, true
          FROM stock_warehouse WHERE id = %s""", (product, store))
    result = _cli("replenish", "--dsn", fast_db, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["manual_kept"] == 1 and report["rules_created"] >= 1
    rows = query(fast_db, """
        SELECT o.name, o.product_min_qty, o.product_max_qty, l.mode, l.suggested_min,
               l.suggested_max, l.previous_min, l.reason, o.name LIKE 'OP/%%'
          FROM stock_warehouse_orderpoint o
          JOIN rrs_orderpoint_level l ON l.orderpoint_id = o.id""")
    manual = [row for row in rows if row[0] == "OP/MANUAL"]
    assert len(manual) == 1 and manual[0][1:4] == (5, 9, "manual")
    assert manual[0][4] is not None and "forecast" in manual[0][7]
    automatic = [row for row in rows if row[3] == "forecast"]
    assert len(automatic) == report["rules_created"]
    for _name, low, high, _mode, s_low, s_high, previous, reason, named in automatic:
        assert (low, high) == (s_low, s_high) and 0 < low <= high, reason
        assert previous == 0 and "service" in reason and named
    # The sample holds days, not weeks: give the manual rule's product 13 steady weeks
    # in the rollups (a copy of one of its days, 5 sold a day) so that one key is X.
    query(fast_db, """
        INSERT INTO rrs_stock_daily (day, product_id, location_id, warehouse_id, company_id,
                                     {counters})
        SELECT d.day - n, d.product_id, d.location_id, d.warehouse_id, d.company_id,
               {values}
          FROM (SELECT * FROM rrs_stock_daily WHERE product_id = %s AND warehouse_id = %s
                 ORDER BY day LIMIT 1) d, generate_series(1, 91) n""".format(
        counters=", ".join(rollup.DAILY_COUNTERS),
        values=", ".join("5" if name == "qty_sold" else "0" for name in rollup.DAILY_COUNTERS)),
        (product, store))
    assert _cli("replenish", "--dsn", fast_db).returncode == 0
    classes = query(fast_db, """SELECT o.product_id, o.warehouse_id, l.reason, l.abc_class,
                                       l.xyz_class
                                  FROM rrs_orderpoint_level l
                                  JOIN stock_warehouse_orderpoint o ON o.id = l.orderpoint_id""")
    assert all(f"(class {grade}{steady}," in reason for *_key, reason, grade, steady in classes)
    assert set(steady for *_rest, steady in classes) <= {"X", "Y", "Z"}
    assert "X" in {steady for p, w, *_r, steady in classes
                                     if (p, w) == (product, store)}, "the steady seller is X"
    # XYZ by a plain computation: net units per 7-day bucket over the 13 weeks that end
    # with the last day that sold, weeks without a sale as zero; CV < 0.5 X, < 1 Y.
    last = query(fast_db, "SELECT max(day) FROM rrs_stock_daily WHERE qty_sold > 0")[0][0]
    weekly: dict = {}
    for product, store, day, units in query(fast_db, """
            SELECT product_id, warehouse_id, day, (qty_sold - qty_returned)::float8
              FROM rrs_stock_daily WHERE warehouse_id IS NOT NULL"""):
        if 0 <= (last - day).days < 91:
            bucket = weekly.setdefault((product, store), [0.0] * 13)
            bucket[(last - day).days // 7] += units
    for product, store, _reason, _grade, steady in classes:
        weeks = weekly.get((product, store), [0.0] * 13)
        mean = sum(weeks) / 13
        spread = (sum(w * w for w in weeks) / 13 - mean * mean) ** 0.5 if mean > 0 else None
        expected = ("Z" if mean <= 0 else "X" if spread / mean < 0.5 else
                    "Y" if spread / mean < 1 else "Z")
        assert steady == expected, (product, store, weeks)
    again = json.loads(_cli("replenish", "--dsn", fast_db, "--json").stdout)
    assert again["rules_created"] == 0 and again["rules_changed"] == 0
    # Odoo's lead days of one rule, as the add-on's nightly job stores them.
    rule, low_before = query(fast_db, """
        SELECT o.id, o.product_min_qty FROM stock_warehouse_orderpoint o
          JOIN rrs_orderpoint_level l ON l.orderpoint_id = o.id
         WHERE l.mode = 'forecast' ORDER BY o.product_min_qty DESC, o.id LIMIT 1""")[0]
    query(fast_db, "UPDATE rrs_orderpoint_level SET lead_days = 9.5 WHERE orderpoint_id = %s",
          (rule,))
    assert _cli("replenish", "--dsn", fast_db).returncode == 0
    reasons = dict(query(fast_db, """
        SELECT o.id, l.reason FROM stock_warehouse_orderpoint o
          JOIN rrs_orderpoint_level l ON l.orderpoint_id = o.id WHERE l.mode = 'forecast'"""))
    assert " over 10 d " in reasons.pop(rule), "Odoo's 9.5 lead days, rounded up"
    assert all(" over 3 d " in reason for reason in reasons.values())
    (low,) = query(fast_db, "SELECT product_min_qty FROM stock_warehouse_orderpoint "
                            "WHERE id = %s", (rule,))[0]
    assert low > low_before, "ten days of demand need a higher min than three"
