"""The real year (UCI Online Retail, CC BY 4.0) through ``rtstock history import``: the
figures Odoo then holds equal a plain computation on the CSV.

The import runs once (about three minutes) into a fresh copy of the genuine Odoo 18
database; the oracle below reads the CSV with nothing but the csv module and the
rules of ``shared/datasets/online_retail/SOURCE.md`` ("Known quirks"), written out
again here rather than imported from the importer.
"""

from __future__ import annotations

import csv
import gzip
import os
from collections import Counter, defaultdict
from pathlib import Path

import psycopg2
import pytest

from ingest_core.history import figures, importer

DATA = Path(os.environ.get("RTSTOCK_ONLINE_RETAIL", Path(__file__).resolve().parents[2]
                           / "shared" / "datasets" / "online_retail" / "transactions.csv.gz"))
NOT_GOODS = {"POST", "DOT", "C2", "M", "m", "D", "S", "BANK CHARGES", "AMAZONFEE", "CRUK",
             "PADS", "B"}

pytestmark = [pytest.mark.slow, pytest.mark.real_odoo_db]


def _plain_year() -> dict:
    """Lines, skips and per-code net units and price, straight from the CSV."""
    lines, skipped, kinds = 0, 0, Counter()
    net: dict[str, int] = defaultdict(int)
    prices: dict[str, Counter] = defaultdict(Counter)
    sold: set[str] = set()
    with gzip.open(DATA, "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            lines += 1
            code, invoice, quantity = row["StockCode"], row["InvoiceNo"], int(row["Quantity"])
            if (invoice.startswith("A") or code in NOT_GOODS or code.startswith("gift_")
                    or code.startswith("DCGS")):
                skipped += 1
                continue
            if invoice.startswith("C"):
                kinds["return"] += 1
                net[code] += quantity  # negative
                sold.add(code)
            elif quantity > 0:
                kinds["sale"] += 1
                net[code] += quantity
                sold.add(code)
                if float(row["UnitPrice"]) > 0:
                    prices[code][float(row["UnitPrice"])] += 1
            else:
                kinds["scrap"] += 1
    price = {code: max(found.items(), key=lambda item: (item[1], item[0]))[0]
             for code, found in prices.items()}
    revenue = {code: round(net[code] * price.get(code, 0.0), 2) for code in sold}
    return {"lines": lines, "skipped": skipped, "kinds": kinds, "net": net, "sold": sold,
            "revenue": revenue}


@pytest.fixture(scope="module")
def imported(pg_server, real_addon_template):
    if not DATA.exists():
        pytest.skip(f"the UCI Online Retail file is absent ({DATA}; set RTSTOCK_ONLINE_RETAIL)")
    if os.environ.get("RTSTOCK_PURE_PYTHON"):
        pytest.skip("the import uses no hot-path stage: it ran in the compiled pass")
    from ingest_core.odoo import templates

    name = "history_year"
    dsn = templates.clone(pg_server, real_addon_template, name)
    try:
        report = importer.run(dsn, DATA)
        connection = psycopg2.connect(dsn)
        try:
            with connection.cursor() as cur:
                rows = figures.product_sales(cur)
        finally:
            connection.close()
        yield report, rows
    finally:
        templates.drop(pg_server, name)


def test_importer_counts_match_the_file(imported):
    report, _rows = imported
    plain = _plain_year()
    counts = report.as_dict()
    assert counts["lines_read"] == plain["lines"] == 541_909
    assert counts["skipped_total"] == plain["skipped"]
    assert counts["lines_by_operation"] == dict(plain["kinds"])
    assert counts["events_written"] == counts["movements"] and counts["events_already_there"] == 0
    assert counts["moves_written"] > 0


def test_year_figures_in_odoo_equal_the_csv(imported):
    _report, rows = imported
    plain = _plain_year()
    got = figures.summary(rows)
    assert got["units"] == sum(plain["net"][code] for code in plain["sold"])
    assert got["revenue"] == pytest.approx(sum(plain["revenue"].values()), abs=0.01 * len(rows))
    assert got["products"] == len(plain["sold"])
    ranked = sorted(plain["sold"], key=lambda code: (-plain["revenue"][code], code))
    assert [row["code"] for row in got["top"]] == ranked[:10]
    for row in got["top"]:
        assert row["units"] == plain["net"][row["code"]]
        assert row["revenue"] == pytest.approx(plain["revenue"][row["code"]], abs=0.01)
    total, running, abc = sum(plain["revenue"].values()), 0.0, Counter()
    for code in ranked:  # A: the products within the first 80 % of revenue, B: 95 %
        share = running / total
        abc["A" if share < 0.80 else "B" if share < 0.95 else "C"] += 1
        running += plain["revenue"][code]
    assert {k: v["products"] for k, v in got["abc"].items()} == dict(abc)
