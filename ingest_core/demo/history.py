"""The demo's database with a real year of sales: imported once, then restored in seconds.

What it is: ``prepare()`` gives ``rtstock demo`` its embedded PostgreSQL: the
genuine Odoo 18 database from ``shared/odoo18`` with the add-on's tables (the
own schema where that folder is absent: ``templates.build_best``) and, unless
switched off, the UCI Online Retail year (Daqing Chen, UCI Machine Learning
Repository, CC BY 4.0) imported by ``ingest_core.history.importer`` with its
last invoice day moved to yesterday, and the rollups rebuilt in Europe/London.

How it works: the import takes minutes, so the stopped server's data
directory is kept in ``<cache>/demo-history/<key>/`` (``<cache>``:
``RTSTOCK_CACHE_DIR``, else ``$XDG_CACHE_HOME/rtstock``, else
``~/.cache/rtstock``). The key hashes the transactions file, the code that
decides which rows the import writes (``CODE_FILES``), the schema source (the
dump's files, or the own schema's code) and PostgreSQL's major version; a
change of any of them builds a new entry and removes the old ones. A later
run copies the entry into a fresh temp dir and starts the server on it
(``EmbeddedPostgres.load_data``). An entry whose history ends more than
``MAX_AGE_DAYS`` before yesterday is rebuilt, so the analysis's "last weeks"
are never empty. The simulators then scan the history's products: product
*i* of the simulator catalogue becomes the year's *i*-th best seller
(``relabel``), by the barcode the importer gives each product it creates.

Caveats: an entry is written under a temporary name and renamed when
complete, so an interrupted build leaves no half entry (the next build
removes the leftovers). Dates are shifted once, at the build: a cached year
ends on the day before the build, up to ``MAX_AGE_DAYS`` ago.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from hardware.simulators import catalog
from ingest_core.analysis.rebuild import rebuild
from ingest_core.db.pgembed import EmbeddedPostgres, major_version
from ingest_core.history import importer
from ingest_core.history.dataset import DatasetError
from ingest_core.odoo import templates

_logger = logging.getLogger(__name__)

DATABASE = "rtstock_demo"
TIMEZONE = "Europe/London"
#: Shown wherever the demo shows the history (CC BY 4.0 asks for the credit).
CREDIT = "Sales history: UCI Online Retail (Daqing Chen, UCI ML Repository, CC BY 4.0)"
MAX_AGE_DAYS = 7
CACHE_FORMAT = 1  # bump when the entry's layout changes
_PACKAGE = Path(__file__).resolve().parents[1]  # ingest_core/
#: The code that decides the rows of the cached database: its tables and rollups, and
#: the import's rules. A change elsewhere that alters them needs ``--rebuild-history``.
CODE_FILES = ("odoo/tables.py", "odoo/ddl.py", "odoo/rollup.py", "odoo/history.py",
              "history/importer.py", "history/dataset.py")
_OWN_SCHEMA_FILES = ("odoo/tables.py", "odoo/ddl.py", "odoo/catalog.py")


@dataclass
class HistoryOptions:
    enabled: bool = True
    rebuild: bool = False  # drop the cached entry and import again
    transactions: Path | None = None  # default: ``default_transactions()``
    cache_dir: Path | None = None  # default: ``default_cache_dir()``


@dataclass
class HistoryState:
    """What ``prepare`` did; ``run_demo`` shows it, the tests assert on it."""

    schema: str = ""
    loaded: bool = False
    cache_hit: bool = False
    imported: bool = False
    message: str = ""
    first_day: str = ""
    last_day: str = ""
    lines: int = 0
    products: int = 0
    moves: int = 0
    best_sellers: list[str] = field(default_factory=list)
    entry: Path | None = None
    entry_bytes: int = 0
    seconds: float = 0.0

    def relabel(self) -> dict[str, str]:
        """Simulator barcode -> history barcode: catalogue product *i* becomes the *i*-th
        best seller, so the simulators' hot products are the year's (empty: no history)."""
        sellers = self.best_sellers
        if not sellers:
            return {}
        return {catalog.ean13(index): sellers[index % len(sellers)]
                for index in range(catalog.PRODUCT_COUNT)}


def default_transactions() -> Path | None:
    """``RTSTOCK_DEMO_TRANSACTIONS``, else ``shared/datasets/online_retail/transactions.csv.gz``
    beside the repository (or the working directory), if it exists."""
    configured = os.environ.get("RTSTOCK_DEMO_TRANSACTIONS")
    if configured:
        return Path(configured)
    relative = Path("shared", "datasets", "online_retail", "transactions.csv.gz")
    for base in (_PACKAGE.parents[1].parent, Path.cwd().parent):
        if (base / relative).exists():
            return base / relative
    return None


def default_cache_dir() -> Path:
    configured = os.environ.get("RTSTOCK_CACHE_DIR")
    if configured:
        return Path(configured)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "rtstock"


def _sha256(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


@functools.cache
def _code_digest() -> str:
    """Of ``CODE_FILES`` as this process loaded them (once: the rows come from the code
    that runs, whatever is edited on disk meanwhile)."""
    return _sha256([_PACKAGE / name for name in CODE_FILES])


def key_parts(transactions: Path) -> dict[str, str]:
    """What the cached database depends on (``meta.json`` keeps it for the curious)."""
    shared = templates.shared_odoo18_dir()
    if shared is not None:
        schema = f"shared/odoo18 {_sha256([shared / 'schema.sql', shared / 'data.sql.gz'])}"
    else:
        schema = f"own schema {_sha256([_PACKAGE / f for f in _OWN_SCHEMA_FILES])}"
    return {"format": str(CACHE_FORMAT), "dataset": _sha256([transactions]),
            "code": _code_digest(), "schema": schema,
            "postgresql": major_version()}


def _key(parts: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:20]


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def prepare(options: HistoryOptions, console: Console) -> tuple[EmbeddedPostgres, str,
                                                                 HistoryState]:
    """The demo's running server, its DSN and what happened to the history."""
    started = time.monotonic()
    transactions = options.transactions or default_transactions()
    state = HistoryState(message=why_no_history(options.enabled, transactions))
    if state.message:
        return _without_history(state, started)
    parts = key_parts(transactions)
    root = (options.cache_dir or default_cache_dir()) / "demo-history"
    entry = root / _key(parts)
    if options.rebuild and entry.exists():
        console.print(f"Dropping the cached history {entry} (--rebuild-history)")
        shutil.rmtree(entry)
    meta = _read_meta(entry)
    if meta and date.fromisoformat(meta["last_day"]) < _yesterday() - timedelta(MAX_AGE_DAYS):
        console.print(f"The cached history ends {meta['last_day']}, over {MAX_AGE_DAYS} days "
                      "ago: importing it again so that the recent weeks are filled")
        meta = None
    if meta is None:
        try:
            _build(root, entry, transactions, parts, console)
        except DatasetError as exc:
            state.message = f"no sales history: {transactions}: {exc}"
            return _without_history(state, started)
        meta = _read_meta(entry)
        state.imported = True
    else:
        state.cache_hit = True
    server = EmbeddedPostgres()
    try:
        server.load_data(entry / "data")
        server.start()
    except BaseException:
        server.stop()
        raise
    state.loaded, state.entry = True, entry
    for name in ("schema", "first_day", "last_day", "lines", "products", "moves",
                 "best_sellers", "entry_bytes"):
        setattr(state, name, meta[name])
    state.seconds = round(time.monotonic() - started, 1)
    return server, server.dsn(DATABASE), state


def _without_history(state: HistoryState, started: float) -> tuple[EmbeddedPostgres, str,
                                                                    HistoryState]:
    server = EmbeddedPostgres().start()
    try:
        state.schema = templates.build_best(server, DATABASE)
    except BaseException:
        server.stop()
        raise
    state.seconds = round(time.monotonic() - started, 1)
    return server, server.dsn(DATABASE), state


def why_no_history(enabled: bool, transactions: Path | None) -> str:
    """Why the demo starts without the history ('' when it has it)."""
    if not enabled:
        return "no sales history (--no-history)"
    if transactions is None or not transactions.exists():
        where = transactions or "shared/datasets/online_retail/transactions.csv.gz"
        return (f"no sales history: the UCI Online Retail file was not found ({where}; "
                "set RTSTOCK_DEMO_TRANSACTIONS or --transactions)")
    return ""


def _yesterday() -> date:
    return date.today() - timedelta(days=1)


def _read_meta(entry: Path) -> dict | None:
    try:
        return json.loads((entry / "meta.json").read_text())
    except (OSError, ValueError):
        return None


def _build(root: Path, entry: Path, transactions: Path, parts: dict[str, str],
           console: Console) -> None:
    """Import the year into a fresh server, stop it, keep its data directory as ``entry``."""
    console.print(f"Loading the sales history once (a few minutes; cached in {entry}).\n"
                  f"{CREDIT}")
    building = root / f"{entry.name}.building"
    server = EmbeddedPostgres(durable=False)  # a crash here loses nothing but this build
    try:
        with _progress(console) as bar:
            task = bar.add_task("reading the transactions", total=None)
            shift = importer.shift_to(transactions, _yesterday())  # a damaged file stops here
            bar.update(task, description="restoring the Odoo 18 database")
            server.start()
            schema = templates.build_best(server, DATABASE)
            dsn = server.dsn(DATABASE)
            bar.update(task, description="importing day by day")
            report = importer.run(dsn, transactions, shift, progress=lambda done, days:
                                  bar.update(task, completed=done, total=days))
            bar.update(task, description=f"rolling up by month ({TIMEZONE})", completed=0,
                       total=None)
            rebuild(dsn, TIMEZONE, progress=lambda _month, _moves: bar.advance(task))
            bar.update(task, description="vacuum, analyze")
            server.psql(DATABASE, "-c", "VACUUM ANALYZE")
            bar.update(task, description="saving the cache")
            server.stop(remove=False)
            root.mkdir(parents=True, exist_ok=True)
            for old in root.iterdir():  # other keys, interrupted builds: never used again
                shutil.rmtree(old, ignore_errors=True)
            building.mkdir()
            server.save_data(building / "data")
        movements = [m for m in report.plan.movements if m.operation != "receipt"]
        meta = {"key": parts, "schema": schema, "built": time.strftime("%Y-%m-%d %H:%M:%S"),
                "first_day": min(m.at for m in movements).date().isoformat(),
                "last_day": _yesterday().isoformat(), "lines": len(movements),
                "products": len(report.plan.products), "moves": report.moves_written,
                "best_sellers": best_sellers(report.plan), "entry_bytes": _size(building),
                "import": report.as_dict()}
        (building / "meta.json").write_text(json.dumps(meta, indent=1))
        building.rename(entry)
    finally:
        server.stop(remove=True)
        shutil.rmtree(building, ignore_errors=True)
    _logger.info("demo history cached in %s (%s bytes)", entry, meta["entry_bytes"])


def best_sellers(work: importer.Plan, count: int = catalog.PRODUCT_COUNT) -> list[str]:
    """The stock codes of the ``count`` products with the most units sold, best first."""
    units: Counter[str] = Counter()
    for movement in work.movements:
        if movement.operation == "sale":
            units[movement.code] += movement.quantity
    return [code for code, _units in sorted(units.items(), key=lambda i: (-i[1], i[0]))[:count]]


def _progress(console: Console) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=True)


def banner(state: HistoryState) -> str:
    """One line for the demo's header: what history the database holds, with its credit."""
    if not state.loaded:
        return state.message
    source = "from the cache" if state.cache_hit else "imported now, cached"
    return (f"{CREDIT}: {state.first_day} .. {state.last_day}, {state.lines:,} lines, "
            f"{state.products:,} products ({source}, {state.seconds:g} s)")
