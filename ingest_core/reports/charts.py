"""The reports' charts as PNG images (matplotlib, Agg, no pyplot state).

What it is: the pictures a person reads faster than a table: the sales trend
per store, the revenue Pareto curve with its 80 % and 95 % lines, the heatmap
of sales by weekday and hour, units on hand over time, days-of-cover buckets,
count accuracy per session, shrink per store and per week.

How it works: each function takes a frame from ``figures`` and returns PNG
bytes; each picture is a ``matplotlib.figure.Figure`` on its own Agg canvas,
never ``pyplot``, so rendering needs no display, holds no global state and is
safe in any thread.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

WIDTH, HEIGHT, DPI = 9.0, 3.3, 130
PALETTE = ("#1f5f8b", "#e07b39", "#4a9c59", "#b8454b", "#7d5ba6", "#8c6d31", "#3f9fb4",
           "#c5568c")
CLASS_COLORS = {"A": "#4a9c59", "B": "#e0b339", "C": "#b8454b"}
_thousands = FuncFormatter(lambda value, _pos: f"{value:,.0f}")


def _figure(height: float = HEIGHT) -> tuple[Figure, object]:
    figure = Figure(figsize=(WIDTH, height), dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)
    return figure, axes


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)
    return buffer.getvalue()


def sales_trend(revenue: pd.DataFrame, weekly: bool) -> bytes:
    """Net revenue per day or week, one line per store (columns of ``revenue``)."""
    figure, axes = _figure()
    for number, store in enumerate(revenue.columns):
        axes.plot(revenue.index, revenue[store], label=str(store),
                  color=PALETTE[number % len(PALETTE)], linewidth=1.6,
                  marker="o" if len(revenue) <= 31 else None, markersize=3)
    axes.set_ylabel(f"net revenue per {'week' if weekly else 'day'}")
    axes.yaxis.set_major_formatter(_thousands)
    axes.set_ylim(bottom=min(0, float(revenue.min().min()) if len(revenue) else 0))
    if len(revenue.columns) > 1:
        axes.legend(frameon=False, ncols=min(len(revenue.columns), 6), loc="upper left")
    figure.autofmt_xdate()
    return _png(figure)


def pareto(products: pd.DataFrame) -> bytes:
    """Cumulative share of revenue against the share of products (by revenue), with the
    80 % and 95 % lines and the A / B / C bands."""
    figure, axes = _figure(3.5)
    count = len(products)
    x = np.arange(1, count + 1) / count
    axes.plot(np.r_[0, x], np.r_[0, products["cumulative_share"].to_numpy()],
              color=PALETTE[0], linewidth=2)
    start = 0.0
    for name in ("A", "B", "C"):
        members = int((products["abc"] == name).sum())
        end = start + members / count
        axes.axvspan(start, end, color=CLASS_COLORS[name], alpha=0.12, linewidth=0)
        if members:
            axes.text((start + end) / 2, 0.06, f"{name}\n{members:,} products",
                      ha="center", va="bottom", fontsize=8, color="#333333")
        start = end
    for line in (0.80, 0.95):
        axes.axhline(line, color="#555555", linestyle="--", linewidth=0.9)
        axes.text(1.0, line, f" {line:.0%}", va="center", fontsize=8, color="#555555")
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1.02)
    axes.xaxis.set_major_formatter(PercentFormatter(1.0))
    axes.yaxis.set_major_formatter(PercentFormatter(1.0))
    axes.set_xlabel("share of products, by revenue")
    axes.set_ylabel("cumulative share of revenue")
    return _png(figure)


def heatmap(grid: pd.DataFrame) -> bytes:
    """Net sales value by weekday (rows) and hour (columns)."""
    hours = [hour for hour in grid.columns if grid[hour].abs().sum() > 0] or list(grid.columns)
    grid = grid.loc[:, min(hours):max(hours)]
    figure = Figure(figsize=(WIDTH, 3.0), dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    image = axes.imshow(grid.to_numpy(), aspect="auto", cmap="YlOrRd")
    axes.set_yticks(range(len(grid.index)), grid.index)
    axes.set_xticks(range(len(grid.columns)), [f"{hour:02d}" for hour in grid.columns])
    axes.set_xlabel("hour of the day (local)")
    colorbar = figure.colorbar(image, ax=axes, pad=0.01)
    colorbar.ax.yaxis.set_major_formatter(_thousands)
    colorbar.set_label("net revenue")
    return _png(figure)


def on_hand(trend: pd.DataFrame) -> bytes:
    """Units on hand at the end of each day, one line per store."""
    figure, axes = _figure()
    for number, store in enumerate(trend.columns):
        axes.plot(trend.index, trend[store], label=str(store),
                  color=PALETTE[number % len(PALETTE)], linewidth=1.6)
    axes.set_ylabel("units on hand")
    axes.yaxis.set_major_formatter(_thousands)
    axes.set_ylim(bottom=min(0.0, float(trend.min().min()) if trend.size else 0.0))
    if len(trend.columns) > 1:
        axes.legend(frameon=False, ncols=min(len(trend.columns), 6), loc="upper left")
    figure.autofmt_xdate()
    return _png(figure)


def cover(buckets: pd.DataFrame) -> bytes:
    """Stock value at cost per days-of-cover bucket, with the SKU-locations on each bar."""
    figure, axes = _figure(2.8)
    colors = ["#b8454b", "#e07b39", "#4a9c59", "#1f5f8b", "#7d5ba6", "#999999"]
    bars = axes.bar(buckets["cover"], buckets["value"], color=colors[:len(buckets)])
    for bar, skus in zip(bars, buckets["skus"], strict=True):
        axes.annotate(f"{int(skus):,} SKU-loc.", (bar.get_x() + bar.get_width() / 2,
                                                  bar.get_height()),
                      ha="center", va="bottom", fontsize=8, xytext=(0, 2),
                      textcoords="offset points")
    axes.set_ylabel("stock value at cost")
    axes.yaxis.set_major_formatter(_thousands)
    return _png(figure)


def accuracy(sessions: pd.DataFrame) -> bytes:
    """Record accuracy per count session (bars) against 100 %."""
    figure, axes = _figure(2.8)
    labels = [f"{row.store} #{row.session_id}" for row in sessions.itertuples()]
    colors = [CLASS_COLORS["A"] if value >= 0.95 else CLASS_COLORS["B"] if value >= 0.8
              else CLASS_COLORS["C"] for value in sessions["accuracy"]]
    axes.bar(labels, sessions["accuracy"], color=colors, width=0.6)
    axes.set_xlim(-0.5, max(len(labels), 6) - 0.5)  # a lone session is no wall of colour
    axes.axhline(0.95, color="#555555", linestyle="--", linewidth=0.9)
    axes.set_ylim(0, 1.05)
    axes.yaxis.set_major_formatter(PercentFormatter(1.0))
    axes.set_ylabel("lines within tolerance")
    if len(labels) > 8:
        figure.autofmt_xdate()
    return _png(figure)


def shrink_bars(stores: pd.DataFrame) -> bytes:
    """Shrink at cost per store, one horizontal bar each: scraps and net count losses."""
    figure, axes = _figure(min(1.6 + 0.32 * len(stores), 8.0))
    axes.grid(axis="y", visible=False)
    axes.grid(axis="x", color="#dddddd", linewidth=0.6)
    names = stores["store"].astype(str).to_numpy()
    scrap = stores["scrap_value"].to_numpy()
    loss = stores["count_loss_value"].to_numpy()
    axes.barh(names, scrap, height=0.6, label="scrapped", color=PALETTE[1])
    axes.barh(names, loss, height=0.6, left=np.where(loss >= 0, scrap, 0),
              label="count losses less gains", color=PALETTE[3])
    axes.axvline(0, color="#333333", linewidth=0.8)
    axes.invert_yaxis()
    axes.set_xlabel("shrink at cost")
    axes.xaxis.set_major_formatter(_thousands)
    figure.legend(frameon=False, loc="outside upper right", ncols=2, fontsize=8)
    return _png(figure)


def shrink_trend(weeks: pd.DataFrame) -> bytes:
    """Shrink at cost per week (all stores): scraps and net count losses."""
    figure, axes = _figure(2.8)
    width = 5.0
    axes.bar(weeks["week"], weeks["scrap_value"], width=width, label="scrapped",
             color=PALETTE[1])
    axes.bar(weeks["week"], weeks["count_loss_value"], width=width,
             bottom=weeks["scrap_value"].where(weeks["count_loss_value"] >= 0, 0),
             label="count losses less gains", color=PALETTE[3])
    axes.set_ylabel("shrink at cost per week")
    axes.yaxis.set_major_formatter(_thousands)
    axes.legend(frameon=False, loc="upper left")
    figure.autofmt_xdate()
    return _png(figure)
