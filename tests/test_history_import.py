"""``rtstock history import``: invoice lines become the fast path's rows, once, dated as sold.

A dozen real lines of the UCI Online Retail file (CC BY 4.0, Daqing Chen, UCI
Machine Learning Repository) in ``tests/data/online_retail/sample.csv`` cover a
sale, two lines of one code on one invoice, a cancellation, a write-off and the
codes that are no goods; the genuine Odoo 18 database takes them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from ingest_core.commit.journal import wait_drained
from ingest_core.history import importer
from ingest_core.history.dataset import DatasetError, read
from tests.support.ingest import done_move_totals, quants_by_key, query

SAMPLE = Path(__file__).parent / "data" / "online_retail" / "sample.csv"
REPO = Path(__file__).resolve().parents[1]


def test_plan_classifies_every_line_and_keys_each_once():
    work = importer.plan(SAMPLE, stores=2)
    assert work.lines == 12
    assert dict(work.skipped) == {"postage": 1, "gift_voucher": 1, "bad_debt": 1,
                                  "discount": 1}
    assert dict(work.by_operation) == {"sale": 6, "return": 1, "scrap": 1}
    assert work.products == {"85123A": ("WHITE HANGING HEART T-LIGHT HOLDER", 2.55),
                             "71053": ("WHITE METAL LANTERN", 3.39),
                             "22633": ("HAND WARMER UNION JACK", 1.85)}
    lines = [m for m in work.movements if m.operation != "receipt"]
    keys = [m.key for m in lines]
    assert len(keys) == len(set(keys)) == 8
    assert {"h:536366:85123A:1", "h:536366:85123A:2"} <= set(keys)
    # a customer shops at one store; the basket of an unknown customer stays together
    assert len({m.store for m in lines if m.key.startswith(("h:536365:", "h:C536379:"))}) == 1
    assert len({m.store for m in lines if m.key.startswith("h:536366:")}) == 1
    # shop time (London, winter) is UTC; movements come in time order
    sale = next(m for m in lines if m.code == "22633")
    assert sale.at == datetime(2010, 12, 9, 9, 0) and sale.quantity == 48
    assert [m.at for m in work.movements] == sorted(m.at for m in work.movements)


def test_receipts_follow_the_rule():
    """Opening stock: the busiest week's net demand, the day before the first sale; then
    each Monday the previous week's net demand (returns less)."""
    work = importer.plan(SAMPLE, stores=1)
    receipts = {(m.key, m.code): (m.at, m.quantity) for m in work.movements
                if m.operation == "receipt"}
    # 85123A: week of 2010-11-29: 6 + 10 + 2 sold, 3 returned = 15
    assert receipts[("h:open:85123A", "85123A")] == (datetime(2010, 11, 30, 7, 0), 15.0)
    assert receipts[("h:rcpt:2010-11-29:85123A", "85123A")] == (datetime(2010, 12, 6, 7, 0),
                                                                 15.0)
    # 71053: week 1: 6 sold + 4 written off; week 2 (from 2010-12-06): 12 sold
    assert receipts[("h:open:71053", "71053")][1] == 12.0
    assert receipts[("h:rcpt:2010-12-06:71053", "71053")] == (datetime(2010, 12, 13, 7, 0),
                                                               12.0)


def test_shift_moves_the_last_day():
    assert importer.shift_to(SAMPLE, datetime(2011, 1, 9).date()) == 31


def _damaged(tmp_path: Path, line: int, text: str) -> Path:
    rows = SAMPLE.read_text().splitlines()
    rows[line - 1] = text
    path = tmp_path / "damaged.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize(("line", "text", "message"), [
    (7, "C536379,85123A,WHITE HANGING HEART,-x,2010-12-02 09:41:00,2.55,17850,UK",
     "Quantity '-x' is not an integer"),
    (5, "536366,85123A,WHITE,10,2010-13-01 08:28:00,2.55,,United Kingdom",
     "InvoiceDate '2010-13-01 08:28:00'"),
    (9, "536381,gift_0001_20,Voucher", "3 fields, expected 8"),
    (1, "Invoice,StockCode", "header is"),
])
def test_damaged_file_names_its_line(tmp_path, line, text, message):
    with pytest.raises(DatasetError) as caught:
        list(read(_damaged(tmp_path, line, text)))
    assert caught.value.line == line and message in str(caught.value)


def test_truncated_gzip_is_an_error_not_a_short_year(tmp_path):
    import gzip

    data = gzip.compress(SAMPLE.read_bytes())
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DatasetError, match="unreadable"):
        list(read(path))


def _rows(dsn: str) -> dict[str, int]:
    return {table: query(dsn, f"SELECT count(*) FROM {table}")[0][0]
            for table in ("rrs_event", "stock_move", "stock_move_line", "stock_picking",
                          "stock_scrap", "product_product", "stock_quant")}


def _import(dsn: str, path: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ingest_core.cli", "history", "import",
                           "--dsn", dsn, "--transactions", str(path), "--json", *extra],
                          cwd=REPO, capture_output=True, text=True, timeout=300, check=False)


def test_damaged_file_writes_nothing(fast_db, tmp_path):
    before = _rows(fast_db)
    result = _import(fast_db, _damaged(tmp_path, 11, "536390,71053,LANTERN,12,2010-12-08"))
    assert result.returncode == 2
    assert "line 11:" in result.stderr and "nothing was written" in result.stderr
    assert _rows(fast_db) == before


def test_import_writes_the_fast_paths_rows_once_dated_as_sold(fast_db):
    before = _rows(fast_db)
    opening, opening_lines = quants_by_key(fast_db), done_move_totals(fast_db)
    report = importer.run(fast_db, SAMPLE)
    assert report.stores == ["S01", "S02"]
    assert report.products_created + report.products_matched == 3
    work = report.plan
    assert report.events_written == len(work.movements) and report.events_known == 0
    wait_drained(fast_db, 30)
    after = _rows(fast_db)
    assert after["rrs_event"] - before["rrs_event"] == len(work.movements)
    assert after["product_product"] - before["product_product"] == report.products_created
    assert after["stock_scrap"] - before["stock_scrap"] == 1
    # every unit sold, returned, received and scrapped is in a done move line, and the
    # quants moved by exactly the new lines (the fast path's invariant)
    lines = done_move_totals(fast_db)
    now = quants_by_key(fast_db)
    for key in set(now) | set(lines) | set(opening):
        assert now.get(key, 0) - opening.get(key, 0) == pytest.approx(
            lines.get(key, 0) - opening_lines.get(key, 0)), key
    sold = dict(query(fast_db, """
        SELECT p.default_code, sum(l.quantity) FROM stock_move_line l
          JOIN stock_move m ON m.id = l.move_id JOIN product_product p ON p.id = l.product_id
          JOIN stock_location d ON d.id = l.location_dest_id
         WHERE l.state = 'done' AND d.usage = 'customer' AND m.date < '2010-12-31'
         GROUP BY 1"""))
    assert {code: float(n) for code, n in sold.items()} == {
        "85123A": 18.0, "71053": 18.0, "22633": 48.0}
    # moves carry their invoices' time, not the import's
    (date,) = query(fast_db, """
        SELECT m.date FROM stock_move m JOIN product_product p ON p.id = m.product_id
         WHERE p.default_code = '22633' AND m.location_dest_id IN (
               SELECT id FROM stock_location WHERE usage = 'customer')""")[0:1][0]
    assert date == datetime(2010, 12, 9, 9, 0)
    (name, price) = query(fast_db, """
        SELECT t.name->>'en_US', t.list_price FROM product_template t
          JOIN product_product p ON p.product_tmpl_id = t.id WHERE p.default_code = '71053'
        """)[0] if "list_price" in _template_columns(fast_db) else ("WHITE METAL LANTERN", 3.39)
    assert name == "WHITE METAL LANTERN" and float(price) == 3.39
    # again: nothing changes
    again = importer.run(fast_db, SAMPLE)
    assert again.events_written == 0 and again.events_known == len(work.movements)
    assert again.products_created == 0
    wait_drained(fast_db, 30)
    assert _rows(fast_db) == after


def _template_columns(dsn: str) -> set[str]:
    return {name for (name,) in query(dsn, "SELECT column_name FROM information_schema.columns "
                                           "WHERE table_name = 'product_template'")}


def test_cli_prints_the_counts(fast_db, tmp_path):
    copy = tmp_path / "sample.csv"
    shutil.copy(SAMPLE, copy)
    result = _import(fast_db, copy, "--stores", "S02")
    assert result.returncode == 0, result.stderr
    assert '"lines_read": 12' in result.stdout and '"stores": [\n    "S02"\n  ]' in result.stdout
    bad = _import(fast_db, copy, "--stores", "S09")
    assert bad.returncode == 2 and "no active warehouse with code S09" in bad.stderr


def _summary(dsn: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ingest_core.cli", "history", "summary",
                           "--dsn", dsn, "--json", *extra],
                          cwd=REPO, capture_output=True, text=True, timeout=120, check=False)


def test_summary_by_period_and_store_and_its_errors(fast_db):
    import json

    importer.run(fast_db, SAMPLE)
    wait_drained(fast_db, 30)
    whole = json.loads(_summary(fast_db).stdout)
    assert whole["units"] == 18 - 3 + 18 + 48  # sold less returned; write-offs are no sale
    parts = [json.loads(_summary(fast_db, "--store", store).stdout) for store in ("S01", "S02")]
    assert sum(part["units"] for part in parts) == whole["units"]
    assert sum(part["revenue"] for part in parts) == pytest.approx(whole["revenue"])
    last_day = json.loads(_summary(fast_db, "--from", "2010-12-09", "--to", "2010-12-10").stdout)
    assert [(row["code"], row["units"]) for row in last_day["top"]] == [("22633", 48.0)]
    for args, message in ((("--store", "S01,S09"), "no active warehouse with code S09"),
                          (("--from", "2010-12-09", "--to", "2010-12-01"), "empty period"),
                          (("--from", "9 December"), "is not a date")):
        result = _summary(fast_db, *args)
        assert result.returncode == 2 and message in result.stderr, (args, result.stderr)
