"""``rtstock demo``'s sales history: imported once into a cache, then restored without importing.

The dozen real lines of ``tests/data/online_retail/sample.csv`` (UCI Online
Retail, Daqing Chen, UCI Machine Learning Repository, CC BY 4.0) stand for the
year; the cache lives under pytest's temporary directory. The database is the
genuine Odoo 18 one where ../shared/odoo18 is present, else the own schema
(both take the import).
"""

from __future__ import annotations

import io
import json
import re
import shutil
import socket
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from rich.console import Console

from ingest_core.demo import history as demo_history
from ingest_core.demo.history import HistoryOptions, HistoryState
from ingest_core.demo.run import DemoOptions, run_demo
from ingest_core.history import importer
from tests.support.ingest import query

SAMPLE = Path(__file__).parent / "data" / "online_retail" / "sample.csv"
SOLD = {"22633": 48.0, "71053": 18.0, "85123A": 18.0}  # units sold per stock code


@dataclass
class Opened:
    state: HistoryState
    sold: dict[str, float]
    timezone: str
    output: str


def _open(options: HistoryOptions) -> Opened:
    """``prepare`` the demo's database, read what the analysis would, stop the server."""
    console = Console(file=io.StringIO(), width=200)
    server, dsn, state = demo_history.prepare(options, console)
    try:
        sold = dict(query(dsn, """
            SELECT p.default_code, sum(d.qty_sold)::float FROM rrs_stock_daily d
              JOIN product_product p ON p.id = d.product_id
             WHERE p.default_code = ANY(%s) GROUP BY 1""", (list(SOLD),)))
        zone = query(dsn, "SELECT value FROM ir_config_parameter WHERE key = "
                          "'retail_realtime_stock.rollup_timezone'")
    finally:
        server.stop()
    return Opened(state, sold, zone[0][0] if zone else "", console.file.getvalue())


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[HistoryOptions, Opened]:
    """The first run on an empty cache: it imports and caches."""
    base = tmp_path_factory.mktemp("demo-history")
    transactions = base / "sample.csv"
    shutil.copy(SAMPLE, transactions)
    options = HistoryOptions(transactions=transactions, cache_dir=base / "cache")
    return options, _open(options)


def _entries(options: HistoryOptions) -> list[Path]:
    return sorted((options.cache_dir / "demo-history").iterdir())


def test_first_run_imports_rolls_up_and_caches(built):
    """The first run imports the sample, rolls it up in London time and keeps the cluster."""
    options, first = built
    state = first.state
    assert state.loaded and state.imported and not state.cache_hit, state
    assert first.sold == SOLD, "rrs_stock_daily holds the sample's sales"
    assert first.timezone == "Europe/London"
    assert state.last_day == (date.today() - timedelta(days=1)).isoformat(), \
        "the last invoice day is moved to yesterday"
    assert (state.lines, state.products) == (8, 3)
    assert state.best_sellers == ["22633", "71053", "85123A"], "most units sold first"
    assert demo_history.CREDIT in first.output, "the data set is credited while it loads"
    [entry] = _entries(options)
    assert entry == state.entry and (entry / "data" / "PG_VERSION").exists()
    assert json.loads((entry / "meta.json").read_text())["key"]["dataset"] == \
        demo_history.key_parts(options.transactions)["dataset"]


def test_second_run_restores_the_cache_without_importing(built, monkeypatch):
    """A second run copies the cached cluster: same rollups, the importer never called."""
    options, first = built

    def no_import(*_args, **_kwargs):
        raise AssertionError("the importer ran although the cache holds the history")

    monkeypatch.setattr(importer, "run", no_import)
    second = _open(options)
    assert second.state.cache_hit and not second.state.imported, second.state
    assert second.sold == first.sold and second.timezone == "Europe/London"
    assert _entries(options) == [first.state.entry]


def test_a_changed_dataset_is_imported_again(built, tmp_path):
    """Another transactions file is another key: imported, and the old entry removed."""
    options, first = built
    changed = tmp_path / "sample.csv"
    changed.write_text(SAMPLE.read_text().replace(
        "22633,HAND WARMER UNION JACK,48,", "22633,HAND WARMER UNION JACK,24,"))
    cache = _copy_meta(options, tmp_path / "cache")
    again = _open(HistoryOptions(transactions=changed, cache_dir=cache))
    assert again.state.imported and not again.state.cache_hit
    assert again.sold == {**SOLD, "22633": 24.0}
    assert [entry.name for entry in sorted((cache / "demo-history").iterdir())] == \
        [again.state.entry.name] != [first.state.entry.name]


def _copy_meta(options: HistoryOptions, cache: Path) -> Path:
    """A copy of the cache without the cluster (what these tests look at is the entry)."""
    [entry] = _entries(options)
    copy = cache / "demo-history" / entry.name
    copy.mkdir(parents=True)
    shutil.copy(entry / "meta.json", copy / "meta.json")
    return cache


class _Built(Exception):
    """Raised by the stand-in of ``_build``: a build was asked for."""


@pytest.mark.parametrize("reason", ["rebuild", "stale"])
def test_rebuild_flag_and_an_old_history_build_again(built, tmp_path, monkeypatch, reason):
    """``--rebuild-history`` drops the entry; an entry ending over a week ago is rebuilt."""
    options, _first = built
    copy = replace(options, cache_dir=_copy_meta(options, tmp_path / "cache"),
                   rebuild=reason == "rebuild")
    [entry] = _entries(copy)
    if reason == "stale":
        meta = json.loads((entry / "meta.json").read_text())
        meta["last_day"] = (date.today() - timedelta(days=30)).isoformat()
        (entry / "meta.json").write_text(json.dumps(meta))

    def build(*_args, **_kwargs):
        raise _Built

    monkeypatch.setattr(demo_history, "_build", build)
    with pytest.raises(_Built):
        demo_history.prepare(copy, Console(file=io.StringIO()))
    assert entry.exists() == (reason == "stale"), "--rebuild-history removes the entry first"


def test_without_history(tmp_path):
    """``--no-history``, a missing file and a damaged one start the demo chain alone, saying
    why."""
    absent = tmp_path / "absent.csv.gz"
    assert "--no-history" in demo_history.why_no_history(False, SAMPLE)
    assert str(absent) in demo_history.why_no_history(True, absent)
    assert "RTSTOCK_DEMO_TRANSACTIONS" in demo_history.why_no_history(True, absent)
    assert demo_history.why_no_history(True, SAMPLE) == ""
    damaged = tmp_path / "damaged.csv"
    damaged.write_text("Invoice,StockCode\n" + SAMPLE.read_text().split("\n", 1)[1])
    cache = tmp_path / "cache"
    opened = _open(HistoryOptions(transactions=damaged, cache_dir=cache))
    assert not opened.state.loaded and "line 1" in opened.state.message, opened.state
    assert opened.sold == {} and opened.state.relabel() == {}
    assert not cache.exists() or not any(cache.rglob("*")), "nothing cached"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_demo_sells_the_history_products_live(built):
    """The demo on the cached history: the scanners sell the history's products."""
    options, _first = built
    console = Console(file=io.StringIO(), width=200)
    code = run_demo(DemoOptions(port=_free_port(), duration=3, rate=300, history=options,
                                restock_every_s=1.0), console)
    output = console.file.getvalue()
    assert code == 0, output
    assert demo_history.CREDIT in output and "from the cache" in output
    assert "[22633] HAND WARMER UNION JACK" in output, "live stock of a history product"
    assert re.search(r"│ S0[12]/Stock +│ S0[12] ", output), "stores and locations by name"
    assert re.search(r"Deliveries from the distribution centre: S0[12] [\d,]+ units", output), \
        "the stores restocked from the distribution centre"
    assert "lot_required" not in output, "the simulated scans name the lots they need"
    assert re.search(r"Stock alerts: (none yet|\w+ \d+ raised)", output), \
        "the stock alerts the stores' channels announced"
    assert "Forecast and reorder rules (done): forecast run: series" in output, output
    assert "forecast replenish: suggestions" in output
    assert re.search(r"GS1 EPCIS: the demo's movements are [\d,]+ events", output)
