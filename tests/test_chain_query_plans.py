"""No statement the writer or the journal runs reads all of a big table (issue 17).

On three stores every table is small and a sequential scan is often the
planner's best choice; on a chain it is the statement that takes a store down.
This test generates a chain large enough for PostgreSQL to prefer an index
(``STORES`` x ``SKUS``: 60 000 store quants, ~45 000 done moves of history,
``EARLIER_EVENTS`` events in the log, all analysed), sends it a store's mixed
traffic (scanners, POS gates, exit and dock readers, a count session) and every
other operation, and has PostgreSQL's ``auto_explain`` log the plan of every
statement the ingest's connections run, the ones inside the add-on's triggers
and functions included (``log_nested_statements``). It fails on any plan that
reads ``stock_quant``, ``stock_move``, ``stock_move_line`` or ``rrs_event``
whole, naming the statement.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import psycopg2
import pytest

from ingest_core.bench.loadgen import PROVISION, mixed_kinds, run_load
from ingest_core.chain.generate import ChainSpec, generate
from ingest_core.odoo import sql
from ingest_core.odoo.chain_history import barcode
from tests.support.ingest import IngestProcess, create_device, post, query

ADDON_QUANT = (Path(__file__).parents[1] / "addons" / "retail_realtime_stock" / "models"
               / "stock_quant.py")
STORES, SKUS = 40, 1500
EARLIER_EVENTS = 200_000
WATCHED = ("stock_quant", "stock_move", "stock_move_line", "rrs_event")
AUTO_EXPLAIN = {"session_preload_libraries": "auto_explain",
                "auto_explain.log_min_duration": "0",
                "auto_explain.log_nested_statements": "on",
                "auto_explain.log_format": "json"}


@pytest.fixture
def chain_db(real_addon_db):
    connection = psycopg2.connect(real_addon_db)
    try:
        made = generate(connection, ChainSpec(stores=STORES, skus=SKUS, history_days=3,
                                              events_per_day=1500))
    finally:
        connection.close()
    device, _token = create_device(real_addon_db, name="old-till",
                                   **_store(real_addon_db, made, 0))
    # A log with months of earlier reads, already journaled (no batch left to claim).
    query(real_addon_db, """
        INSERT INTO rrs_event (device_id, read_key, read_at, received_at, operation, code,
                               product_id, quantity, location_id, location_dest_id,
                               warehouse_id, company_id)
        SELECT %s, 'old:' || g, now() - interval '90 days' + g * interval '30 seconds',
               now() - interval '90 days' + g * interval '30 seconds', 'sale', p.barcode,
               p.id, 1, %s, 5, %s, 1
          FROM generate_series(1, %s) g
          JOIN product_product p ON p.id = %s + g %% %s""",
          (device, made["store_locations"][0], _store(real_addon_db, made, 0)["warehouse_id"],
           EARLIER_EVENTS,
           made["product_ids"][0], SKUS))
    connection = psycopg2.connect(real_addon_db)
    connection.autocommit = True
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    connection.close()
    return real_addon_db, made


def _plans(log: str) -> list[dict]:
    """The JSON plans ``auto_explain`` wrote into a piece of the server log."""
    plans = []
    for match in re.finditer(r"plan:\n((?:\t.*\n?)+)", log):
        text = "".join(line[1:] + "\n" for line in match.group(1).splitlines())
        plans.append(json.loads(text))
    return plans


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


def _scans(plans: list[dict]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for plan in plans:
        for node in _nodes(plan["Plan"]):
            if node["Node Type"] == "Seq Scan" and node.get("Relation Name") in WATCHED:
                found.setdefault(node["Relation Name"], set()).add(
                    " ".join(plan["Query Text"].split())[:400])
    return found


def _store(dsn: str, made: dict, n: int) -> dict:
    """Device placement in the chain's ``n``-th store."""
    location = made["store_locations"][n]
    (warehouse,), = query(dsn, "SELECT warehouse_id FROM stock_location WHERE id = %s",
                          (location,))
    return {"warehouse_id": warehouse, "location_id": location}


def _fleet(dsn: str, made: dict) -> tuple[list[str], list[str]]:
    kinds = mixed_kinds(16)
    tokens = []
    for n, kind in enumerate(kinds):
        device_kind, role, allowed = PROVISION[kind]
        tokens.append(create_device(
            dsn, name=f"plan-{kind}-{n}", kind=device_kind, rfid_role=role, allowed=allowed,
            **_store(dsn, made, n % 2))[1])
    return tokens, kinds


def test_writer_and_journal_read_big_tables_through_indexes(chain_db, pg_server):
    dsn, made = chain_db
    (database,), = query(dsn, "SELECT current_database()")
    tokens, kinds = _fleet(dsn, made)
    _device, clerk = create_device(dsn, name="plan-clerk", **_store(dsn, made, 2))
    for name, value in AUTO_EXPLAIN.items():
        query(dsn, f'ALTER DATABASE "{database}" SET {name} = \'{value}\'')
    server_log = pg_server.base / "server.log"
    offset = server_log.stat().st_size
    ingest = IngestProcess(dsn).start()
    try:
        result = run_load(ingest.url, tokens, kinds=kinds, seconds=4, products=SKUS,
                          batch=50, chain=True)
        # Every other operation a store's scanners send, on products of all ranks.
        reads = [{"key": f"op-{op}-{n}", "code": barcode(1 + n * 97 % SKUS), "op": op}
                 for op in ("sale", "return", "receipt", "scrap", "count", "transfer_out")
                 for n in range(20)]
        answer = post(ingest.url, clerk, reads)
        assert answer.status_code == 200, answer.text
    finally:
        ingest.stop()
        for name in AUTO_EXPLAIN:
            query(dsn, f'ALTER DATABASE "{database}" RESET {name}')
    assert result.reads > 1000 and not result.failures, result.as_dict()
    with open(server_log, errors="replace") as log:
        log.seek(offset)
        plans = _plans(log.read())
    texts = " ".join(plan["Query Text"] for plan in plans)
    # The capture saw the writer, the journal and the add-on's triggers.
    for statement in ("INSERT INTO rrs_event", "stock_move", "rrs_rollup_apply", "rrs_epc"):
        assert statement in texts, f"no plan of a statement with {statement!r}"
    assert _scans(plans) == {}, json.dumps({t: sorted(q) for t, q in _scans(plans).items()},
                                           indent=1)
    # A key's quant is found by one probe of the add-on's index, not through every store's
    # quant of the product (Odoo's product_id index).
    lookups = [plan for plan in plans
               if "ORDER BY q.in_date, q.id LIMIT 1" in plan["Query Text"]]  # find_quant_ids
    assert lookups
    for plan in lookups:
        assert {node.get("Index Name") for node in _nodes(plan["Plan"])
                if "Index Name" in node} == {"rrs_stock_quant_key_idx"}, plan


def test_the_addon_creates_the_quant_index_the_ingest_declares():
    source = ADDON_QUANT.read_text()
    tree = ast.parse(source)
    (value,), = ([node.value for node in ast.walk(tree) if isinstance(node, ast.Assign)
                  and getattr(node.targets[0], "id", None) == "QUANT_KEY_INDEX"],)
    assert ast.literal_eval(value) == sql.QUANT_KEY_INDEX
    assert "self.env.cr.execute(QUANT_KEY_INDEX)" in source
