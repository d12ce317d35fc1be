"""Recover from a queue file that failed its integrity check.

What it is: the one place that handles a corrupt queue (bad sectors, a file
truncated by a full disk on a filesystem that lies about fsync, someone
editing it). It runs before :class:`hardware.queue.DurableQueue` opens its
connection.

How it works: the bad file (with its ``-wal``/``-shm``) is *renamed*, never
deleted, to ``<name>.corrupt-<UTC time>``. A fresh queue file is created and
every row that SQLite can still read from the bad copy is copied over with
its original key, so reads that were waiting are still sent (the ingest
answers ``duplicate`` for any that had in fact arrived). Key counters are
salvaged too; if they cannot be read, new keys start from a clock-based floor
(:func:`hardware.keys.counter_floor_after_loss`) so no key is reused.

Caveats: rows on destroyed pages are lost with them; the report (logged at
ERROR and shown on the status endpoint) says how many rows were salvaged and
where the bad file is, so an operator can try harder with ``sqlite3 .recover``.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from hardware import keys

_logger = logging.getLogger(__name__)

_SIDE_FILES = ("-wal", "-shm")


def recover_corrupt_queue(path: Path, problem: str) -> dict[str, object]:
    """Move ``path`` aside, build a fresh queue from what can be read; return a report."""
    # Imported here: queue imports this module lazily, and this one needs queue's schema.
    from hardware.queue import SCHEMA_SQL

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    path.rename(aside)
    for suffix in _SIDE_FILES:
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.rename(aside.with_name(aside.name + suffix))

    rows, counters, salvage_error = _salvage(aside)
    fresh = sqlite3.connect(path, isolation_level=None)
    try:
        fresh.execute("PRAGMA journal_mode=WAL")
        fresh.execute("PRAGMA synchronous=FULL")
        for statement in SCHEMA_SQL:
            fresh.execute(statement)
        fresh.execute("BEGIN IMMEDIATE")
        fresh.executemany(
            "INSERT OR IGNORE INTO queued_read "
            "(key, device, code, ts, op, qty, location, enqueued_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        floors: dict[str, int] = dict(counters)
        for row in rows:
            try:
                next_value = keys.parse_counter(row[0]) + 1
            except (ValueError, IndexError):
                continue
            floors[row[1]] = max(floors.get(row[1], 0), next_value)
        # Without the counter table we cannot know how far a device had counted: use the clock.
        counters_lost = not counters
        clock_floor = keys.counter_floor_after_loss() if counters_lost else 0
        for device, floor in floors.items():
            keys.raise_floor(fresh, device, max(floor, clock_floor))
        if counters_lost:
            fresh.execute(
                "INSERT OR REPLACE INTO queue_meta (name, value) VALUES ('counter_floor', ?)",
                (str(clock_floor),),
            )
        fresh.execute("COMMIT")
        salvaged = fresh.execute("SELECT count(*) FROM queued_read").fetchone()[0]
    finally:
        fresh.close()

    report: dict[str, object] = {
        "problem": problem,
        "moved_to": str(aside),
        "salvaged_reads": salvaged,
        "salvaged_counters": len(counters),
        "salvage_error": salvage_error,
        "counter_floor": clock_floor if counters_lost else None,
    }
    _logger.error(
        "QUEUE CORRUPT %s (%s): moved to %s; salvaged %d unsent read(s) and %d counter(s)%s. "
        "Keep the moved file: rows on damaged pages may still be recoverable with "
        "'sqlite3 %s .recover'.",
        path,
        problem,
        aside,
        salvaged,
        len(counters),
        f"; salvage incomplete: {salvage_error}" if salvage_error else "",
        aside,
    )
    return report


_SELECT_READS = "SELECT key, device, code, ts, op, qty, location, enqueued_at FROM queued_read "


def _salvage_reads(conn: sqlite3.Connection, rows: list[tuple]) -> str | None:
    """Append every readable row to ``rows`` in ``seq`` order; return what went wrong.

    A plain scan stops at the first damaged page, losing every row after it. So the
    ``seq`` range is read in windows, and a window that fails is retried row by row
    (a rowid lookup only needs the pages on its own path), skipping unreadable rows.
    """
    try:
        low, high = conn.execute("SELECT min(seq), max(seq) FROM queued_read").fetchone()
    except sqlite3.Error:
        low = high = None  # the edges of the b-tree are damaged: one plain scan, then
    if low is None or high is None:
        try:
            rows.extend(tuple(row) for row in conn.execute(_SELECT_READS + "ORDER BY seq"))
        except sqlite3.Error as exc:
            return str(exc)
        return None
    unreadable = 0
    window = 256
    for start in range(low, high + 1, window):
        try:
            # fetchall: a window that fails halfway must add nothing (it is redone row by row)
            rows.extend(
                tuple(row)
                for row in conn.execute(
                    _SELECT_READS + "WHERE seq >= ? AND seq < ? ORDER BY seq",
                    (start, start + window),
                ).fetchall()
            )
            continue
        except sqlite3.Error:
            pass  # damaged page in this window: go row by row below
        for seq in range(start, min(start + window, high + 1)):
            try:
                found = conn.execute(_SELECT_READS + "WHERE seq = ?", (seq,)).fetchall()
            except sqlite3.Error:
                unreadable += 1
                continue
            rows.extend(tuple(row) for row in found)
    return f"{unreadable} row id(s) unreadable" if unreadable else None


def _salvage(aside: Path) -> tuple[list[tuple], dict[str, int], str | None]:
    """Rows and counters SQLite can still read from the bad copy, and why it stopped."""
    rows: list[tuple] = []
    counters: dict[str, int] = {}
    error: str | None = None
    try:
        conn = sqlite3.connect(aside, isolation_level=None)
    except sqlite3.Error as exc:
        return rows, counters, str(exc)
    try:
        try:
            for device, next_value in conn.execute("SELECT device, next_value FROM device_counter"):
                counters[str(device)] = int(next_value)
        except sqlite3.Error as exc:
            counters.clear()
            error = f"counters: {exc}"
        read_error = _salvage_reads(conn, rows)
        if read_error:
            error = f"{error + '; ' if error else ''}reads: {read_error}"
    finally:
        conn.close()
    return rows, counters, error
