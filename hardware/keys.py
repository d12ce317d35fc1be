"""Per-device read keys that are never reused, not even after a crash.

What it is: the allocator of the ``key`` every read carries to the ingest
(``<device>:<counter>``, see "Ingest HTTP contract (v1)"). The ingest treats a
key it has seen as a duplicate, so a reused key would silently drop a real
read: reuse is the one thing this module must make impossible.

How it works: the counter lives in the queue's own SQLite database (table
``device_counter``) and is advanced *inside the same transaction* that
appends the reads which use it. Either both the reads and the new counter
value are durable, or neither is; a crash can therefore never hand out a key
twice, and never leave a gap that matters (gaps are harmless anyway).

Caveats: the counter is only as durable as the queue file. If that file is
corrupt and moved aside, :func:`counter_floor_after_loss` gives a new start
value derived from the wall clock (microseconds since the epoch), so new keys
are larger than any key the lost file can have issued as long as the clock
has not jumped back by more than the agent's lifetime. The queue also
salvages the old counters when it still can read them.
"""

from __future__ import annotations

import sqlite3
import time

COUNTER_TABLE_SQL = """
CREATE TABLE IF NOT EXISTS device_counter (
    device TEXT PRIMARY KEY,
    next_value INTEGER NOT NULL
)
"""


def format_key(device: str, counter: int) -> str:
    """Key as the contract suggests; zero-padded so keys of one device sort like counters."""
    return f"{device}:{counter:06d}"


def parse_counter(key: str) -> int:
    """Counter part of a key made by :func:`format_key` (used when salvaging)."""
    return int(key.rsplit(":", 1)[1])


def allocate(connection: sqlite3.Connection, device: str, count: int, floor: int = 0) -> range:
    """Reserve ``count`` consecutive counters for ``device``.

    Must be called inside the caller's open transaction, the one that also
    inserts the reads: that is what makes keys crash-safe (see module doc).
    ``floor`` is where a device seen for the first time starts; it is above
    zero only after the counter history was lost.
    """
    if count <= 0:
        return range(0)
    row = connection.execute(
        "INSERT INTO device_counter (device, next_value) VALUES (?, ?) "
        "ON CONFLICT(device) DO UPDATE SET next_value = next_value + ? "
        "RETURNING next_value",
        (device, floor + count, count),
    ).fetchone()
    end = int(row[0])
    return range(end - count, end)


def raise_floor(connection: sqlite3.Connection, device: str, floor: int) -> None:
    """Make sure ``device``'s next counter is at least ``floor`` (never lowers it)."""
    connection.execute(
        "INSERT INTO device_counter (device, next_value) VALUES (?, ?) "
        "ON CONFLICT(device) DO UPDATE SET next_value = MAX(next_value, excluded.next_value)",
        (device, floor),
    )


def counter_floor_after_loss() -> int:
    """Start value for counters whose history was lost (see module caveats)."""
    return time.time_ns() // 1000
