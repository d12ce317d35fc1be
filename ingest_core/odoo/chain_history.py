"""A generated year of a retail chain's sales in the genuine Odoo 18 schema (benchmarks).

What it is: ``generate()`` adds to an Odoo 18 database (the dump of
``shared/odoo18`` with the add-on's tables) ``stores`` stores, ``skus``
products in ``CATEGORIES`` categories and ``days`` days of done sale moves,
so that ``rtstock bench analysis`` can compare the rollups with Odoo's own
Moves Analysis at chain scale. Nothing here is typed in: rows are copies of the
dump's own rows and the moves come from ``generate_series``.

How it works:

- a store is a copy of warehouse S01 with everything Odoo made for it
  (``chain_stores``);
- a product is a copy of the first storable product (template + variant), with
  its category, list price, cost (``standard_price`` per company, 55-70 % of
  the price) and an EAN-13 so that the fast path can scan it;
- demand: the product of popularity rank ``k`` sells ``SCALE / k`` (Zipf, s = 1)
  events a day in an average store on an average weekday, times the store's
  size (0.6-1.4), times the weekday's factor (``WEEKDAY``: Saturday busiest), times
  noise (0.75-1.25); the events of a product in a store on a day are
  ``floor(expected + random())`` (so a product expected 0.3 times a day sells on
  about 30 % of days). ``SCALE`` is set so that the chain sells ``events``
  events in all (30 M for 20 x 5 000 x 365);
- each event is one unit scanned at a till; as the journal folds a store's
  events of a product into moves, the history has one done move
  store/Stock -> Customers per product x store x day with the day's events as
  quantity, at an hour between 09:00 and 21:00;
- an opening inventory move per product x store on the day before the first
  (1.5 x the expected demand of the period + 3), so on-hand never goes negative;
- the sale cells are drawn into a temporary table in one statement, the moves
  written from it in one ``INSERT ... SELECT``, Odoo's secondary indexes on
  ``stock_move`` dropped during the load and created again after it (as a
  restore does), foreign keys not checked row by row
  (``session_replication_role = replica``, as the journal; every referenced row
  is one this module just made or read);
- the rollups of all days but the last are written set-based from the same
  cells (``_DAILY_ROWS``, ``_HOURLY_ROWS``: the rows ``rrs_rollup_apply`` makes
  of an opening count gain and of sales, closing = running sum), with the rollup
  triggers off; the last day's moves then go in with the triggers on, through
  ``rrs_rollup_apply`` as the journal's do (timed: ``last_day_through_triggers_s``).
  Why not every day through the triggers: the trigger path costs ~0.2-0.3 ms a
  move on this shared 2-core machine (8-12 s for a day of 31 000 moves, about an
  hour for the year); ``tests/test_bench_analysis.py`` checks that the
  generated rollups equal ``rtstock rollup rebuild``'s rows of the same moves.

Caveats: no pickings and no move lines (Odoo's Moves Analysis reads
``stock_move`` only); the real journal writes one move per product and store
per journal run (every 400 ms), i.e. about one move per event for all but the
best sellers: a real ``stock_move`` of this chain would have ~2.7 x the rows
generated here, so the measured speed-ups of the rollups are lower bounds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, timedelta

from ingest_core.decode.gs1 import gtin_check_digit
from ingest_core.odoo import rollup, sql
from ingest_core.odoo.chain_stores import clone_warehouse
from ingest_core.odoo.history import copy_rows

#: Product categories, under the dump's root category "Retail".
CATEGORIES = ("Bakery", "Beverages", "Dairy", "Frozen", "Grocery", "Household",
              "Personal care", "Produce", "Snacks", "Stationery")

#: Sales factor per ISO weekday (Monday first), mean 1.
WEEKDAY = (0.85, 0.9, 0.95, 1.0, 1.15, 1.35, 0.8)

#: Company prefix of the generated products' EAN-13 (the dump's own use 4012345).
BARCODE_PREFIX = "4099999"

#: Where the generator records what it made (benchmarks read it back).
MARKER_PARAMETER = "rtstock.bench.chain_history"


@dataclass(frozen=True)
class ChainSize:
    stores: int = 20
    skus: int = 5000
    days: int = 365
    #: sale events in all; ``None``: 30 M scaled by stores x skus x days.
    events: int | None = None

    @property
    def target_events(self) -> int:
        if self.events is not None:
            return self.events
        return round(30_000_000 * self.stores * self.skus * self.days / (20 * 5000 * 365))

    def key(self) -> str:
        return f"s{self.stores}-p{self.skus}-d{self.days}-e{self.target_events}"


def barcode(index: int) -> str:
    body = f"{BARCODE_PREFIX}{index:05d}"
    return body + str(gtin_check_digit(body))


def make_stores(cur, count: int) -> list[tuple[int, int]]:
    """``count`` stores C001.. as copies of S01 with all Odoo made for it (locations,
    picking types, sequences, routes, rules); returns (warehouse, stock location)."""
    cur.execute("""SELECT id FROM stock_warehouse WHERE code = 'S01' UNION ALL
                   (SELECT id FROM stock_warehouse ORDER BY id DESC LIMIT 1) LIMIT 1""")
    codes = [f"C{n:03d}" for n in range(1, count + 1)]
    stores = clone_warehouse(cur, cur.fetchone()[0], codes,
                             [f"Chain store {code}" for code in codes])
    return [(store.warehouse_id, store.stock_location_id) for store in stores]


def make_categories(cur) -> list[int]:
    cur.execute("SELECT id, parent_path FROM product_category WHERE parent_id IS NULL "
                "ORDER BY (name = 'Retail') DESC, id LIMIT 1")
    root, root_path = cur.fetchone()
    cur.execute("""
        INSERT INTO product_category (name, complete_name, parent_id, create_date, write_date)
        SELECT n, r.complete_name || ' / ' || n, r.id, now(), now()
          FROM unnest(%s::varchar[]) n, product_category r WHERE r.id = %s
        RETURNING id""", (list(CATEGORIES), root))
    ids = [row[0] for row in cur.fetchall()]
    cur.execute("UPDATE product_category SET parent_path = %s || id || '/' WHERE id = ANY(%s)",
                (root_path, ids))
    return ids


def make_products(cur, count: int, categories: list[int]) -> list[int]:
    """``count`` products CH00001.. (rank = popularity), in id order."""
    cur.execute("""SELECT p.id, t.id FROM product_product p
                     JOIN product_template t ON t.id = p.product_tmpl_id
                    WHERE coalesce(t.is_storable, t.type = 'product') AND t.tracking = 'none'
                      AND coalesce(p.active, true) ORDER BY p.id LIMIT 1""")
    model = cur.fetchone()
    if model is None:
        raise ValueError("no storable, untracked product to model the chain's products on: "
                         "create one in Odoo first")
    model_product, model_template = model
    codes = [f"CH{n:05d}" for n in range(1, count + 1)]
    source = ("unnest(%(codes)s::varchar[]) WITH ORDINALITY AS n(code, ordinality)")
    params = {"codes": codes, "categories": categories}
    # Prices 1.50-25.00, spread over ranks by a hash; cost 55-70 % of the price.
    price = "(1.5 + (hashint4(n.ordinality::int) & 1023) %% 236 / 10.0)::numeric"
    templates = copy_rows(cur, "product_template", model_template, {
        "name": "jsonb_build_object('en_US', 'Chain item ' || n.code)",
        "default_code": "n.code", "list_price": price,
        "categ_id": "(%(categories)s::int[])[1 + (n.ordinality - 1) %% "
                    "cardinality(%(categories)s::int[])]",
        "create_date": "now()", "write_date": "now()"}, source, params, "default_code")
    templates = [templates[code] for code in codes]
    products = copy_rows(cur, "product_product", model_product, {
        "product_tmpl_id": "(%(templates)s::int[])[n.ordinality]",
        "default_code": "n.code", "barcode": "(%(barcodes)s::varchar[])[n.ordinality]",
        "standard_price": f"(SELECT jsonb_object_agg(k, round({price} * "
                          "(0.55 + (hashint4(n.ordinality::int + 7) & 15) / 100.0), 2)) "
                          "FROM jsonb_object_keys(m.standard_price) k)",
        "create_date": "now()", "write_date": "now()"},
        source, {**params, "templates": templates,
                 "barcodes": [barcode(n) for n in range(1, count + 1)]}, "default_code")
    return [products[code] for code in codes]


_SECONDARY_INDEXES = """SELECT indexname, indexdef FROM pg_indexes
                         WHERE tablename = %s AND indexname <> %s || '_pkey'"""


def inventory_location(cur) -> int:
    """Odoo's inventory-adjustment location (the first of usage ``inventory``)."""
    cur.execute("SELECT id FROM stock_location WHERE usage = 'inventory' "
                "AND NOT coalesce(scrap_location, false) ORDER BY id LIMIT 1")
    return cur.fetchone()[0]


def drop_secondary_indexes(cur, table: str) -> list[str]:
    """Drop the indexes of ``table`` but its primary key; returns their definitions."""
    cur.execute(_SECONDARY_INDEXES, (table, table))
    indexes = cur.fetchall()
    for name, _definition in indexes:
        cur.execute(f'DROP INDEX "{name}"')
    return [definition for _name, definition in indexes]


_ROLLUP_TRIGGERS = ("rrs_rollup_inserted", "rrs_rollup_updated", "rrs_rollup_deleted")

#: The sale cells of the history: a row per product x store x day (``day``: offset from
#: ``first``) that sold, with its events and the time its move is dated.
_CELLS = """
    SELECT d.day, p.rank, p.product_id, p.uom_id, s.warehouse_id, s.location_id,
           floor(%(scale)s / p.rank * s.size * (%(weekday)s::float8[])[
                     extract(isodow FROM %(first)s::date + d.day)]
                 * (0.75 + random() / 2) + random())::int AS events,
           (%(first)s::date + d.day) + interval '9 hours'
               + make_interval(secs => (hashint4(p.product_id * 31 + s.warehouse_id) & 65535)
                                       %% 43200) AS at
      FROM generate_series(%(from_day)s, %(to_day)s) AS d(day)
     CROSS JOIN rtstock_chain_product p
     CROSS JOIN rtstock_chain_store s
"""

_MOVE_COLUMNS = """name, reference, product_id, product_uom, location_id, location_dest_id,
    company_id, product_qty, product_uom_qty, quantity, sequence, priority, state,
    procure_method, picked, propagate_cancel, additional, scrapped, is_inventory, date,
    create_uid, create_date, write_uid, write_date"""

_INSERT_SALE_MOVES = f"""
    INSERT INTO stock_move ({_MOVE_COLUMNS})
    SELECT 'Chain sales', 'CHAIN/' || c.warehouse_id || '/' || c.at::date, c.product_id,
           c.uom_id, c.location_id, %(customers)s, %(company)s, c.events, c.events, c.events,
           10, '0', 'done', 'make_to_stock', true, true, false, false, false, c.at,
           1, now(), 1, now()
      FROM ({{cells}}) c WHERE c.events > 0
"""

_OPENING = f"""
    INSERT INTO stock_move ({_MOVE_COLUMNS})
    SELECT 'Product Quantity Updated', 'Product Quantity Updated', p.product_id, p.uom_id,
           %(inventory)s, s.location_id, %(company)s, q, q, q, 10, '0', 'done',
           'make_to_stock', true, true, false, false, true,
           %(first)s::date - 1 + interval '6 hours', 1, now(), 1, now()
      FROM rtstock_chain_product p CROSS JOIN rtstock_chain_store s,
           LATERAL (SELECT ceil(1.5 * %(scale)s / p.rank * s.size * %(days)s) + 3 AS q) o
"""

#: The daily rows ``rrs_rollup_apply`` makes of the generated moves, in one statement:
#: the opening count gain and the sales (no returns, receipts or transfers here),
#: closing = running sum of the net change. Values at today's list price and cost.
_DAILY_ROWS = """
    INSERT INTO rrs_stock_daily (day, product_id, location_id, warehouse_id, company_id,
        qty_sold, qty_returned, qty_received, qty_transfer_in, qty_transfer_out,
        qty_scrapped, qty_count_gain, qty_count_loss, qty_net, value_sold, value_returned,
        cost_sold, value_count_diff, value_scrapped, closing_qty)
    SELECT r.day, r.product_id, r.location_id, r.warehouse_id, %(company)s,
           r.sold, 0, 0, 0, 0, 0, r.gain, 0, r.gain - r.sold, r.sold * price.list,
           0, r.sold * price.cost, r.gain * price.cost, 0,
           sum(r.gain - r.sold) OVER (PARTITION BY r.product_id, r.location_id
                                      ORDER BY r.day)
      FROM (SELECT ((m.date AT TIME ZONE 'UTC') AT TIME ZONE %(tz)s)::date AS day,
                   m.product_id, m.location_dest_id AS location_id, s.warehouse_id,
                   0 AS sold, m.quantity AS gain
              FROM stock_move m JOIN rtstock_chain_store s ON s.location_id = m.location_dest_id
             WHERE m.location_id = %(inventory)s
            UNION ALL
            SELECT ((c.at AT TIME ZONE 'UTC') AT TIME ZONE %(tz)s)::date, c.product_id,
                   c.location_id, c.warehouse_id, c.events, 0
              FROM rtstock_chain_sale c) r
      JOIN LATERAL (SELECT coalesce(t.list_price, 0) AS list,
                           coalesce((p.standard_price ->> %(company)s::text)::numeric, 0) AS cost
                      FROM product_product p JOIN product_template t ON t.id = p.product_tmpl_id
                     WHERE p.id = r.product_id) price ON true
     ORDER BY r.day, r.location_id, r.product_id  -- as the journal appends them, day by day
"""

_HOURLY_ROWS = """
    INSERT INTO rrs_sales_hourly (hour, warehouse_id, company_id, qty_sold, qty_returned,
                                  value_sold, value_returned)
    SELECT date_trunc('hour', (c.at AT TIME ZONE 'UTC') AT TIME ZONE %(tz)s), c.warehouse_id,
           %(company)s, sum(c.events), 0, sum(c.events * coalesce(t.list_price, 0)), 0
      FROM rtstock_chain_sale c
      JOIN product_product p ON p.id = c.product_id
      JOIN product_template t ON t.id = p.product_tmpl_id
     GROUP BY 1, 2
"""


def _staging(cur, size: ChainSize, stores: list[tuple[int, int]], products: list[int]) -> None:
    cur.execute("""CREATE TEMP TABLE rtstock_chain_store AS
                   SELECT k.warehouse_id, k.location_id,
                          0.6 + 0.8 * (k.n - 1) / greatest(cardinality(%s::int[]) - 1, 1) AS size
                     FROM unnest(%s::int[], %s::int[]) WITH ORDINALITY AS k(warehouse_id,
                                                                            location_id, n)""",
                ([w for w, _ in stores], [w for w, _ in stores], [s for _, s in stores]))
    cur.execute("""CREATE TEMP TABLE rtstock_chain_product AS
                   SELECT k.rank, k.product_id, t.uom_id
                     FROM unnest(%s::int[]) WITH ORDINALITY AS k(product_id, rank)
                     JOIN product_product p ON p.id = k.product_id
                     JOIN product_template t ON t.id = p.product_tmpl_id""", (products,))


def _scale(size: ChainSize) -> float:
    """Daily events of rank 1 in an average store on an average weekday."""
    harmonic = sum(1.0 / rank for rank in range(1, size.skus + 1))
    # Store sizes average 1 and weekday factors average 1: the total is scale x H x S x D
    # (plus the floor(x + random()) rounding, unbiased).
    return size.target_events / (harmonic * size.stores * size.days)


class _Clock:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = round(now - self._last, 1)
        self._last = now


def generate(connection, size: ChainSize, end: date,
             progress: Callable[[str], None] | None = None,
             stores: list[tuple[int, int]] | None = None,
             products: list[int] | None = None) -> dict:
    """Add the chain and its history ending on ``end`` (the last day of sales); returns
    what it made and how long each stage took (seconds). ``stores`` ((warehouse, stock
    location)) and ``products`` (by popularity) are made here unless given."""
    say = progress or (lambda _message: None)
    clock = _Clock()
    first = end - timedelta(days=size.days - 1)
    with connection.cursor() as cur:
        # A bulk load's session settings: sorts and hashes in memory, room for the
        # index builds.
        cur.execute("SET work_mem = '256MB'")
        cur.execute("SET maintenance_work_mem = '1GB'")
        cur.execute("SELECT setseed(0.14)")
        if stores is None:
            stores = make_stores(cur, size.stores)
        if products is None:
            products = make_products(cur, size.skus, make_categories(cur))
        cur.execute("SELECT id FROM res_company ORDER BY id LIMIT 1")
        company = cur.fetchone()[0]
        cur.execute("SELECT id FROM stock_location WHERE usage = 'customer' ORDER BY id LIMIT 1")
        customers = cur.fetchone()[0]
        inventory = inventory_location(cur)
        _staging(cur, size, stores, products)
        move_indexes = drop_secondary_indexes(cur, "stock_move")
        rollup_indexes = drop_secondary_indexes(cur, "rrs_stock_daily")
        for trigger in _ROLLUP_TRIGGERS:
            cur.execute(f"ALTER TABLE stock_move DISABLE TRIGGER {trigger}")
        cur.execute("SET session_replication_role = replica")
        params = {"scale": _scale(size), "weekday": list(WEEKDAY), "first": first,
                  "customers": customers, "company": company, "inventory": inventory,
                  "days": size.days, "tz": rollup.timezone(cur),
                  "from_day": 0, "to_day": size.days - 2}
        clock.lap("chain_s")
        cur.execute(_OPENING, params)
        cur.execute(f"CREATE TEMP TABLE rtstock_chain_sale AS {_CELLS}", params)
        cur.execute("DELETE FROM rtstock_chain_sale WHERE events <= 0")
        cur.execute(_INSERT_SALE_MOVES.format(cells="SELECT * FROM rtstock_chain_sale"),
                    params)
        clock.lap("moves_s")
        say(f"moves of {size.days - 1} days written; rollups next")
        cur.execute(_DAILY_ROWS, params)
        cur.execute(_HOURLY_ROWS, params)
        for definition in rollup_indexes:
            cur.execute(definition)
        rollup.derive(cur)
        for trigger in _ROLLUP_TRIGGERS:
            cur.execute(f"ALTER TABLE stock_move ENABLE ALWAYS TRIGGER {trigger}")
        connection.commit()
        clock.lap("rollups_set_based_s")
        # The last day goes through the rollup triggers, as the journal's moves do.
        last_day = {**params, "from_day": size.days - 1, "to_day": size.days - 1}
        cur.execute(_INSERT_SALE_MOVES.format(cells=_CELLS), last_day)
        last_day_moves = cur.rowcount
        connection.commit()
        clock.lap("last_day_through_triggers_s")
        say(f"last day through the rollup triggers: {last_day_moves} moves in "
            f"{clock.timings['last_day_through_triggers_s']} s; stock_move indexes next")
        cur.execute("SET session_replication_role = origin")
        for definition in move_indexes:
            cur.execute(definition)
        connection.commit()
        clock.lap("stock_move_indexes_s")
        cur.execute("""SELECT count(*), coalesce(sum(quantity), 0) FROM stock_move
                        WHERE location_id = ANY(%s) AND location_dest_id = %s""",
                    ([s for _, s in stores], customers))
        moves, events = cur.fetchone()
        made = {"size": asdict(size), "first_day": first.isoformat(),
                "last_day": end.isoformat(), "stores": [w for w, _ in stores],
                "store_locations": [s for _, s in stores], "products": len(products),
                "product_ids": [products[0], products[-1]], "sale_moves": moves,
                "sale_events": int(events),
                "last_day_moves": last_day_moves}
    connection.commit()
    connection.autocommit = True
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    connection.autocommit = False
    clock.lap("vacuum_analyze_s")
    made["timings_s"] = clock.timings
    return made


def add_move_lines(cur) -> int:
    """Give every done move of the history its done move line, as Odoo's ``_action_done``
    (and the journal) write it; returns how many were added.

    ``generate`` writes moves only (the rollups and Odoo's Moves Analysis read
    ``stock_move``); the EPCIS export reads move lines, as Odoo's stock does. Set-based,
    foreign keys not checked row by row (every referenced row is the move's own), once:
    moves that have a line are left alone.
    """
    cur.execute("SET LOCAL session_replication_role = replica")
    cur.execute("""
        INSERT INTO stock_move_line (move_id, picking_id, reference, product_id,
                                     product_uom_id, location_id, location_dest_id,
                                     company_id, quantity, quantity_product_uom, state, picked,
                                     date, create_uid, create_date, write_uid, write_date)
        SELECT m.id, m.picking_id, m.reference, m.product_id, m.product_uom, m.location_id,
               m.location_dest_id, m.company_id, m.quantity, m.quantity, 'done', true, m.date,
               m.create_uid, m.create_date, m.write_uid, m.write_date
          FROM stock_move m
         WHERE m.state = 'done'
           AND NOT EXISTS (SELECT 1 FROM stock_move_line ml WHERE ml.move_id = m.id)""")
    added = cur.rowcount
    cur.execute("SET LOCAL session_replication_role = DEFAULT")
    return added


def record(cur, made: dict) -> None:
    import json

    sql.set_parameter(cur, MARKER_PARAMETER, json.dumps(made))


def recorded(cur) -> dict | None:
    """What ``generate`` made in this database, if it ran to the end."""
    import json

    value = sql.get_parameter(cur, MARKER_PARAMETER)
    return json.loads(value) if value else None


def sizes(cur) -> dict[str, int]:
    """Bytes on disk (heap + indexes + TOAST) and rows of ``stock_move`` and the rollups."""
    names = ("stock_move", *rollup.TABLES)
    cur.execute("SELECT " + ", ".join(f"pg_total_relation_size('{name}'), "
                                      f"(SELECT count(*) FROM {name})" for name in names))
    row = cur.fetchone()
    result = {}
    for index, name in enumerate(names):
        result[f"{name}_bytes"], result[f"{name}_rows"] = row[2 * index], row[2 * index + 1]
    return result
