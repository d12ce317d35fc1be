"""Equivalence: the same 1000 movements through Odoo's ORM and through the fast path.

What it is: the proof the design asks for. On a live Odoo 18 (see
``docs/live-odoo.md``) database A gets the add-on and a small chain
(``ingest_core.bench.odoo_chain``: stores S01/S02, 20 products with EAN-13
barcodes, 4 lot-tracked, real-time valuation with standard, average and FIFO
costs, opening stock by inventory adjustment); B is a copy of A. The same
1000 seeded mixed movements are applied on A through the ORM (pickings
confirmed and validated, ``stock.scrap``, inventory counts applied) and on B
through the real fast path (``rtstock serve``, reads posted over HTTP as
EAN-13 / GS1 strings with AI 10 lots, journal drained); then B's fast-path
moves are valued by the add-on's cron. Compared: quants per (product,
location, lot); per-product, per-location totals of done move lines; every
column of every fast-path move and move line against what the ORM wrote for a
move of the same product, locations, lot and picking type; valuation layers
per product and direction; account move line balances per account.

How it works: Odoo runs only as ``odoo-bin shell`` / ``-i`` subprocesses; the
comparison reads both databases with psycopg2.

Mixes: ``RTSTOCK_EQUIVALENCE_MOVEMENTS`` (default 1000) movements drawn with
each seed of ``RTSTOCK_EQUIVALENCE_SEEDS`` (comma-separated, ``random`` draws
one; default ``18,random``: the fixed mix and a new one each run), each on twins
of its own; the seed is printed, so a failure
can be replayed. The sweep the chain should pass, by hand (about 11 minutes a
seed at 3 000 movements on this 2-core machine, too long for CI's 90):
``RTSTOCK_EQUIVALENCE_MOVEMENTS=3000 RTSTOCK_EQUIVALENCE_SEEDS=random,random,
random,random,random pytest tests/test_equivalence_live.py``.

The ORM side validates a chunk's documents in the fast path's read order
wherever that order changes a value (``odoo_chain.APPLY_CODE`` ``segments``):
FIFO resets a product's cost to the last layer a delivery used, so a return
valued before or after a sale gets another cost. Replaying them in an order
of its own (receipts and returns before sales) made the ORM value a return
at the cost before the sale and the fast path, which follows the reads, at
the cost after it (seed 7, 3 000 movements: 460.50 against 459.00).

Caveats: skipped loudly (reason starts ``LIVE ODOO EQUIVALENCE TEST
SKIPPED``) without the live-Odoo variables or database server. A run of 1 000
movements takes about 5 minutes (the ORM side is most of it).
``RTSTOCK_ODOO_TEMPLATE`` names a database with stock + point_of_sale to start
from (default ``rrs_base``; without it the modules are installed, which takes
longer).
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from collections import defaultdict
from datetime import UTC, datetime

import psycopg2
import pytest

from ingest_core.bench import odoo_chain
from ingest_core.bench.odoo_live import LiveOdoo, LiveOdooUnavailable
from ingest_core.commit.journal import wait_drained
from ingest_core.odoo import ddl
from ingest_core.odoo.tables import ADDON_TABLES
from tests.support.ingest import IngestProcess, create_device, post

pytestmark = pytest.mark.live_odoo

ADDON = "retail_realtime_stock"
MOVEMENTS = int(os.environ.get("RTSTOCK_EQUIVALENCE_MOVEMENTS", "1000"))


def _seeds() -> list[int]:
    """``RTSTOCK_EQUIVALENCE_SEEDS`` (comma-separated; ``random`` draws one, printed so a
    failure can be replayed), default ``18,random``: one mix per seed, each on its own
    twins. CI runs the default; a sweep of five new seeds of 3 000 movements takes an
    hour here."""
    seeds = []
    for text in os.environ.get("RTSTOCK_EQUIVALENCE_SEEDS", "18,random").split(","):
        text = text.strip()
        seeds.append(random.SystemRandom().randrange(1, 10**6) if text == "random"
                     else int(text))
    return seeds


SEEDS = _seeds()

# Columns that necessarily differ between two databases or between one move per
# picking line (ORM) and one move per aggregate (fast path).
MOVE_EXCLUDED = {
    "id", "create_date", "write_date", "date",  # identity and time of writing
    "picking_id", "scrap_id",  # other documents, other ids
    "product_qty", "product_uom_qty", "quantity",  # aggregated quantities
}
LINE_EXCLUDED = {
    "id", "create_date", "write_date", "date", "move_id", "picking_id",
    "quantity", "quantity_product_uom",
}
PICKING_EXCLUDED = {"id", "create_date", "write_date", "date", "date_done", "scheduled_date",
                    "date_deadline"}
SCRAP_EXCLUDED = {"id", "create_date", "write_date", "date_done", "scrap_qty"}
# Document names (S01/OUT/00012, SP/00003; a scrap's move is named after the
# scrap) are compared without their number: the fast path numbers one document
# per aggregate from the same sequence.
NAMED_COLUMNS = {"name", "reference", "origin"}
# Real differences from the ORM that are known and not fixed here; the test
# asserts the diff is exactly these, so any new one (or a fix) shows up.
KNOWN_DIFFERENCES = {
    # commit/journal.py writes origin 'rtstock' ("Source Document") on its pickings as a
    # visible marker; Odoo leaves it empty for a picking made by hand.
    ("stock_picking", "origin"): ("rtstock", [None]),
}


def _skip_loudly(why: str):
    pytest.skip(
        f"LIVE ODOO EQUIVALENCE TEST SKIPPED: {why}. To run it, set "
        "RTSTOCK_ODOO_BIN, RTSTOCK_ODOO_PYTHON, RTSTOCK_ODOO_CONF (and optionally "
        "RTSTOCK_ODOO_DSN) to a local Odoo 18 and its database server; see docs/live-odoo.md."
    )


# --------------------------------------------------------------------------- databases

def _rows(dsn: str, statement: str, params=()) -> list[dict]:
    connection = psycopg2.connect(dsn)
    try:
        with connection.cursor() as cur:
            cur.execute(statement, params)
            names = [column.name for column in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        connection.close()


def _max_ids(dsn: str) -> dict[str, int]:
    row = _rows(dsn, "SELECT (SELECT coalesce(max(id), 0) FROM stock_move) AS stock_move, "
                     "(SELECT coalesce(max(id), 0) FROM stock_move_line) AS stock_move_line, "
                     "(SELECT coalesce(max(id), 0) FROM stock_valuation_layer) AS svl")[0]
    return dict(row)


def build_chain_database(live: LiveOdoo, name: str) -> dict:
    """Database ``name`` with the add-on and the chain; returns the chain's ids."""
    template = os.environ.get("RTSTOCK_ODOO_TEMPLATE", "rrs_base")
    if live.db_exists(template):
        live.create_db(name, template)  # waits while the template has a session
        modules = ADDON
    else:
        live.drop_db(name)
        live._admin(f'CREATE DATABASE "{name}"')
        modules = f"stock,point_of_sale,stock_account,{ADDON}"
    live.install(name, modules)
    _add_missing_addon_schema(live.db_dsn(name))
    params = odoo_chain.setup_params(price_change=1.5)
    return live.shell(name, f"PARAMS = {json.dumps(json.dumps(params))}\n"
                      + odoo_chain.SETUP_CODE)


def _add_missing_addon_schema(dsn: str) -> list[str]:
    """Add what ``tables.py`` declares for the add-on and the installed add-on lacks.

    KNOWN GAP (reported, not hidden): the ingest's RFID work declares
    ``rrs_device.rfid_role``/``unknown_tags`` and the ``rrs_count_*``/``rrs_epc``
    tables, which the add-on does not create yet; ``rtstock serve`` needs them.
    Until the add-on has them, they are added here the way ``rtstock db init``
    creates them. Returns what was added (the test prints it).
    """
    connection = psycopg2.connect(dsn)
    added = []
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT table_name, column_name FROM information_schema.columns "
                        "WHERE table_schema = current_schema()")
            present: dict = defaultdict(set)
            for table, column in cur.fetchall():
                present[table].add(column)
            missing_tables = [t for t in ADDON_TABLES if t.name not in present]
            for statement in ddl.schema_statements(missing_tables, existing=present):
                cur.execute(statement)
            added += [t.name for t in missing_tables]
            for table in ADDON_TABLES:
                if table.name not in present:
                    continue
                for column in table.columns:
                    if column.name not in present[table.name]:
                        cur.execute(f"ALTER TABLE {table.name} ADD COLUMN {column.name} "
                                    f"{column.data_type}")
                        added.append(f"{table.name}.{column.name}")
        connection.commit()
    finally:
        connection.close()
    if added:
        print(f"add-on lacks (added as rtstock db init would): {', '.join(added)}")
    return added


def apply_through_orm(live: LiveOdoo, dbname: str, chain: dict, chunks: list) -> dict:
    payload = json.dumps({"chain": chain, "chunks": chunks})
    return live.shell(dbname, f"PARAMS = {json.dumps(payload)}\n" + odoo_chain.APPLY_CODE)


def apply_through_fast_path(dsn: str, chain: dict, chunks: list,
                            drain_each_chunk: bool = False) -> None:
    tokens = {}
    for store, wh in chain["warehouses"].items():
        _id, tokens[store] = create_device(dsn, name=f"eq-{store}", warehouse_id=wh["id"],
                                           location_id=wh["stock"],
                                           company_id=chain["company_id"])
    ts = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with IngestProcess(dsn) as ingest:
        for number, chunk in enumerate(chunks):
            moving, counting = odoo_chain.reads_for(chunk, f"eq{number}", ts)
            # Counts after the chunk's other movements, as on the ORM side.
            for per_store in (moving, counting):
                for store, reads in sorted(per_store.items()):
                    response = post(ingest.url, tokens[store], reads)
                    assert response.status_code == 200, response.text
                    body = response.json()
                    assert body["applied"] == len(reads), body
            if drain_each_chunk:  # diagnosis: journal batches = the ORM's chunks
                wait_drained(dsn, 60)
        wait_drained(dsn, 60)


# --------------------------------------------------------------------------- comparisons

def quants(dsn: str) -> dict:
    return {(r["product_id"], r["location_id"], r["lot"]): float(r["quantity"])
            for r in _rows(dsn, """
                SELECT q.product_id, q.location_id, l.name AS lot, sum(q.quantity) AS quantity
                  FROM stock_quant q LEFT JOIN stock_lot l ON l.id = q.lot_id
                 GROUP BY 1, 2, 3 HAVING sum(q.quantity) <> 0""")}


def done_line_totals(dsn: str) -> dict:
    totals: dict = defaultdict(float)
    for r in _rows(dsn, "SELECT product_id, location_id, location_dest_id, sum(quantity) AS q "
                        "FROM stock_move_line WHERE state = 'done' GROUP BY 1, 2, 3"):
        totals[(r["product_id"], r["location_id"])] -= float(r["q"])
        totals[(r["product_id"], r["location_dest_id"])] += float(r["q"])
    return {key: round(value, 4) for key, value in totals.items() if round(value, 4)}


def _normalise(column: str, value):
    if column in NAMED_COLUMNS and isinstance(value, str):
        return re.sub(r"\d+$", "#", value)
    if hasattr(value, "is_finite"):  # Decimal
        return float(value)
    return value


def _moves_with_lots(dsn: str, after: int) -> list[dict]:
    return _rows(dsn, """
        SELECT m.*, (SELECT array_agg(DISTINCT coalesce(l.lot_id, 0)) FROM stock_move_line l
                      WHERE l.move_id = m.id) AS rrs_lots
          FROM stock_move m WHERE m.id > %s ORDER BY m.id""", (after,))


def _move_key(move: dict) -> tuple:
    return (move["product_id"], move["location_id"], move["location_dest_id"],
            move["picking_type_id"], bool(move["scrapped"]), bool(move["is_inventory"]))


def column_diff(orm_rows: list[dict], fast_rows: list[dict], key, excluded: set) -> dict:
    """{column: [(key, fast value, ORM values)]} where a fast-path row holds a value the ORM
    never wrote for a row of the same key; also {'<unmatched>': keys} without an ORM row."""
    by_key: dict = defaultdict(list)
    for row in orm_rows:
        by_key[key(row)].append(row)
    diff: dict = defaultdict(list)
    for row in fast_rows:
        candidates = by_key.get(key(row))
        if not candidates:
            diff["<unmatched>"].append(key(row))
            continue
        for column, value in row.items():
            if column in excluded or column.startswith("rrs_"):
                continue
            fast = _normalise(column, value)
            seen = {_normalise(column, c[column]) for c in candidates}
            if fast not in seen:
                diff[column].append((key(row), fast, sorted(seen, key=repr)))
    return dict(diff)


def _summary(diff: dict) -> str:
    return "\n".join(f"  {column}: {len(cases)} rows, e.g. key={cases[0][0] if cases[0] else ''} "
                     f"fast={cases[0][1]!r} orm={cases[0][2]!r}" if isinstance(cases[0], tuple)
                     and len(cases[0]) == 3 else f"  {column}: {cases[:5]}"
                     for column, cases in sorted(diff.items()))


def valuation(dsn: str, after: int) -> dict:
    """Per (product, direction): layer count-independent sums of quantity, value, remaining."""
    return {(r["product_id"], r["direction"]): (round(float(r["qty"]), 4),
                                                round(float(r["value"]), 2),
                                                round(float(r["rqty"]), 4),
                                                round(float(r["rvalue"]), 2))
            for r in _rows(dsn, """
                SELECT product_id, CASE WHEN quantity > 0 THEN 'in' ELSE 'out' END AS direction,
                       sum(quantity) AS qty, sum(value) AS value,
                       sum(coalesce(remaining_qty, 0)) AS rqty,
                       sum(coalesce(remaining_value, 0)) AS rvalue
                  FROM stock_valuation_layer WHERE id > %s GROUP BY 1, 2""", (after,))}


def account_balances(dsn: str) -> dict:
    return {r["code"]: round(float(r["balance"]), 2) for r in _rows(dsn, """
        SELECT a.code_store->>'1' AS code, sum(l.balance) AS balance
          FROM account_move_line l JOIN account_account a ON a.id = l.account_id
          JOIN account_move m ON m.id = l.move_id WHERE m.state = 'posted'
         GROUP BY 1""")}


def standard_prices(dsn: str) -> dict:
    return {r["id"]: round(float(r["p"] or 0), 4) for r in _rows(dsn, """
        SELECT id, (standard_price->>'1')::numeric AS p FROM product_product""")}


# --------------------------------------------------------------------------- the test

@pytest.fixture(scope="module")
def live() -> LiveOdoo:
    try:
        return LiveOdoo.from_env()
    except LiveOdooUnavailable as error:
        _skip_loudly(str(error))


@pytest.fixture(scope="module", params=SEEDS, ids=lambda seed: f"seed{seed}")
def twins(live: LiveOdoo, request):
    seed = request.param
    stamp = f"{os.getpid()}_{int(time.time())}"
    orm_db, fast_db = f"rrs_eq_orm_{stamp}", f"rrs_eq_fast_{stamp}"
    try:
        chain = build_chain_database(live, orm_db)
        live.create_db(fast_db, orm_db)
        before = _max_ids(live.db_dsn(orm_db))
        print(f"equivalence: {MOVEMENTS} movements, seed {seed} (replay: "
              f"RTSTOCK_EQUIVALENCE_MOVEMENTS={MOVEMENTS} RTSTOCK_EQUIVALENCE_SEEDS={seed})")
        chunks = odoo_chain.generate_movements(chain, MOVEMENTS, seed=seed)
        orm = apply_through_orm(live, orm_db, chain, chunks)
        apply_through_fast_path(live.db_dsn(fast_db), chain, chunks,
                                drain_each_chunk=bool(os.environ.get(
                                    "RTSTOCK_EQUIVALENCE_DRAIN_EACH_CHUNK")))
        live.shell(fast_db, odoo_chain.VALUE_CODE)
        yield {"orm": live.db_dsn(orm_db), "fast": live.db_dsn(fast_db), "before": before,
               "chain": chain, "orm_run": orm}
    finally:
        if not os.environ.get("RTSTOCK_EQUIVALENCE_KEEP"):
            live.drop_db(orm_db)
            live.drop_db(fast_db)


def test_quants_are_identical(twins):
    orm, fast = quants(twins["orm"]), quants(twins["fast"])
    differ = {k: (orm.get(k), fast.get(k)) for k in orm.keys() | fast.keys()
              if orm.get(k) != fast.get(k)}
    assert not differ, f"quants (ORM, fast path) differ: {sorted(differ.items())[:20]}"


def test_done_move_line_totals_are_identical(twins):
    orm, fast = done_line_totals(twins["orm"]), done_line_totals(twins["fast"])
    differ = {k: (orm.get(k), fast.get(k)) for k in orm.keys() | fast.keys()
              if orm.get(k) != fast.get(k)}
    assert not differ, f"done move-line totals (ORM, fast path) differ: {sorted(differ.items())}"


def test_fast_path_moves_hold_what_the_orm_writes(twins):
    after = twins["before"]["stock_move"]
    orm = _moves_with_lots(twins["orm"], after)
    fast = _moves_with_lots(twins["fast"], after)
    assert fast, "the fast path wrote no move"
    diff = column_diff(orm, fast, _move_key, MOVE_EXCLUDED)
    print("stock_move column diff (fast path vs ORM):\n" + (_summary(diff) or "  none"))
    assert not diff, "stock_move columns differ:\n" + _summary(diff)


def test_fast_path_move_lines_hold_what_the_orm_writes(twins):
    after = twins["before"]["stock_move_line"]
    statement = """
        SELECT l.*, m.picking_type_id AS rrs_type, m.scrapped AS rrs_scrapped,
               m.is_inventory AS rrs_inventory
          FROM stock_move_line l JOIN stock_move m ON m.id = l.move_id
         WHERE l.id > %s ORDER BY l.id"""
    orm, fast = _rows(twins["orm"], statement, (after,)), _rows(twins["fast"], statement, (after,))

    def key(line):
        return (line["product_id"], line["location_id"], line["location_dest_id"],
                line["lot_id"], line["rrs_type"], bool(line["rrs_scrapped"]),
                bool(line["rrs_inventory"]))

    diff = column_diff(orm, fast, key, LINE_EXCLUDED)
    print("stock_move_line column diff (fast path vs ORM):\n" + (_summary(diff) or "  none"))
    assert not diff, "stock_move_line columns differ:\n" + _summary(diff)


def test_valuation_of_fast_path_moves_equals_the_orm(twins):
    """Valuation layers, product costs and account balances equal the ORM's.

    FIFO and average cost depend on the order receipts and sales are valued
    in: the journal keeps each product's moves in read order (it once did
    not, and this test caught it).
    """
    after = twins["before"]["svl"]
    orm, fast = valuation(twins["orm"], after), valuation(twins["fast"], after)
    differ = {k: (orm.get(k), fast.get(k)) for k in orm.keys() | fast.keys()
              if orm.get(k) != fast.get(k)}
    assert not differ, ("valuation layers (qty, value, remaining qty, remaining value) per "
                        f"(product, direction), (ORM, fast path) differ: {sorted(differ.items())}")
    assert standard_prices(twins["orm"]) == standard_prices(twins["fast"])
    orm_acc, fast_acc = account_balances(twins["orm"]), account_balances(twins["fast"])
    assert orm_acc == fast_acc, f"account balances (ORM {orm_acc}, fast path {fast_acc})"


def _assert_only_known(table: str, diff: dict) -> None:
    unknown = {}
    for column, cases in diff.items():
        known = KNOWN_DIFFERENCES.get((table, column))
        if column == "<unmatched>" or not known or any(
                (fast, orm) != known for _key, fast, orm in cases):
            unknown[column] = cases
    assert not unknown, f"{table} columns differ:\n" + _summary(unknown)


def test_fast_path_pickings_and_scraps_hold_what_the_orm_writes(twins):
    for table, key, excluded in (
            ("stock_picking", lambda r: (r["picking_type_id"], r["location_id"],
                                         r["location_dest_id"]), PICKING_EXCLUDED),
            ("stock_scrap", lambda r: (r["product_id"], r["location_id"], r["lot_id"]),
             SCRAP_EXCLUDED)):
        statement = f"SELECT * FROM {table} ORDER BY id"
        orm, fast = _rows(twins["orm"], statement), _rows(twins["fast"], statement)
        ids = {row["id"] for row in orm}
        # Rows both databases had before the movements are not the fast path's.
        fast = [row for row in fast if row["id"] not in ids or row not in orm]
        diff = column_diff(orm, fast, key, excluded)
        print(f"{table} column diff (fast path vs ORM):\n" + (_summary(diff) or "  none"))
        _assert_only_known(table, diff)
