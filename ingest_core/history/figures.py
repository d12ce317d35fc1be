"""The year's headline figures, from Odoo's done moves: units, revenue, top products, ABC.

What it is: what ``rtstock history summary`` prints after an import, computed
only from ``stock_move_line`` (done, to or from a customers location) and the
products' list prices, so it shows what Odoo now holds, not what the file said
(``tests/test_history_import.py`` compares the two on the real year).

How it works: one statement for units and revenue per product (sales less
returns, at list price), then Python for the ranking and the ABC split:
products ordered by revenue, class A while the running share of revenue is
within 80 %, B within 95 %, C after (the revenue Pareto buyers use).

Caveats: revenue is at today's list price (Odoo's moves carry no sale price).
"""

from __future__ import annotations

from datetime import datetime

from ingest_core.odoo import history as odoo_history

A_SHARE, B_SHARE = 0.80, 0.95


class FigureError(ValueError):
    """Parameters that name no period or no store."""


def product_sales(cur, since: datetime | None = None, until: datetime | None = None,
                  stores: list[str] | None = None) -> list[tuple[str, str, float, float]]:
    """(code, name, net units, revenue at list price) per product, by revenue, in
    [``since``, ``until``) and the stores of codes ``stores`` (all when None)."""
    if since and until and since >= until:
        raise FigureError(f"empty period: from {since:%Y-%m-%d} is not before to "
                          f"{until:%Y-%m-%d}")
    warehouses = None
    if stores:
        found = odoo_history.warehouse_ids(cur, stores)
        if missing := sorted(set(stores) - set(found)):
            raise FigureError(f"no active warehouse with code {', '.join(missing)}")
        warehouses = sorted(found.values())
    return odoo_history.product_sales(cur, since, until, warehouses)


def summary(rows: list[tuple[str, str, float, float]], top: int = 10) -> dict:
    """Units, revenue, the ``top`` products and the ABC split of ``product_sales`` rows."""
    revenue = sum(row[3] for row in rows)
    classes = {"A": [0, 0.0], "B": [0, 0.0], "C": [0, 0.0]}
    running = 0.0
    for _code, _name, _units, value in rows:
        share = running / revenue if revenue else 1.0
        name = "A" if share < A_SHARE else "B" if share < B_SHARE else "C"
        running += value
        classes[name][0] += 1
        classes[name][1] += value
    return {"units": round(sum(row[2] for row in rows), 2), "revenue": round(revenue, 2),
            "products": len(rows),
            "top": [{"code": code, "name": name, "units": units, "revenue": value}
                    for code, name, units, value in rows[:top]],
            "abc": {name: {"products": count, "revenue": round(value, 2),
                           "share": round(value / revenue, 4) if revenue else 0.0}
                    for name, (count, value) in classes.items()}}


def table(figures: dict, credit: str) -> str:
    lines = [f"units sold (net of returns) {figures['units']:,.0f}; revenue at list price "
             f"{figures['revenue']:,.2f}; {figures['products']:,} products sold",
             f"{'top products':<44}{'units':>10}{'revenue':>14}"]
    lines += [f"{row['code'] + ' ' + row['name'][:34]:<44}{row['units']:>10,.0f}"
              f"{row['revenue']:>14,.2f}" for row in figures["top"]]
    lines.append("ABC: " + "; ".join(
        f"{name} {part['products']:,} products, {part['share']:.1%} of revenue"
        for name, part in figures["abc"].items()))
    lines.append(f"data: {credit}")
    return "\n".join(lines)
