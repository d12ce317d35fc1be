# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Small inline SVG charts for the QWeb PDF reports.

What it is: ``daily_bars`` draws a period's daily values as bars with their
7-day moving average as a line, the sales trend a store manager reads first;
``demand_and_forecast`` draws a product's past daily demand and its forecast
in the 80 % band, what a buyer checks before accepting a reorder level.

How it works: plain SVG elements with numbers and day labels only (no text
from the database), so the markup needs no escaping; wkhtmltopdf renders
inline SVG as vector graphics.

Caveats: Odoo's server has no plotting library; the ingest's command-line
reports (matplotlib) draw richer charts of the same figures.
"""

from markupsafe import Markup

WIDTH = 680
HEIGHT = 200
LEFT = 48
BOTTOM = 24
TOP = 10


def _moving_average(values, window=7):
    averages = []
    for index in range(len(values)):
        part = values[max(0, index - window + 1) : index + 1]
        averages.append(sum(part) / len(part))
    return averages


def _frame(title, top):
    """The opening of a chart: the svg element, its title, the x axis, the y range."""
    plot_height = HEIGHT - BOTTOM - TOP
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="10">',
        f'<text x="{LEFT}" y="9" font-weight="bold">{Markup.escape(title)}</text>',
        f'<line x1="{LEFT}" y1="{TOP + plot_height}" x2="{WIDTH - 8}" '
        f'y2="{TOP + plot_height}" stroke="#666"/>',
        f'<text x="{LEFT - 4}" y="{TOP + 8}" text-anchor="end">{top:,.0f}</text>',
        f'<text x="{LEFT - 4}" y="{TOP + plot_height}" text-anchor="end">0</text>',
    ]


def daily_bars(days, values, title):
    """Bars of ``values`` (one per day of ``days``) and their 7-day moving average."""
    top = max([*values, 0.0]) or 1.0
    plot_width = WIDTH - LEFT - 8
    plot_height = HEIGHT - BOTTOM - TOP
    step = plot_width / max(len(values), 1)

    def y(value):
        return TOP + plot_height * (1 - max(value, 0.0) / top)

    parts = _frame(title, top)
    for index, value in enumerate(values):
        x = LEFT + index * step
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{y(value):.1f}" width="{max(step - 2, 1):.1f}" '
            f'height="{TOP + plot_height - y(value):.1f}" fill="#8fb8de"/>'
        )
        if index % 7 == 0 or index == len(values) - 1:
            parts.append(
                f'<text x="{x + step / 2:.1f}" y="{HEIGHT - 8}" text-anchor="middle">'
                f"{days[index]:%d %b}</text>"
            )
    points = " ".join(
        f"{LEFT + (index + 0.5) * step:.1f},{y(value):.1f}"
        for index, value in enumerate(_moving_average(values))
    )
    parts.append(f'<polyline points="{points}" fill="none" stroke="#c0392b" stroke-width="2"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def demand_and_forecast(history_days, history, forecast_days, mean, low, high, title):
    """Daily demand of the past (line), then the forecast's mean (line) in its 80 % band."""
    days = [*history_days, *forecast_days]
    if not days:
        return Markup("")
    top = max([*history, *high, 0.0]) or 1.0
    plot_width = WIDTH - LEFT - 8
    plot_height = HEIGHT - BOTTOM - TOP
    step = plot_width / max(len(days) - 1, 1)

    def x(index):
        return LEFT + index * step

    def y(value):
        return TOP + plot_height * (1 - max(value, 0.0) / top)

    offset = len(history_days)
    parts = _frame(title, top)
    if forecast_days:
        band = [f"{x(offset + i):.1f},{y(value):.1f}" for i, value in enumerate(high)]
        band += [
            f"{x(offset + i):.1f},{y(value):.1f}" for i, value in reversed(list(enumerate(low)))
        ]
        parts.append(f'<polygon points="{" ".join(band)}" fill="#f5c6c0" stroke="none"/>')
        parts.append(
            f'<line x1="{x(offset):.1f}" y1="{TOP}" x2="{x(offset):.1f}" '
            f'y2="{TOP + plot_height}" stroke="#999" stroke-dasharray="3,3"/>'
        )
        line = " ".join(f"{x(offset + i):.1f},{y(value):.1f}" for i, value in enumerate(mean))
        parts.append(f'<polyline points="{line}" fill="none" stroke="#c0392b" stroke-width="2"/>')
    if history:
        line = " ".join(f"{x(i):.1f},{y(value):.1f}" for i, value in enumerate(history))
        parts.append(f'<polyline points="{line}" fill="none" stroke="#2c6fad" stroke-width="1.5"/>')
    for index in range(0, len(days), 14):
        parts.append(
            f'<text x="{x(index):.1f}" y="{HEIGHT - 8}" text-anchor="middle">'
            f"{days[index]:%d %b}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def pareto(values, title):
    """The Pareto curve of ``values`` (largest first): cumulative share of the total
    against the share of items, with the 80 % line a buyer reads the A class from."""
    values = sorted((max(value, 0.0) for value in values), reverse=True)
    total = sum(values) or 1.0
    plot_width = WIDTH - LEFT - 8
    plot_height = HEIGHT - BOTTOM - TOP
    parts = _frame(title, 100)
    points, running = [f"{LEFT:.1f},{TOP + plot_height:.1f}"], 0.0
    for index, value in enumerate(values):
        running += value
        x = LEFT + plot_width * (index + 1) / len(values)
        points.append(f"{x:.1f},{TOP + plot_height * (1 - running / total):.1f}")
    eighty = TOP + plot_height * 0.2
    parts.append(
        f'<line x1="{LEFT}" y1="{eighty:.1f}" x2="{WIDTH - 8}" y2="{eighty:.1f}" '
        f'stroke="#999" stroke-dasharray="4 3"/>'
    )
    parts.append(f'<text x="{WIDTH - 10}" y="{eighty - 3:.1f}" text-anchor="end">80 %</text>')
    parts.append(
        f'<polyline points="{" ".join(points)}" fill="none" stroke="#2c6fb1" stroke-width="2"/>'
    )
    parts.append(
        f'<text x="{WIDTH - 10}" y="{HEIGHT - 8}" text-anchor="end">'
        f"{len(values)} products, by sales</text>"
    )
    parts.append("</svg>")
    return Markup("".join(parts))
