"""``rtstock chain generate``: a retail chain of any size on an Odoo 18 database.

What it is: ``generate`` adds stores (copies of a warehouse Odoo made, with
all Odoo made for it: ``odoo/chain_stores.py``), products with GS1 barcodes in ten
categories (``chain_history.make_products``), their opening stock
(``odoo/chain_stock.py``) and, optionally, a history of done sale moves and their move
lines, with the rollups kept as the journal keeps them
(``chain_history.generate``). It
records what it made in the system parameter ``MARKER``, and refuses a
database that has a chain already. Without a history it is one transaction:
a run that fails leaves nothing behind.

Why: every figure of the fast path was measured on three stores and 2 000
products; a chain judges the product on 500 stores and 36 000 SKUs
(issue 17). Generated, never typed in: the rows are copies of Odoo's own.

How demand is spread: the product of popularity rank ``k`` sells
``rate / k^s`` a day in an average store (Zipf, ``s`` fitted to the real
year: ``demand.py``), ``rate`` set so that a store sells ``events_per_day``
units a day over all SKUs. The same law sizes the opening stock
(``chain_stock.DAYS_OF_COVER`` days of it). A history's sales follow
``chain_history``'s own law (s = 1, as the analysis benchmark's figures were
measured).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date

from ingest_core.chain import demand
from ingest_core.chain.demand import REAL_YEAR_ZIPF
from ingest_core.odoo import chain_history, chain_stock, sql

#: The system parameter that records the generated chain (a JSON object).
MARKER = "rtstock.chain"


class ChainExists(Exception):
    """The database has a generated chain already."""


@dataclass(frozen=True)
class ChainSpec:
    stores: int
    skus: int
    history_days: int = 0
    #: units sold per store and day over all SKUs (the Zipf law's total).
    events_per_day: int = 3000
    #: the Zipf law's exponent (``demand.REAL_YEAR_ZIPF``: fitted to the real year).
    zipf: float = REAL_YEAR_ZIPF

    def __post_init__(self) -> None:
        if not 1 <= self.stores <= 999:
            raise ValueError("stores: 1 to 999 (store codes C001..C999)")
        if not 1 <= self.skus <= 99_999:
            raise ValueError("skus: 1 to 99 999 (item references of five digits)")
        if self.history_days < 0 or self.events_per_day < 1:
            raise ValueError("history days must be >= 0 and events per day >= 1")

    @property
    def daily_rate(self) -> float:
        """Units a day of the best seller in an average store."""
        return self.events_per_day / sum(demand.weights(self.skus, self.zipf))


def recorded(cur) -> dict | None:
    """What ``generate`` made in this database, or None."""
    value = sql.get_parameter(cur, MARKER)
    return json.loads(value) if value else None


def generate(connection, spec: ChainSpec, end: date | None = None,
             progress: Callable[[str], None] | None = None) -> dict:
    """Add the chain of ``spec`` (history ending on ``end``, default today); returns what it
    made, the seconds per stage and the disk it took."""
    say = progress or (lambda _message: None)
    started = time.perf_counter()
    with connection.cursor() as cur:
        if recorded(cur) is not None:
            raise ChainExists("this database has a generated chain already "
                              f"(system parameter {MARKER})")
        bytes_before = chain_stock.database_bytes(cur)
        cur.execute("SET work_mem = '256MB'")
        cur.execute("SET maintenance_work_mem = '1GB'")
        stores = chain_history.make_stores(cur, spec.stores)
        say(f"{len(stores)} stores made")
        products = chain_history.make_products(cur, spec.skus, chain_history.make_categories(cur))
        say(f"{len(products)} products made; stock next")
        timings = {"stores_and_products_s": round(time.perf_counter() - started, 1)}
        locations = [location for _, location in stores]
        if spec.history_days:
            # The history commits as it goes (its stages are too big for one transaction):
            # a run that fails there leaves a partial chain, so use a new database.
            connection.commit()
            size = chain_history.ChainSize(
                stores=spec.stores, skus=spec.skus, days=spec.history_days,
                events=spec.events_per_day * spec.stores * spec.history_days)
            history = chain_history.generate(connection, size, end or date.today(), say,
                                             stores=stores, products=products)
            timings.update(history.pop("timings_s"))
            lap = time.perf_counter()
            # Odoo's done moves have their done lines (the history writes the moves only).
            history["move_lines"] = chain_history.add_move_lines(cur)
            quants = chain_stock.quants_from_moves(cur, locations)
        else:
            history = None
            lap = time.perf_counter()
            quants = chain_stock.opening_quants(cur, locations, products, spec.daily_rate,
                                          chain_history.inventory_location(cur), spec.zipf)
        connection.commit()
        timings["quants_s"] = round(time.perf_counter() - lap, 1)
        say(f"{quants} quants written; analysing")
    connection.autocommit = True
    with connection.cursor() as cur:
        chain_stock.analyse(cur)
    connection.autocommit = False
    with connection.cursor() as cur:
        made = {
            "spec": asdict(spec), "stores": len(stores),
            "warehouse_ids": [stores[0][0], stores[-1][0]],
            "store_warehouses": [warehouse for warehouse, _ in stores],
            "store_locations": locations, "products": len(products),
            "product_ids": [products[0], products[-1]], "quants": quants,
            "zipf_rate_per_store_day": round(spec.daily_rate, 4),
            "history": history, "seconds": round(time.perf_counter() - started, 1),
            "timings_s": timings,
            "disk_bytes": chain_stock.database_bytes(cur) - bytes_before,
        }
        sql.set_parameter(cur, MARKER, json.dumps(made))
    connection.commit()
    return made
