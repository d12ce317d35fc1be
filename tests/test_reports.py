"""``rtstock report``: every report in every format, figures equal to a plain computation,
and a clear error (exit 2) for every bad parameter.

The genuine Odoo 18 database (``fast_path_template``) takes the dozen real lines of
``tests/data/online_retail/sample.csv`` (UCI Online Retail, CC BY 4.0) through
``rtstock history import``, so the rollups are those of genuine done moves: 85123A
sold 18 and 3 returned (net 15), 71053 sold 18 and 4 written off, 22633 sold 48.
The customers' rule puts every sale and return in S02 and the write-off in S01. One
count session at S02 (two lines, one of them off by 2) is added for the counts report.
The database is shared by the module's tests; none of them writes to it afterwards.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from ingest_core import cli
from ingest_core.commit.journal import wait_drained
from ingest_core.history import importer
from ingest_core.history.importer import COST_SHARE
from ingest_core.reports import build, figures
from tests.support.ingest import create_device, query

SAMPLE = Path(__file__).parent / "data" / "online_retail" / "sample.csv"
REPO = Path(__file__).resolve().parents[1]
PERIOD = ("--from", "2010-12-01", "--to", "2010-12-09")
NET_UNITS = {"85123A": 15.0, "71053": 18.0, "22633": 48.0}
PRICES = {"85123A": 2.55, "71053": 3.39, "22633": 1.85}
NAMES = {"85123A": "WHITE HANGING HEART T-LIGHT HOLDER", "71053": "WHITE METAL LANTERN",
         "22633": "HAND WARMER UNION JACK"}


@pytest.fixture(scope="module")
def sample_db(module_db):
    importer.run(module_db, SAMPLE)
    wait_drained(module_db, 30)
    # a count at S02's stock: 85123A as recorded, 71053 two short of the record
    query(module_db, """
        WITH w AS (SELECT id, lot_stock_id, company_id FROM stock_warehouse WHERE code = 'S02'),
        s AS (INSERT INTO rrs_count_session (name, warehouse_id, location_id, company_id,
                                             state, started_at, closed_at)
              SELECT 'Count 1', id, lot_stock_id, company_id, 'closed', '2010-12-05 18:00',
                     '2010-12-05 18:30' FROM w RETURNING id, location_id)
        INSERT INTO rrs_count_line (session_id, product_id, location_id, expected, counted)
        SELECT s.id, p.id, s.location_id, x.expected, x.counted
          FROM s, (VALUES ('85123A', 5, 5), ('71053', 6, 4)) AS x(code, expected, counted)
          JOIN product_product p ON p.default_code = x.code""")
    return module_db


def _report(dsn: str, kind: str, out: Path, *extra: str) -> int:
    return cli.main(["report", kind, "--dsn", dsn, *PERIOD, "--out", str(out), *extra])


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ingest_core.cli", "report", *args],
                          cwd=REPO, capture_output=True, text=True, timeout=120, check=False)


def _sheet_rows(path: Path, sheet: str) -> list[dict]:
    rows = list(load_workbook(path, read_only=True)[sheet].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


@pytest.mark.parametrize("kind", build.KINDS)
@pytest.mark.parametrize("output_format", ["pdf", "xlsx", "html"])
def test_each_report_in_each_format(sample_db, tmp_path, kind, output_format):
    """Each report is written in each format, names the store and credits the data."""
    out = tmp_path / f"{kind}.{output_format}"
    store = "S01" if kind == "shrink" else "S02"  # where the sample's write-off / sales are
    assert _report(sample_db, kind, out, "--store", store) == 0
    data = out.read_bytes()
    if output_format == "pdf":
        assert data.startswith(b"%PDF")
        text = "\n".join(page.extract_text() for page in PdfReader(out).pages)
        assert store in text and "UCI Online Retail" in text
        if kind in ("sales", "stock"):
            assert "22633" in text or "85123A" in text, text[:2000]
    elif output_format == "xlsx":
        book = load_workbook(out)
        assert book.sheetnames[0] == "Summary"
        summary = [cell for row in book["Summary"].iter_rows(values_only=True) for cell in row]
        assert f"store {store}" in summary
        assert any("UCI Online Retail" in str(cell) for cell in summary)
    else:
        page = data.decode()
        assert store in page and "UCI Online Retail" in page and "CC BY 4.0" in page
        if kind != "counts":
            assert '<img alt="' in page and 'src="data:image/png;base64,' in page


def test_sales_workbook_has_the_samples_units_as_numbers(sample_db, tmp_path):
    """Units and revenue per product are numeric cells equal to the sample's figures."""
    out = tmp_path / "sales.xlsx"
    assert _report(sample_db, "sales", out) == 0
    rows = {row["Code"]: row for row in _sheet_rows(out, "Products")}
    assert {code: row["Net units"] for code, row in rows.items()} == NET_UNITS
    assert all(isinstance(row["Net revenue"], float | int) for row in rows.values())
    for code, row in rows.items():
        assert row["Net revenue"] == pytest.approx(NET_UNITS[code] * PRICES[code])
        assert row["Product"] == NAMES[code]
    book = load_workbook(out)
    cell = book["Products"]["E2"]
    assert cell.data_type == "n" and cell.number_format == "#,##0", cell.number_format
    assert book["Products"]["G2"].number_format == "#,##0.00"
    assert len(book["Charts"]._images) == 3  # trend, heatmap, Pareto
    stores = _sheet_rows(out, "Sales per store")
    assert sum(row["Net units"] for row in stores) == sum(NET_UNITS.values())
    summary = dict(row[:2] for row in load_workbook(out)["Summary"].iter_rows(values_only=True)
                   if row[0])
    assert summary["Units sold"] == 18 + 18 + 48 and summary["Units returned"] == 3
    assert summary["Net revenue (list price)"] == pytest.approx(
        sum(NET_UNITS[c] * PRICES[c] for c in NET_UNITS))


def test_abc_classes_equal_a_plain_computation(sample_db):
    """ABC from the rollups equals the rule applied by hand to the sample's revenues."""
    revenue = {code: NET_UNITS[code] * PRICES[code] for code in NET_UNITS}
    total, running, expected = sum(revenue.values()), 0.0, {}
    for code in sorted(revenue, key=revenue.get, reverse=True):
        expected[code] = "A" if running / total < 0.8 else "B" if running / total < 0.95 else "C"
        running += revenue[code]
    import psycopg2

    connection = psycopg2.connect(sample_db)
    try:
        with connection.cursor() as cur:
            stores = dict(query(sample_db, "SELECT id, code FROM stock_warehouse"))
            scope = figures.Scope(date(2010, 12, 1), date(2010, 12, 9), stores)
            products = figures.product_sales(cur, scope)
    finally:
        connection.close()
    assert dict(zip(products["code"], products["abc"], strict=True)) == expected
    assert list(products["code"]) == sorted(revenue, key=revenue.get, reverse=True)
    assert products["cumulative_share"].iloc[-1] == pytest.approx(1.0)


def test_stock_on_hand_equals_the_quants(sample_db, tmp_path):
    """On hand per product and store equals Odoo's quants (the fast path's invariant)."""
    out = tmp_path / "stock.xlsx"
    assert _report(sample_db, "stock", out, "--to", "2030-01-01") == 0
    rows = _sheet_rows(out, "Stock status")
    got = {(row["Store"], row["Code"]): row["On hand"] for row in rows
           if row["Code"] in NET_UNITS}
    quants = {(store, code): float(n) for store, code, n in query(sample_db, """
        SELECT w.code, p.default_code, sum(q.quantity) FROM stock_quant q
          JOIN stock_location l ON l.id = q.location_id AND l.usage = 'internal'
          JOIN stock_warehouse w ON w.id = l.warehouse_id
          JOIN product_product p ON p.id = q.product_id
         WHERE p.default_code = ANY(%s) GROUP BY 1, 2""", (list(NET_UNITS),))}
    assert got == {key: n for key, n in quants.items() if n != 0}
    assert all(isinstance(row["On hand"], int | float) for row in rows)


def test_counts_report_accuracy_and_discrepancies(sample_db, tmp_path):
    out = tmp_path / "counts.xlsx"
    assert _report(sample_db, "counts", out) == 0
    (session,) = _sheet_rows(out, "Count sessions")
    assert (session["Store"], session["Lines"], session["Accuracy"]) == ("S02", 2, 0.5)
    assert (session["Units over"], session["Units short"]) == (0, 2)
    (line,) = _sheet_rows(out, "Discrepancies")
    assert (line["Code"], line["Record"], line["Counted"], line["Difference"]) == (
        "71053", 6, 4, -2)
    assert line["At cost"] == pytest.approx(-2 * round(PRICES["71053"] * COST_SHARE, 2))


def test_shrink_report_counts_the_write_off(sample_db, tmp_path):
    """The sample's write-off (4 x 71053) is the shrink, at cost."""
    out = tmp_path / "shrink.xlsx"
    assert _report(sample_db, "shrink", out) == 0
    stores = _sheet_rows(out, "Shrink per store")
    assert sum(row["Scrapped"] for row in stores) == 4
    cost = round(PRICES["71053"] * COST_SHARE, 2)
    assert sum(row["Scraps at cost"] for row in stores) == pytest.approx(4 * cost)
    assert sum(row["Shrink at cost"] for row in stores) == pytest.approx(4 * cost)


@pytest.mark.parametrize(("kind", "message"), [
    ("sales", "No sales in the period 2009-01-01 to 2009-01-31."),
    ("stock", "No stock and no sales recorded up to 2009-01-31."),
    ("counts", "No count sessions started in the period 2009-01-01 to 2009-01-31."),
    ("shrink", "No scraps and no count differences in the period 2009-01-01 to 2009-01-31."),
])
def test_empty_period_is_a_report_saying_so(sample_db, tmp_path, kind, message):
    for output_format in ("html", "xlsx", "pdf"):
        out = tmp_path / f"empty.{output_format}"
        assert cli.main(["report", kind, "--dsn", sample_db, "--from", "2009-01-01", "--to",
                         "2009-01-31", "--out", str(out)]) == 0
    assert message in (tmp_path / "empty.html").read_text()
    assert (tmp_path / "empty.pdf").read_bytes().startswith(b"%PDF")
    summary = [row[0] for row in load_workbook(tmp_path / "empty.xlsx")["Summary"].iter_rows(
        values_only=True)]
    assert message in summary


def test_store_filter_keeps_to_the_stores_asked_for(sample_db, tmp_path):
    """Every sale is S02's: S01's sales report is empty, the two add up to the chain's."""
    assert _report(sample_db, "sales", tmp_path / "s01.html", "--store", "S01") == 0
    assert "No sales in the period" in (tmp_path / "s01.html").read_text()
    assert _report(sample_db, "sales", tmp_path / "s02.xlsx", "--store", "S02") == 0
    assert _report(sample_db, "sales", tmp_path / "all.xlsx") == 0
    per_store = {row["Store"]: row["Net units"]
                 for row in _sheet_rows(tmp_path / "all.xlsx", "Sales per store")}
    assert per_store == {"S02": sum(NET_UNITS.values())}
    assert _sheet_rows(tmp_path / "s02.xlsx", "Products") == _sheet_rows(
        tmp_path / "all.xlsx", "Products")


@pytest.mark.parametrize(("args", "message"), [
    (("--store", "S01,S09"), "unknown store: no active warehouse with code S09"),
    (("--from", "2010-12-09", "--to", "2010-12-01"), "--from 2010-12-09 is after --to "
                                                      "2010-12-01"),
    (("--format", "docx"), "unknown format: --format docx"),
    (("--out", "{tmp}/report.txt"), "unknown format: --out suffix .txt"),
    (("--out", "{tmp}/missing/report.pdf"), "folder {tmp}/missing does not exist"),
    (("--out", "{tmp}"), "is a directory"),
    (("--from", "9 December"), "'9 December' is not a date"),
    (("--dsn", "host=/nonexistent dbname=x"), "cannot connect to --dsn"),
])
def test_bad_parameters_exit_2_with_a_message(sample_db, tmp_path, args, message):
    """Each bad parameter: exit 2, one message naming it, no traceback, no file."""
    base = {"--dsn": sample_db, "--from": PERIOD[1], "--to": PERIOD[3],
            "--out": str(tmp_path / "report.pdf")}
    given = dict(zip(args[::2], (value.format(tmp=tmp_path) for value in args[1::2]),
                     strict=True))
    argv = [part for key, value in {**base, **given}.items() for part in (key, value)]
    result = _cli("sales", *argv)
    assert result.returncode == 2, result.stderr
    assert message.format(tmp=tmp_path) in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "report.pdf").exists()


def test_database_without_rollups_is_a_clear_error(real_db, tmp_path):
    result = _cli("stock", "--dsn", real_db, *PERIOD, "--out", str(tmp_path / "s.pdf"))
    assert result.returncode == 2 and "has no rollup tables" in result.stderr, result.stderr


def test_shrink_report_shows_rfid_exit_losses_apart(sample_db, tmp_path):
    """Tags an RFID exit reader saw leave unsold (read key ``epc:<EPC>:shrink``) are
    shown per store beside the count losses they are part of, at the product's cost;
    reads outside the period and other stores are not counted."""
    device_id, _token = create_device(sample_db, name="S01-EXIT-SHRINK", kind="rfid_fixed",
                                      rfid_role="exit")
    query(sample_db, """
        INSERT INTO rrs_event (device_id, read_key, read_at, received_at, operation, code,
                               product_id, quantity, location_id, location_dest_id,
                               warehouse_id, company_id)
        SELECT %s, 'epc:' || n || ':shrink', at, at, 'count', 'epc', p.id, 1, 18, 14, 2, 1
          FROM product_product p,
               (VALUES (1, timestamp '2010-12-03 12:00'), (2, timestamp '2010-12-04 09:00'),
                       (3, timestamp '2011-01-20 09:00')) AS x(n, at)
         WHERE p.default_code = '71053'""", (device_id,))
    out = tmp_path / "shrink-exits.xlsx"
    assert _report(sample_db, "shrink", out) == 0
    stores = {row["Store"]: row for row in _sheet_rows(out, "Shrink per store")}
    assert stores["S01"]["of which RFID exits"] == 2
    assert stores["S01"]["RFID exits at cost"] == pytest.approx(
        2 * round(PRICES["71053"] * COST_SHARE, 2))
    assert all(row["of which RFID exits"] == 0 for store, row in stores.items()
               if store != "S01")
