"""Rollups: always equal to a recomputation from Odoo's done moves, and to a rebuild.

Random reads of every operation go through the real fast path (``rtstock
serve`` + its journal); then some of the new done moves are changed the way
other writers change them: re-dated (the history import), taken out of done
and put back (Odoo's ORM validating a move). After each example, the rollup
rows must equal a plain-Python recomputation from every done move of the
database (local days in a zone far from UTC), and ``rtstock rollup rebuild``
must give the very same rows.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from collections import defaultdict
from datetime import UTC
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest_core.analysis.rebuild import rebuild
from ingest_core.commit.journal import wait_drained
from ingest_core.odoo import rollup
from ingest_core.odoo.catalog import ean13
from ingest_core.resolve.devices import ALL_OPERATIONS
from tests.support.addon_source import constant
from tests.support.ingest import IngestProcess, create_device, post, query

REPO = Path(__file__).resolve().parents[1]
ADDON_SQL = REPO / "addons" / "retail_realtime_stock" / "report" / "rrs_rollup.sql"
ZONE = "America/Los_Angeles"  # local days differ from UTC days for 8 hours a day
_examples = itertools.count()


def test_addon_creates_the_same_functions_as_the_ingest():
    """The add-on's SQL file is FUNCTIONS_DDL, after its comment header."""
    text = ADDON_SQL.read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines(keepends=False)
                     if not line.startswith("-- ")) + "\n"
    assert body.strip() == rollup.FUNCTIONS_DDL.strip(), \
        "addons/retail_realtime_stock/report/rrs_rollup.sql differs from rollup.FUNCTIONS_DDL"


def test_addon_uninstall_drops_what_the_ingest_drops():
    """The add-on's uninstall statements (``DROP_SQL``) are ``rollup.DROP_DDL``'s: a
    trigger added to one and not the other would outlive an uninstall and break every
    stock move once its tables are gone."""
    addon = constant(ADDON_SQL.parent / "rollup_tables.py", "DROP_SQL")
    assert list(addon) == [line.rstrip(";") for line in rollup.DROP_DDL.strip().splitlines()]


def _zero(values) -> bool:
    return all(value == 0 for value in values)


def recompute(dsn: str) -> tuple[list[tuple], ...]:
    """The rollups from every done move, in Python, in the rows' order and shape."""
    locations = {row[0]: row[1:] for row in query(
        dsn, "SELECT id, usage, warehouse_id, coalesce(scrap_location, false) "
             "FROM stock_location")}
    products = {row[0]: row[1:] for row in query(dsn, """
        SELECT p.id, t.uom_id, coalesce(t.list_price, 0), p.standard_price
          FROM product_product p JOIN product_template t ON t.id = p.product_tmpl_id""")}
    zone = ZoneInfo(next(iter(query(dsn, "SELECT value FROM ir_config_parameter WHERE key = %s",
                                    (rollup.TIMEZONE_PARAMETER,))), ("UTC",))[0])
    daily: dict[tuple, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 14)
    places: dict[tuple, tuple] = {}
    hourly: dict[tuple, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 4)
    hour_company: dict[tuple, int] = {}
    for (at, product, source, destination, company, quantity, unit,
         scrapped) in query(dsn, """
            SELECT date, product_id, location_id, location_dest_id, company_id, quantity,
                   product_uom, coalesce(scrapped, false)
              FROM stock_move WHERE state = 'done'"""):
        product_unit, price, costs = products[product]
        assert unit == product_unit, "the test's moves are in their product's unit"
        cost = Decimal(str((costs or {}).get(str(company), 0)))
        quantity = quantity or Decimal(0)
        local = at.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)
        for here, direction, other in ((destination, 1, source), (source, -1, destination)):
            usage, warehouse, _scrap = locations[here]
            if usage != "internal":
                continue
            other_usage, _w, other_scrap = locations[other]
            scrap = scrapped or other_scrap
            sold = quantity if other_usage == "customer" and direction < 0 else 0
            returned = quantity if other_usage == "customer" and direction > 0 else 0
            received = direction * quantity if other_usage == "supplier" else 0
            moved = other_usage in ("internal", "transit")
            scrapped_qty = -direction * quantity if other_usage == "inventory" and scrap else 0
            counted = other_usage == "inventory" and not scrap
            gain = quantity if counted and direction > 0 else 0
            loss = quantity if counted and direction < 0 else 0
            row = daily[(product, here, local.date())]
            places[(product, here, local.date())] = (warehouse, company)
            for index, value in enumerate((
                    sold, returned, received, quantity if moved and direction > 0 else 0,
                    quantity if moved and direction < 0 else 0, scrapped_qty, gain, loss,
                    direction * quantity, sold * price, returned * price,
                    (sold - returned) * cost, (gain - loss) * cost, scrapped_qty * cost)):
                row[index] += value
            if warehouse is not None and (sold or returned):
                key = (warehouse, local.replace(minute=0, second=0, microsecond=0))
                hour_company[key] = company
                for index, value in enumerate((sold, returned, sold * price, returned * price)):
                    hourly[key][index] += value
    daily_rows, closing = [], defaultdict(Decimal)
    for (product, location, day) in sorted(daily):
        values = daily[(product, location, day)]
        if _zero(values):
            continue
        closing[(product, location)] += values[8]
        warehouse, company = places[(product, location, day)]
        daily_rows.append((day, product, location, warehouse, company, *values,
                           closing[(product, location)]))
    hourly_rows = [(hour, warehouse, hour_company[(warehouse, hour)], *values)
                   for (warehouse, hour), values in sorted(hourly.items())
                   if not _zero(values)]
    return (daily_rows, hourly_rows, *_coarse(dsn, daily_rows))


def _coarse(dsn: str, daily_rows: list[tuple]) -> tuple[list[tuple], list[tuple]]:
    """The category and position rows from the daily rows: per store, day and the
    product's *current* category; per key, on hand, the last day with a sale, the last
    day."""
    categories = dict(query(dsn, "SELECT p.id, t.categ_id FROM product_product p "
                                 "JOIN product_template t ON t.id = p.product_tmpl_id"))
    category: dict[tuple, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 5)
    category_company: dict[tuple, int] = {}
    positions: dict[tuple, list] = {}
    for day, product, location, warehouse, company, *values, closing in daily_rows:
        sold, returned = values[0], values[1]
        if warehouse is not None and (sold or returned):
            key = (warehouse, day, categories[product])
            category_company[key] = min(company, category_company.get(key, company))
            for index, value in enumerate((sold, returned, values[9], values[10], values[11])):
                category[key][index] += value
        position = positions.setdefault((product, location), [warehouse, company, 0, None, None])
        position[2], position[4] = closing, day  # rows come in day order: the last is the latest
        if sold > 0:
            position[3] = day
    category_rows = [(day, warehouse, categ, category_company[(warehouse, day, categ)], *values)
                     for (warehouse, day, categ), values in sorted(category.items())]
    position_rows = [(product, location, *rest)
                     for (product, location), rest in sorted(positions.items())]
    return category_rows, position_rows


def _normal(rows) -> list[tuple]:
    """Numbers compared as numbers (0 == 0.00)."""
    return [tuple(Decimal(v).normalize() if isinstance(v, Decimal | int) and not isinstance(
        v, bool) else v for v in row) for row in rows]


def _rollups(dsn: str) -> tuple[list[tuple], ...]:
    connection = psycopg2.connect(dsn)
    try:
        with connection.cursor() as cur:
            return (list(rollup.daily_rows(cur)), list(rollup.hourly_rows(cur)),
                    list(rollup.category_rows(cur)), list(rollup.position_rows(cur)))
    finally:
        connection.close()


@pytest.fixture(scope="module")
def service(module_db):
    rebuild(module_db, ZONE)
    devices = {store: create_device(module_db, name=f"rollup-{store}", warehouse_id=warehouse,
                                    location_id=location, allowed=ALL_OPERATIONS)[1]
               for store, warehouse, location in (("S01", 2, 18), ("S02", 3, 24))}
    with IngestProcess(module_db) as process:
        yield process, devices, module_db


read = st.tuples(st.sampled_from(["S01", "S02"]), st.sampled_from(ALL_OPERATIONS),
                 st.integers(0, 5), st.integers(1, 4), st.integers(0, 9))
edit = st.tuples(st.sampled_from(["backdate", "undone_then_done", "forward", "recategorise"]),
                 st.integers(0, 10_000), st.integers(1, 40), st.integers(0, 23))


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(reads=st.lists(read, min_size=1, max_size=25), edits=st.lists(edit, max_size=6))
def test_rollups_equal_the_done_moves_and_a_rebuild(service, reads, edits):
    """After any mix of operations and later edits of the moves: rollups == recomputation
    from the done moves == rebuild."""
    process, devices, dsn = service
    prefix = f"r{next(_examples)}"
    (first_new,) = query(dsn, "SELECT coalesce(max(id), 0) + 1 FROM stock_move")[0]
    by_store: dict[str, list[dict]] = defaultdict(list)
    for store, operation, product, quantity, key in reads:
        by_store[store].append({"key": f"{prefix}-{store}-{key}", "code": ean13(product),
                                "op": operation, "qty": quantity})
    for store, body in by_store.items():
        response = post(process.url, devices[store], body)
        assert response.status_code == 200, response.text
    wait_drained(dsn, 60)
    new = [row[0] for row in query(dsn, "SELECT id FROM stock_move WHERE id >= %s "
                                        "AND state = 'done' ORDER BY id", (first_new,))]
    for kind, pick, days, hours in edits:
        if not new:
            break
        move = new[pick % len(new)]
        if kind == "backdate":  # the history import dates moves as their invoices
            query(dsn, "UPDATE stock_move SET date = date - make_interval(days => %s, "
                       "hours => %s) WHERE id = %s", (days, hours, move))
        elif kind == "recategorise":  # a buyer moves the product to another category
            query(dsn, """UPDATE product_template t SET categ_id = (
                               SELECT c.id FROM product_category c WHERE c.id <> t.categ_id
                                ORDER BY c.id OFFSET %s %% (SELECT count(*) - 1
                                                             FROM product_category) LIMIT 1)
                            FROM product_product p, stock_move m
                           WHERE m.id = %s AND p.id = m.product_id
                             AND t.id = p.product_tmpl_id""", (days, move))
        elif kind == "forward":
            query(dsn, "UPDATE stock_move SET date = date + make_interval(hours => %s) "
                       "WHERE id = %s", (hours, move))
        else:  # Odoo's ORM: a move that is not done, then validated (state and date)
            query(dsn, "UPDATE stock_move SET state = 'assigned' WHERE id = %s", (move,))
            query(dsn, "UPDATE stock_move SET state = 'done', date = date - make_interval("
                       "hours => %s) WHERE id = %s", (hours, move))
    live = _rollups(dsn)
    expected = recompute(dsn)
    assert _normal(live[0]) == _normal(expected[0]), "daily rollup differs from the moves"
    assert _normal(live[1]) == _normal(expected[1]), "hourly rollup differs from the moves"
    assert _normal(live[2]) == _normal(expected[2]), "category rollup differs from the moves"
    assert _normal(live[3]) == _normal(expected[3]), "stock positions differ from the moves"
    rebuild(dsn)
    assert _rollups(dsn) == live, "a rebuild gives other rows than the triggers kept"


def test_rollups_follow_the_history_import_and_the_cli_rebuilds_them(fast_db):
    """The real year's sample through the importer (moves re-dated after the journal):
    the rollups hold its sales on the invoices' local days; the CLI rebuild agrees."""
    from ingest_core.history import importer

    importer.run(fast_db, REPO / "tests" / "data" / "online_retail" / "sample.csv")
    wait_drained(fast_db, 30)
    sold = dict(query(fast_db, """
        SELECT p.default_code, sum(d.qty_sold - d.qty_returned) FROM rrs_stock_daily d
          JOIN product_product p ON p.id = d.product_id
         WHERE d.day < '2011-01-01' GROUP BY 1"""))
    assert {code: float(n) for code, n in sold.items()} == {
        "85123A": 15.0, "71053": 18.0, "22633": 48.0}
    live = _rollups(fast_db)
    assert [_normal(rows) for rows in live] == [_normal(rows) for rows in recompute(fast_db)]
    result = subprocess.run([sys.executable, "-m", "ingest_core.cli", "rollup", "rebuild",
                             "--dsn", fast_db, "--json"], cwd=REPO, capture_output=True,
                            text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["daily_rows"] == len(live[0]) and report["timezone"] == "UTC"
    assert _rollups(fast_db) == live
    bad = subprocess.run([sys.executable, "-m", "ingest_core.cli", "rollup", "rebuild",
                          "--dsn", fast_db, "--timezone", "Mars/Olympus_Mons"], cwd=REPO,
                         capture_output=True, text=True, timeout=120, check=False)
    assert bad.returncode == 2 and "Mars/Olympus_Mons" in bad.stderr
    assert "nothing was changed" in bad.stderr and _rollups(fast_db) == live


def test_a_day_without_movement_leaves_no_row(fast_db):
    """Moving every move of a day away removes the day's row, as a rebuild would."""
    (moves,) = query(fast_db, "SELECT count(*) FROM stock_move WHERE state = 'done'")[0]
    assert moves, "the template has opening stock"
    query(fast_db, "UPDATE stock_move SET date = date - interval '3 days'")
    days = {day for (day,) in query(fast_db, "SELECT DISTINCT day FROM rrs_stock_daily")}
    expected = {row[0] for row in recompute(fast_db)[0]}
    assert days == expected


def test_orm_order_of_writes_done_before_quantity(fast_db):
    """Odoo's ORM may write ``state = 'done'`` while the quantity is still empty, then the
    quantity: the first write must not fail, and the second completes the rollup."""
    (move, quantity) = query(fast_db, "SELECT id, quantity FROM stock_move WHERE state = 'done' "
                                      "ORDER BY id LIMIT 1")[0]
    query(fast_db, "UPDATE stock_move SET state = 'assigned', quantity = NULL WHERE id = %s",
          (move,))
    query(fast_db, "UPDATE stock_move SET state = 'done' WHERE id = %s", (move,))
    query(fast_db, "UPDATE stock_move SET quantity = %s WHERE id = %s", (quantity, move))
    assert [_normal(rows) for rows in _rollups(fast_db)] == [
        _normal(rows) for rows in recompute(fast_db)]
