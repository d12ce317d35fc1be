"""The PNG plots of ``rtstock forecast backtest|simulate``, read beside their tables.

What it is: the scaffolding both commands share (a figure, a 2 x 2 grid of the
four busiest series, saving); each command draws its own lines.

How it works: matplotlib's object API on the Agg canvas, without pyplot's
global state, as ``ingest_core.reports.charts`` does; imported only when
plots are asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def save(figure: Figure, path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    FigureCanvasAgg(figure)
    figure.savefig(path, dpi=110)
    return str(path)


def four_series(items: Iterable, draw: Callable[[object, object], str], title: str,
                path: Path) -> str:
    """A 2 x 2 grid, one panel per item (at most four); ``draw(axis, item)`` draws a
    panel and returns its title."""
    figure = Figure(figsize=(10, 6))
    axes = figure.subplots(2, 2, sharex=True)
    for axis, item in zip(axes.flat, items, strict=False):
        axis.set_title(draw(axis, item), fontsize=9)
        axis.tick_params(axis="x", labelrotation=30, labelsize=7)
    axes.flat[0].legend(fontsize=7)
    figure.suptitle(title)
    return save(figure, path)
