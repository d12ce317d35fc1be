"""Demand forecasting: daily demand per product x store, forecasts with intervals.

What it is for: the numbers behind the reorder points (issue 15): which
product sells how much where, for the next weeks, and how sure we are. The
models are Nixtla ``statsforecast``'s, each series getting the one its own
rolling-origin cross-validation picks (``selection``); ``backtest`` proves
the choice on the real year.

May import: ``ingest_core.history`` (the real year's reader and its store
rule), numpy, pandas, statsforecast; never the service's stages.
"""
