"""``rtstock bench analysis``: the rollups against Odoo's Moves Analysis, at chain scale.

What it is: one run that (1) generates, or finds cached, a chain's history in
the genuine Odoo 18 schema (``ingest_core.odoo.chain_history``: 20 stores x
5 000 products x 365 days, ~30 M sale events, by default), (2) times each
dashboard figure and the store x ISO week x category pivot both from the
rollups and from ``stock_move`` the way Odoo's Moves Analysis reads it
(``ingest_core.odoo.analysis_bench``), asserting that both give the same answer,
and (3) times the journal draining the fast path's events with the rollup
triggers enabled and disabled, interleaved. Prints JSON (and a table unless
``--json``).

How it works: the history lives in an embedded PostgreSQL under
``~/.cache/rtstock/bench-analysis/<size>/`` (``--cache-dir``), generated once
with fsync off (a cache, not data), then every run starts that cluster durable
(fsync on) and measures. With ``--dsn`` the history is generated into that
database, unless it holds one already. Figures run on a warm cache: one
untimed run of each query, then ``--repeat`` timed runs from the rollups and
``--repeat-moves`` from ``stock_move``, alternating. The journal phase writes
``--journal-events`` events a round through the fast path's writer
(``GroupCommitWriter._transaction``, as ``bench.steps``) and times
``Journal.run_once`` until drained; afterwards the moves the journal wrote with
the triggers off are rolled up, so the rollups stay equal to the moves.

Caveats: a shared machine's neighbours move every figure; the JSON states the
load average before and after. The cache is keyed by the size only: after a
change of the generator, delete its directory. The journal phase adds
dated-today moves to the cached history; the figures use the history's own
last day as "today", so they are not affected.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import msgspec
import psycopg2

from ingest_core.commit.journal import Journal
from ingest_core.commit.writer import GroupCommitWriter, _Pending
from ingest_core.db.pgembed import EmbeddedPostgres
from ingest_core.odoo import analysis_bench, chain_history, rollup, tables, templates
from ingest_core.odoo.ddl import schema_statements
from ingest_core.resolve.devices import provision
from ingest_core.resolve.pipeline import Preparer, decode_body
from ingest_core.resolve.reference import ReferenceData

DATABASE = "chain"


@dataclass
class AnalysisBenchOptions:
    stores: int = 20
    skus: int = 5000
    days: int = 365
    events: int | None = None
    dsn: str | None = None
    cache_dir: Path | None = None
    repeat: int = 20
    repeat_moves: int = 5
    journal_rounds: int = 3
    journal_events: int = 9600

    @property
    def size(self) -> chain_history.ChainSize:
        return chain_history.ChainSize(self.stores, self.skus, self.days, self.events)


def default_cache_dir() -> Path:
    """``RTSTOCK_CACHE_DIR``, else ``$XDG_CACHE_HOME/rtstock``, else ``~/.cache/rtstock``
    (``/var/cache/rtstock`` for root: the server runs as ``postgres``, which cannot
    enter ``/root``), + ``bench-analysis``."""
    if configured := os.environ.get("RTSTOCK_CACHE_DIR"):
        base = Path(configured)
    elif xdg := os.environ.get("XDG_CACHE_HOME"):
        base = Path(xdg) / "rtstock"
    elif os.geteuid() == 0:
        base = Path("/var/cache/rtstock")
    else:
        base = Path.home() / ".cache" / "rtstock"
    return base / "bench-analysis"


def open_history(options: AnalysisBenchOptions, progress: Callable[[str], None]
                 ) -> tuple[EmbeddedPostgres | None, str, dict, bool]:
    """(server or None, dsn, what the generator made, generated in this run)."""
    if options.dsn:
        return None, options.dsn, *_ensure_history(options.dsn, options.size, progress)
    directory = (options.cache_dir or default_cache_dir()) / options.size.key()
    marker = directory / "complete.json"
    if not marker.exists():
        if directory.exists():
            EmbeddedPostgres(base_dir=directory).stop(remove=True)  # an interrupted run
        progress(f"generating the chain history in {directory} (once)")
        server = EmbeddedPostgres(base_dir=directory, durable=False).start()
        try:
            templates.build_real(server, DATABASE, addon=True)
            made, _ = _ensure_history(server.dsn(DATABASE), options.size, progress)
        finally:
            server.stop(remove=False)
        marker.write_text(json.dumps(made))
        generated = True
    else:
        generated = False
    server = EmbeddedPostgres(base_dir=directory, durable=True).start()
    try:
        connection = psycopg2.connect(server.dsn(DATABASE))
        try:
            with connection.cursor() as cur:
                made = chain_history.recorded(cur)
                # The rollup tables and functions of this tree, not those of the day the
                # cache was made: the journal phase measures the current triggers.
                _add_missing_rollups(cur, progress)
                cur.execute(rollup.FUNCTIONS_DDL)
            connection.commit()
        finally:
            connection.close()
    except Exception:
        server.stop(remove=False)
        raise
    return server, server.dsn(DATABASE), made, generated


def _add_missing_rollups(cur, progress: Callable[[str], None]) -> None:
    """Create the rollup tables a cached history predates, or whose columns changed
    since, and fill them from its daily rows (what the add-on's upgrade does)."""
    new = [tables.BY_NAME[name] for name in ("rrs_category_daily", "rrs_stock_position")]
    cur.execute("""SELECT table_name, array_agg(column_name::text ORDER BY column_name)
                     FROM information_schema.columns WHERE table_name = ANY(%s)
                    GROUP BY 1""", ([table.name for table in new],))
    found = dict(cur.fetchall())
    if all(sorted(column.name for column in table.columns) == found.get(table.name)
           for table in new):
        return
    for table in new:
        cur.execute(f"DROP TABLE IF EXISTS {table.name}")
    cur.execute("SELECT relname FROM pg_class WHERE relkind = 'r'")
    existing = {name for (name,) in cur.fetchall()}
    for statement in schema_statements(new, existing=existing):
        cur.execute(statement)
    categories, positions = rollup.derive(cur)
    cur.execute("ANALYZE rrs_category_daily, rrs_stock_position")
    progress(f"cached history: category and position rollups derived "
             f"({categories} and {positions} rows)")


def _ensure_history(dsn: str, size: chain_history.ChainSize,
                    progress: Callable[[str], None]) -> tuple[dict, bool]:
    connection = psycopg2.connect(dsn)
    try:
        with connection.cursor() as cur:
            made = chain_history.recorded(cur)
        connection.rollback()
        if made is not None:
            if chain_history.ChainSize(**made["size"]) != size:
                progress(f"the database holds a history of another size: {made['size']}")
            return made, False
        end = datetime.now(UTC).date() - timedelta(days=1)
        started = time.perf_counter()
        made = chain_history.generate(connection, size, end, progress)
        made["timings_s"]["total_s"] = round(time.perf_counter() - started, 1)
        with connection.cursor() as cur:
            chain_history.record(cur, made)
        connection.commit()
        return made, True
    finally:
        connection.close()


# -- figures ---------------------------------------------------------------------------

def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (p95 of 5 runs is their maximum)."""
    ordered = sorted(values)
    return ordered[max(math.ceil(fraction * len(ordered)) - 1, 0)]


def _timed(cur, query: str, params: dict) -> tuple[float, list[tuple]]:
    started = time.perf_counter()
    rows = analysis_bench.run(cur, query, params)
    return (time.perf_counter() - started) * 1000, rows


def measure_figures(dsn: str, made: dict, options: AnalysisBenchOptions,
                    progress: Callable[[str], None]) -> dict:
    """Per figure: the two answers (asserted equal) and their p50/p95 in ms."""
    connection = psycopg2.connect(dsn)
    connection.set_session(readonly=True, autocommit=True)
    results = {}
    try:
        with connection.cursor() as cur:
            params = {"today": date.fromisoformat(made["last_day"]),
                      "stores": made["stores"], "tz": rollup.timezone(cur)}
            for figure in analysis_bench.FIGURES:
                # Warm-up (untimed): both answers, which must be the same.
                _ms, from_rollups = _timed(cur, figure.rollups, params)
                _ms, from_moves = _timed(cur, figure.moves, params)
                if from_rollups != from_moves:
                    raise AssertionError(
                        f"{figure.name}: rollups and stock_move disagree "
                        f"({len(from_rollups)} vs {len(from_moves)} rows; first difference: "
                        f"{_first_difference(from_rollups, from_moves)})")
                rollup_ms, move_ms = [], []
                for run in range(max(options.repeat, options.repeat_moves)):
                    if run < options.repeat:
                        rollup_ms.append(_timed(cur, figure.rollups, params)[0])
                    if run < options.repeat_moves:
                        move_ms.append(_timed(cur, figure.moves, params)[0])
                results[figure.name] = _figure_result(figure, from_rollups, rollup_ms, move_ms)
                progress(f"{figure.name}: rollups p95 {results[figure.name]['rollups']['p95_ms']}"
                         f" ms, stock_move p95 {results[figure.name]['stock_move']['p95_ms']} ms")
    finally:
        connection.close()
    return results


def _first_difference(left: list[tuple], right: list[tuple]):
    for a, b in zip(left, right, strict=False):
        if a != b:
            return a, b
    return "row count"


def _figure_result(figure, rows: list[tuple], rollup_ms: list[float],
                   move_ms: list[float]) -> dict:
    def stats(values: list[float]) -> dict:
        return {"runs": len(values), "p50_ms": round(percentile(values, 0.5), 1),
                "p95_ms": round(percentile(values, 0.95), 1)}

    rollups, moves = stats(rollup_ms), stats(move_ms)
    return {"what": figure.what, "rows": len(rows), "answers_equal": True,
            "sample": [_plain(value) for value in rows[0]] if rows else None,
            "rollups": rollups, "stock_move": moves,
            "speedup_p50": round(moves["p50_ms"] / max(rollups["p50_ms"], 0.1), 1),
            "speedup_p95": round(moves["p95_ms"] / max(rollups["p95_ms"], 0.1), 1)}


def _plain(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


# -- journal ---------------------------------------------------------------------------

def measure_journal(dsn: str, made: dict, options: AnalysisBenchOptions,
                    progress: Callable[[str], None]) -> dict:
    """Events/s of the journal draining the fast path's events, rollup triggers on and
    off, interleaved (the order alternates per round)."""
    stores = list(zip(made["stores"], made["store_locations"], strict=True))
    stamp = int(time.time())
    devices = 16
    tokens = [provision(dsn, name=f"bench-analysis-{stamp}-{n}", allowed=("sale",),
                        warehouse_id=stores[n % len(stores)][0],
                        location_id=stores[n % len(stores)][1])[1] for n in range(devices)]
    reference = ReferenceData(dsn)
    preparer = Preparer(reference)
    writer = GroupCommitWriter(dsn, reference)
    journal = Journal(dsn, reference)
    admin = psycopg2.connect(dsn)
    admin.autocommit = True
    rng = random.Random(14)
    skus = made["size"]["skus"]
    codes = [chain_history.barcode(rank) for rank in range(1, skus + 1)]
    weights = list(itertools.accumulate(1.0 / rank for rank in range(1, skus + 1)))
    keys = itertools.count()
    batch = 100
    groups = max(options.journal_events // (devices * batch), 1)

    def write(group_count: int) -> int:
        for _ in range(group_count):
            pending = []
            for token in tokens:
                body = msgspec.json.encode({"reads": [
                    {"key": f"a{stamp}-{next(keys)}", "code": code, "op": "sale"}
                    for code in rng.choices(codes, cum_weights=weights, k=batch)]})
                reads, rejections = decode_body(body, 100_000)
                device = reference.device_for_token(token)
                pending.append(_Pending(preparer.prepare(device, reads, rejections),
                                        lambda _fates: None))
            with writer._db.cursor() as cur:
                writer._transaction(cur, pending)
            writer._db.commit()
        return group_count * devices * batch

    def drain() -> tuple[int, float]:
        started = time.perf_counter()
        events = 0
        while materialised := journal.run_once():
            events += materialised
        return events, time.perf_counter() - started

    runs: dict[str, list[float]] = {"with_rollups": [], "without_rollups": []}
    rolled_up_after = 0
    try:
        write(1)
        drain()  # warm-up: caches, sequences, the reference check's decision
        for round_number in range(options.journal_rounds):
            order = (True, False) if round_number % 2 == 0 else (False, True)
            for enabled in order:
                write(groups)
                with admin.cursor() as cur:
                    analysis_bench.set_rollup_triggers(cur, enabled)
                    before = analysis_bench.last_move_id(cur)
                events, seconds = drain()
                with admin.cursor() as cur:
                    if not enabled:
                        analysis_bench.set_rollup_triggers(cur, True)
                        rolled_up_after += analysis_bench.roll_up_moves(
                            cur, before, analysis_bench.last_move_id(cur))
                key = "with_rollups" if enabled else "without_rollups"
                runs[key].append(round(events / seconds, 1))
                progress(f"journal round {round_number + 1}, rollups "
                         f"{'on' if enabled else 'off'}: {events} events in {seconds:.2f} s")
    finally:
        with admin.cursor() as cur:
            analysis_bench.set_rollup_triggers(cur, True)
        admin.close()
        journal.stop(drain=False)
        writer.stop()
        reference.stop()
    with_rollups = statistics.median(runs["with_rollups"])
    without = statistics.median(runs["without_rollups"])
    return {"events_per_round": groups * devices * batch, "rounds": options.journal_rounds,
            "with_rollups": {"events_per_s": with_rollups, "runs": runs["with_rollups"]},
            "without_rollups": {"events_per_s": without, "runs": runs["without_rollups"]},
            "cost_pct": round((1 - with_rollups / without) * 100, 1),
            "moves_rolled_up_after_the_off_rounds": rolled_up_after}


# -- the run ---------------------------------------------------------------------------

GOALS = {"rollups_p95_ms_max": 300, "speedup_min": 50, "journal_cost_pct_max": 10}


def run(options: AnalysisBenchOptions, progress: Callable[[str], None] = print) -> dict:
    load_before = [round(value, 2) for value in os.getloadavg()]
    started = time.perf_counter()
    server, dsn, made, generated = open_history(options, progress)
    try:
        connection = psycopg2.connect(dsn)
        try:
            with connection.cursor() as cur:
                storage = chain_history.sizes(cur)
        finally:
            connection.close()
        figures = measure_figures(dsn, made, options, progress)
        journal = (measure_journal(dsn, made, options, progress)
                   if options.journal_rounds else None)
    finally:
        if server is not None:
            server.stop(remove=False)
    rollup_bytes = sum(storage[f"{name}_bytes"] for name in rollup.TABLES)
    storage["rollup_bytes_per_year"] = round(rollup_bytes * 365 / made["size"]["days"])
    history = {key: made[key] for key in ("size", "first_day", "last_day", "products",
                                          "sale_events", "sale_moves", "last_day_moves")}
    history.update(stores=len(made["stores"]), generated_in_this_run=generated,
                   generation_s=made["timings_s"])
    return {
        "database": "shared/odoo18 (genuine Odoo 18 schema) + add-on tables + generated chain",
        "machine_cores": os.cpu_count(), "load_average_before": load_before,
        "load_average_after": [round(value, 2) for value in os.getloadavg()],
        "seconds": round(time.perf_counter() - started, 1),
        "history": history, "storage": storage, "figures": figures, "journal": journal,
        "goals": GOALS, "met": _met(figures, journal)}


def _met(figures: dict, journal: dict | None) -> dict:
    return {
        "rollups_p95_within_300_ms": {name: figure["rollups"]["p95_ms"] <= 300
                                      for name, figure in figures.items()},
        "speedup_at_least_50x": {name: figure["speedup_p50"] >= 50
                                 for name, figure in figures.items()},
        "journal_cost_within_10_pct": (journal["cost_pct"] <= 10) if journal else None}


def table(result: dict) -> str:
    history, storage = result["history"], result["storage"]
    lines = [
        f"history: {history['stores']} stores x {history['products']} products x "
        f"{history['size']['days']} days ({history['first_day']} .. {history['last_day']}): "
        f"{history['sale_events']:,} sale events in {history['sale_moves']:,} done moves"
        f"{' (generated in this run)' if history['generated_in_this_run'] else ' (cached)'}",
        "disk: " + ", ".join(f"{name} {_mib(storage[name + '_bytes'])} "
                             f"({storage[name + '_rows']:,} rows)"
                             for name in ("stock_move", *rollup.TABLES))
        + f"; rollups per year {_mib(storage['rollup_bytes_per_year'])}",
        "",
        f"{'figure':<16}{'rows':>6}{'rollups p50/p95 ms':>22}{'stock_move p50/p95 ms':>25}"
        f"{'speed-up p50':>14}",
    ]
    for name, figure in result["figures"].items():
        rollups, moves = figure["rollups"], figure["stock_move"]
        lines.append(f"{name:<16}{figure['rows']:>6}"
                     f"{rollups['p50_ms']:>12.1f} / {rollups['p95_ms']:<7.1f}"
                     f"{moves['p50_ms']:>14.1f} / {moves['p95_ms']:<8.1f}"
                     f"{figure['speedup_p50']:>12.1f}x")
    lines.append("every figure: the rollups' answer equals the stock_move answer")
    if journal := result["journal"]:
        lines.append(
            f"journal: {journal['with_rollups']['events_per_s']:,.0f} events/s with the rollup "
            f"triggers, {journal['without_rollups']['events_per_s']:,.0f} without "
            f"(medians of {journal['rounds']} interleaved rounds of "
            f"{journal['events_per_round']:,} events): cost {journal['cost_pct']} %")
    lines.append(f"load average before/after: {result['load_average_before']} / "
                 f"{result['load_average_after']} on {result['machine_cores']} cores")
    return "\n".join(lines)


def _mib(size: int) -> str:
    return f"{size / 2**20:,.0f} MiB" if size >= 2**20 else f"{size / 1024:,.0f} KiB"
