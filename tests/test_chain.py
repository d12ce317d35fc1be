"""``rtstock chain generate`` on the genuine Odoo 18 database: stores Odoo would have made.

A generated store must be a copy of what ``stock.warehouse.create`` wrote for
the dump's S01 (same locations, picking types, sequences, routes, rules, each
renamed for the store and pointing at the store's own rows), its opening stock
one quant per product with Odoo's inventory-adjustment counterpart, and the
fast path must sell from it and number its pickings with its own sequence.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import psycopg2
import pytest

from ingest_core.bench import scan
from ingest_core.chain import demand
from ingest_core.chain.generate import ChainExists, ChainSpec, generate
from ingest_core.commit.quants import QuantIds
from ingest_core.odoo import chain_stores
from tests.support.ingest import IngestProcess, create_device, post, query

MODEL = 2  # warehouse S01


def _generate(dsn: str, spec: ChainSpec, **options) -> dict:
    connection = psycopg2.connect(dsn)
    try:
        return generate(connection, spec, **options)
    finally:
        connection.close()


def _shape(dsn: str, warehouse: int) -> dict:
    """What Odoo made for a warehouse, with its code taken out of every name."""
    (code, view), = query(dsn, "SELECT code, view_location_id FROM stock_warehouse "
                               "WHERE id = %s", (warehouse,))
    locations = query(dsn, """
        SELECT l.complete_name, l.barcode, l.usage, l.active,
               (SELECT p.complete_name FROM stock_location p WHERE p.id = l.location_id)
          FROM stock_location l, stock_location v
         WHERE v.id = %s AND l.parent_path LIKE v.parent_path || '%%'
           AND l.warehouse_id = %s""", (view, warehouse))
    types = query(dsn, """
        SELECT t.name->>'en_US', t.code, t.barcode, t.active, s.prefix, src.complete_name,
               dst.complete_name, r.name->>'en_US'
          FROM stock_picking_type t JOIN ir_sequence s ON s.id = t.sequence_id
          LEFT JOIN stock_location src ON src.id = t.default_location_src_id
          LEFT JOIN stock_location dst ON dst.id = t.default_location_dest_id
          LEFT JOIN stock_picking_type r ON r.id = t.return_picking_type_id
         WHERE t.warehouse_id = %s""", (warehouse,))
    rules = query(dsn, """
        SELECT u.name->>'en_US', u.action, u.procure_method, o.name->>'en_US',
               t.name->>'en_US', t.warehouse_id = u.warehouse_id, src.complete_name,
               dst.complete_name
          FROM stock_rule u JOIN stock_route o ON o.id = u.route_id
          JOIN stock_picking_type t ON t.id = u.picking_type_id
          JOIN stock_location src ON src.id = u.location_src_id
          JOIN stock_location dst ON dst.id = u.location_dest_id
         WHERE u.warehouse_id = %s""", (warehouse,))
    routes = query(dsn, """SELECT o.name->>'en_US' FROM stock_route_warehouse l
                             JOIN stock_route o ON o.id = l.route_id
                            WHERE l.warehouse_id = %s""", (warehouse,))
    links = query(dsn, """
        SELECT l.complete_name, t.name->>'en_US', o.name->>'en_US'
          FROM stock_warehouse w JOIN stock_location l ON l.id = w.lot_stock_id
          JOIN stock_picking_type t ON t.id = w.pos_type_id
          JOIN stock_route o ON o.id = w.reception_route_id WHERE w.id = %s""", (warehouse,))
    (name,), = query(dsn, "SELECT name FROM stock_warehouse WHERE id = %s", (warehouse,))

    def plain(rows):
        return sorted(tuple(str(v).replace(name, "<name>").replace(code, "<code>")
                            if isinstance(v, str) else v for v in row) for row in rows)

    return {"locations": plain(locations), "types": plain(types), "rules": plain(rules),
            "routes": plain(routes), "links": plain(links)}


def _dangling_keys(dsn: str) -> list[tuple]:
    """Rows of the copied tables whose foreign key points at no row."""
    found = []
    for table in chain_stores.TABLES:
        for column, target in query(dsn, """
                SELECT a.attname, c.confrelid::regclass::text FROM pg_constraint c
                  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                 WHERE c.contype = 'f' AND c.conrelid = %s::regclass
                   AND cardinality(c.conkey) = 1""", (table,)):
            rows = query(dsn, f"""SELECT m.id FROM {table} m WHERE m.{column} IS NOT NULL
                                   AND NOT EXISTS (SELECT 1 FROM {target} t
                                                    WHERE t.id = m.{column})""")
            found += [(table, column, row[0]) for row in rows]
    return found


def test_generated_stores_are_what_odoo_made_for_the_model_store(real_addon_db):
    made = _generate(real_addon_db, ChainSpec(stores=4, skus=30))
    first, last = made["warehouse_ids"]
    model = _shape(real_addon_db, MODEL)
    assert len(model["locations"]) == 6 and len(model["types"]) == 9 and model["rules"]
    for warehouse in range(first, last + 1):
        assert _shape(real_addon_db, warehouse) == model, warehouse
    assert _dangling_keys(real_addon_db) == []
    codes = query(real_addon_db, "SELECT code, name FROM stock_warehouse WHERE id >= %s "
                                 "ORDER BY id", (first,))
    assert codes == [(f"C00{n}", f"Chain store C00{n}") for n in range(1, 5)]
    # Each store's picking types number from PostgreSQL sequences of their own.
    sequences = query(real_addon_db, """
        SELECT s.id FROM stock_picking_type t JOIN ir_sequence s ON s.id = t.sequence_id
         WHERE t.warehouse_id BETWEEN %s AND %s""", (first, last))
    assert len({row[0] for row in sequences}) == 36
    for (sequence_id,) in sequences:
        assert query(real_addon_db, f"SELECT nextval('ir_sequence_{sequence_id:03d}')") == [(1,)]


def test_opening_stock_is_a_quant_per_product_and_store_with_odoos_counterpart(real_addon_db):
    spec = ChainSpec(stores=3, skus=50, events_per_day=500)
    made = _generate(real_addon_db, spec)
    locations = made["store_locations"]
    first, last = made["product_ids"]
    rows = query(real_addon_db, """
        SELECT location_id, product_id, quantity FROM stock_quant
         WHERE product_id BETWEEN %s AND %s ORDER BY 1, 2""", (first, last))
    in_stores = [row for row in rows if row[0] in locations]
    assert made["quants"] == len(rows) == 3 * 50 + 50
    assert {(loc, p) for loc, p, _q in in_stores} == {
        (loc, p) for loc in locations for p in range(first, last + 1)}
    # Zipf: the best seller has the most, nothing under the minimum, and per product
    # the inventory-adjustment quant balances the stores' (as Odoo's adjustment leaves it).
    best = [q for loc, p, q in in_stores if p == first]
    worst = [q for loc, p, q in in_stores if p == last]
    assert min(best) > max(worst) >= 6
    totals = query(real_addon_db, """SELECT product_id, sum(quantity) FROM stock_quant
                                      WHERE product_id BETWEEN %s AND %s GROUP BY 1""",
                   (first, last))
    assert {float(total) for _p, total in totals} == {0.0}
    assert query(real_addon_db, "SELECT count(*) FROM pg_trigger WHERE tgrelid = "
                 "'stock_quant'::regclass AND NOT tgisinternal AND tgenabled = 'A'") == [(3,)]


def test_the_fast_path_sells_from_a_generated_store_with_its_own_picking_names(real_addon_db):
    made = _generate(real_addon_db, ChainSpec(stores=3, skus=20))
    location = made["store_locations"][1]  # store C002
    (warehouse,), = query(real_addon_db, "SELECT warehouse_id FROM stock_location "
                                         "WHERE id = %s", (location,))
    _device, token = create_device(real_addon_db, warehouse_id=warehouse, location_id=location,
                                   allowed=("sale",))
    product = made["product_ids"][0]
    (barcode, before), = query(real_addon_db, """
        SELECT p.barcode, q.quantity FROM product_product p
          JOIN stock_quant q ON q.product_id = p.id AND q.location_id = %s
         WHERE p.id = %s""", (location, product))
    ingest = IngestProcess(real_addon_db).start()
    try:
        answer = post(ingest.url, token, [{"key": f"k{n}", "code": barcode, "op": "sale"}
                                          for n in range(3)])
        assert answer.status_code == 200, answer.text
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not query(
                real_addon_db, "SELECT 1 FROM stock_move WHERE location_id = %s "
                "AND state = 'done'", (location,)):
            time.sleep(0.2)
    finally:
        ingest.stop()
    assert query(real_addon_db, "SELECT quantity FROM stock_quant WHERE product_id = %s "
                 "AND location_id = %s", (product, location)) == [(before - 3,)]
    pickings = query(real_addon_db, """
        SELECT p.name, t.warehouse_id FROM stock_picking p
          JOIN stock_picking_type t ON t.id = p.picking_type_id
         WHERE p.location_id = %s""", (location,))
    assert [(name.rsplit("/", 1)[0], wh) for name, wh in pickings] in (
        [("C002/POS", warehouse)], [("C002/OUT", warehouse)])


def test_a_second_chain_is_refused_and_bad_sizes_are_clear_errors(real_addon_db):
    _generate(real_addon_db, ChainSpec(stores=1, skus=5))
    with pytest.raises(ChainExists):
        _generate(real_addon_db, ChainSpec(stores=1, skus=5))
    with pytest.raises(ValueError, match="stores"):
        ChainSpec(stores=0, skus=5)
    cli = [sys.executable, "-m", "ingest_core.cli", "chain", "generate", "--dsn",
           real_addon_db]
    refused = subprocess.run([*cli, "--stores", "2", "--skus", "3"], capture_output=True,
                             text=True, timeout=120)
    assert refused.returncode == 2 and "has a generated chain already" in refused.stderr
    bad = subprocess.run([*cli, "--stores", "1000", "--skus", "3"], capture_output=True,
                         text=True, timeout=120)
    assert bad.returncode == 2 and "stores: 1 to 999" in bad.stderr
    check = subprocess.run([sys.executable, "-m", "ingest_core.cli", "db", "check", "--dsn",
                            real_addon_db], capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_history_leaves_quants_equal_to_the_done_moves(real_addon_db):
    made = _generate(real_addon_db, ChainSpec(stores=2, skus=40, history_days=5,
                                              events_per_day=200))
    assert made["history"]["sale_moves"] > 0
    mismatches = query(real_addon_db, """
        WITH moved AS (
            SELECT product_id, location_dest_id AS location_id, quantity AS q FROM stock_move
             WHERE state = 'done' AND location_dest_id = ANY(%(l)s)
            UNION ALL
            SELECT product_id, location_id, -quantity FROM stock_move
             WHERE state = 'done' AND location_id = ANY(%(l)s))
        SELECT m.product_id, m.location_id FROM moved m
         GROUP BY 1, 2
        HAVING sum(m.q) <> (SELECT sum(quantity) FROM stock_quant q
                             WHERE q.product_id = m.product_id
                               AND q.location_id = m.location_id)""",
                       {"l": made["store_locations"]})
    assert mismatches == []


REAL_YEAR = Path(os.environ.get("RTSTOCK_ONLINE_RETAIL", Path(__file__).resolve().parents[2]
                                / "shared" / "datasets" / "online_retail"
                                / "transactions.csv.gz"))


def test_the_zipf_exponent_is_fitted_to_the_real_year():
    # The estimator finds a known exponent back from draws of it...
    rng = random.Random(3)
    ranks = rng.choices(range(3000), weights=demand.weights(3000, 1.2), k=200_000)
    assert abs(demand.fit_zipf(list(Counter(ranks).values())) - 1.2) < 0.03
    # ... and the constant the chain benchmark uses is its value on the real year.
    if not REAL_YEAR.exists():
        pytest.skip(f"the real year is not at {REAL_YEAR} (set RTSTOCK_ONLINE_RETAIL)")
    units = demand.units_by_code(REAL_YEAR)
    assert len(units) > 3900
    assert abs(demand.fit_zipf(units) - demand.REAL_YEAR_ZIPF) < 0.001


def test_the_scan_benchmark_runs_on_a_generated_chain_with_every_store_active(
        real_addon_db, monkeypatch):
    monkeypatch.setattr(scan.baseline, "live_odoo_baselines", lambda *_a, **_k: {})
    result = scan._run(real_addon_db, "genuine", scan.ScanBenchOptions(
        seconds=1.0, devices=4, batch=20, chain=(6, 40), baseline_seconds=0.3),
        progress=lambda _message: None)
    assert result["chain"]["stores"] == 6 and result["chain"]["devices"] == 6
    assert result["chain"]["zipf"] == demand.REAL_YEAR_ZIPF
    assert result["checks"] == {"db_check_exit": 0, "quants_equal_opening_plus_done_moves": True,
                                "group_fallbacks": 0, "ingest_errors": []}
    assert result["fast_path"]["events_per_s"] > 0 and result["mixed"]["events_per_s"] > 0
    first, last = result["chain"]["warehouse_ids"]
    sold_from = query(real_addon_db, """
        SELECT DISTINCT l.warehouse_id FROM stock_move m
          JOIN stock_location l ON l.id = m.location_id
         WHERE m.state = 'done' AND l.warehouse_id BETWEEN %s AND %s""", (first, last))
    assert len(sold_from) == 6
    assert "chain of 6 stores x 40 SKUs" in scan.table(result)
    per_event = result["bytes_per_event"]  # every table the path writes grew, the WAL too
    assert per_event["events"] > 1000 and per_event["wal"] > 0 and per_event["tables"] > 0
    assert per_event["rrs_event"] > 0 and per_event["stock_move"] > 0
    assert "bytes per event" in scan.table(result)
    ids = result["quant_ids"]  # the writer's quant-id memory, scraped from /metrics
    assert 0 < ids["entries"] <= ids["capacity"] == 500_000 and ids["resets"] == 0
    assert ids["hits"] > ids["misses"] > 0 and 0.5 < ids["hit_rate"] < 1


def test_the_quant_id_memory_is_bounded_and_counts_its_hits():
    ids = QuantIds(capacity=3)
    ids.remember({(1, 10, None): 100, (2, 10, None): 200})
    assert ids.get((1, 10, None)) == 100 and ids.get((3, 10, None)) is None
    ids.remember({(3, 10, None): 300, (4, 10, None): 400})  # 4 > 3: emptied, then refilled
    assert len(ids) == 2 and ids.get((1, 10, None)) is None
    assert (ids.hits, ids.misses, ids.resets) == (1, 2, 1)
