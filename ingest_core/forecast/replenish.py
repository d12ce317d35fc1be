"""``rtstock forecast replenish``: Odoo's reorder rules follow the forecast.

What it is: from each store x product's latest forecast (``rrs_forecast``)
the reorder rule's min = demand over the lead time + safety stock, max = min
+ demand over the review period, rounded up to the rule's multiple; written on
Odoo's own ``stock.warehouse.orderpoint`` (its scheduler and Replenishment
screen then act on them), with the previous values and the reason kept.

How it works: the safety stock is z x sigma of lead-time demand, sigma taken
from the forecast's 80 % bounds (half-width / 1.2816 per day, summed as
variances over the lead time), z from the product's service level by its ABC
class in the store (revenue of the 90 days of the rollups that end with the
last day that sold: A 98 %, B 95 %, C 90 %). The XYZ class (how steady the
weekly demand is) is recorded beside it for the buyer; it does not change the
service level. Rules in mode ``manual`` (every
rule that existed before the add-on saw it, until a buyer switches it to
automatic) keep their values and only show the suggestion; rules are created
for A and B products that have none.

The lead time of a rule is Odoo's own (its route's rule delays, the vendor's
lead time, the days to order: what Odoo's Replenishment uses), which the
add-on's nightly job stores in ``rrs_orderpoint_level.lead_days`` because Odoo
computes it without storing it; ``--lead-days`` is for the series whose rule
has none yet (new rules, a database without the add-on).

Caveats: packaging multiples come from the rule's own ``qty_multiple``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta
from statistics import NormalDist

import psycopg2

from ingest_core.forecast.demand import DemandError
from ingest_core.odoo import orderpoints

#: Service level per ABC class (the simulation replays the same).
SERVICE_LEVELS = {"A": 0.98, "B": 0.95, "C": 0.90}
#: XYZ: the weekly demand's coefficient of variation over 13 weeks (X below 0.5, Y below
#: 1, Z above or no demand), as the add-on's dashboard classes products.
XYZ_WEEKS = 13
Z80 = NormalDist().inv_cdf(0.90)  # the 80 % bound is mean + 1.2816 sigma for a normal error


@dataclass
class ReplenishReport:
    rules_created: int = 0
    rules_changed: int = 0
    suggestions: int = 0
    manual_kept: int = 0
    classes: dict[str, int] = field(default_factory=dict)


def abc(revenue: list[tuple]) -> dict[tuple[int, int], str]:
    """(product, store) -> A/B/C by its share of the store's revenue (80 / 15 / 5 %)."""
    by_store: dict[int, list[tuple[float, int]]] = {}
    for product, store, value in revenue:
        by_store.setdefault(store, []).append((float(value or 0), product))
    classes = {}
    for store, items in by_store.items():
        total = sum(max(v, 0.0) for v, _p in items) or 1.0
        running = 0.0
        for value, product in sorted(items, reverse=True):
            classes[(product, store)] = "A" if running < 0.8 else "B" if running < 0.95 else "C"
            running += max(value, 0.0) / total
    return classes


def xyz(variation: float | None) -> str:
    if variation is None:
        return "Z"
    return "X" if variation < 0.5 else "Y" if variation < 1 else "Z"


def _up(quantity: float, multiple: float) -> float:
    multiple = multiple if multiple and multiple > 0 else 1.0
    return math.ceil(round(quantity / multiple, 9)) * multiple


def run(dsn: str, lead_days: int = 3, review_days: int = 7, create: bool = True,
        user_id: int = 1) -> ReplenishReport:
    connection = psycopg2.connect(dsn)
    report = ReplenishReport()
    try:
        with connection.cursor() as cur:
            sums = orderpoints.forecast_sums(cur, lead_days, review_days)
            if not sums:
                raise DemandError("no forecast in rrs_forecast: run `rtstock forecast run` "
                                  "first")
            last_day = orderpoints.last_sale_day(cur)
            classes = abc(orderpoints.revenue(cur, last_day - timedelta(days=89)))
            variation = orderpoints.weekly_variation(cur, last_day, XYZ_WEEKS)
            existing = orderpoints.rules(cur)
            missing = [(p, w) for p, w, *_rest in sums if (p, w) not in existing
                       and classes.get((p, w), "C") in ("A", "B")] if create else []
            report.rules_created = len(orderpoints.create_rules(cur, missing, user_id))
            existing = orderpoints.rules(cur)
            levels = []
            for product, store, lead, lead_mean, lead_spread, review_mean in sums:
                rule = existing.get((product, store))
                if rule is None:
                    continue
                orderpoint, _low, _high, multiple, mode = rule
                grade = classes.get((product, store), "C")
                steadiness = xyz(variation.get((product, store)))
                level = SERVICE_LEVELS[grade]
                safety = NormalDist().inv_cdf(level) * float(lead_spread or 0) / Z80
                low = _up(float(lead_mean or 0) + safety, float(multiple))
                high = max(low, _up(low + float(review_mean), float(multiple)))
                levels.append((orderpoint, low, high,
                               f"forecast {float(lead_mean or 0):.1f} over {lead} d "
                               f"+ safety {safety:.1f} (class {grade}{steadiness}, service "
                               f"{level:.0%}); + {float(review_mean):.1f} over {review_days} "
                               "d review", grade, steadiness))
                report.classes[grade] = report.classes.get(grade, 0) + 1
                report.manual_kept += mode == "manual"
            report.suggestions = len(levels)
            report.rules_changed = orderpoints.set_levels(cur, levels, user_id)
        connection.commit()
    finally:
        connection.close()
    return report
