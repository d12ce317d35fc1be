"""Durable queue: order, keys, acks, bound and alarm, disk full, corruption."""

from __future__ import annotations

import logging
import sqlite3

import pytest

from hardware.queue import DurableQueue, QueueCorruptError, QueueFullError
from hardware.reads import Read


def _reads(count: int, device: str = "S01-SCN-1", start: int = 0) -> list[Read]:
    return [
        Read(device=device, code=f"40123450{index:04d}0", ts="2026-11-25T10:00:00.000Z")
        for index in range(start, start + count)
    ]


@pytest.fixture
def queue_path(tmp_path):
    return tmp_path / "queue.db"


def test_append_peek_ack_keeps_order_and_keys(queue_path):
    """Reads come back oldest first with consecutive keys; only acked ones leave."""
    queue = DurableQueue(queue_path)
    keys = queue.append(_reads(5))
    assert keys == [f"S01-SCN-1:{n:06d}" for n in range(5)], keys
    batch = queue.peek_batch(3)
    assert [r.key for r in batch] == keys[:3], "peek must return the oldest reads in order"
    assert queue.depth() == 5
    assert queue.ack([keys[0], keys[1], "unknown:1"]) == 2, "only queued keys are removed"
    assert queue.depth() == 3
    assert queue.oldest_unsent().key == keys[2]
    queue.close()


def test_keys_survive_restart_and_are_never_reused(queue_path):
    """After acking everything and reopening, the counter carries on."""
    queue = DurableQueue(queue_path)
    first = queue.append(_reads(3))
    queue.ack(first)
    queue.close()
    queue = DurableQueue(queue_path)
    again = queue.append(_reads(2))
    assert again == ["S01-SCN-1:000003", "S01-SCN-1:000004"], again
    assert queue.append(_reads(1, device="S01-SCN-2")) == ["S01-SCN-2:000000"]
    queue.close()


def test_group_append_is_atomic_per_device(queue_path):
    """One append of reads from two devices gives each its own consecutive keys."""
    queue = DurableQueue(queue_path)
    mixed = [_reads(1, "A")[0], _reads(1, "B")[0], _reads(1, "A")[0]]
    assert queue.append(mixed) == ["A:000000", "B:000000", "A:000001"]
    assert [r.device for r in queue.peek_batch(10)] == ["A", "B", "A"]
    queue.close()


def test_bound_alarm_then_refusal_without_loss(queue_path, caplog):
    """Past the alarm ratio the queue warns; at the bound it refuses, keeping what it has."""
    queue = DurableQueue(queue_path, max_bytes=400_000, alarm_ratio=0.5, min_free_bytes=0)
    caplog.set_level(logging.ERROR, logger="hardware.queue")
    accepted = 0
    with pytest.raises(QueueFullError, match=r"refused .* read"):
        for _ in range(10_000):
            queue.append(_reads(50, start=accepted % 1000))
            accepted += 50
    assert any("QUEUE ALARM" in record.message for record in caplog.records), "alarm not logged"
    assert queue.usage().alarm
    assert queue.depth() == accepted, "a refused append must not remove or add anything"
    queue.ack([r.key for r in queue.peek_batch(accepted)])
    queue.append(_reads(1))
    assert queue.depth() == 1, "after the backlog is acked, appends work again"
    queue.close()


def test_disk_full_is_a_clear_error_and_writes_nothing(queue_path):
    """SQLITE_FULL (here via max_page_count) becomes QueueFullError; counter not advanced."""
    queue = DurableQueue(queue_path, min_free_bytes=0)
    queue.append(_reads(1))
    pages = queue._connection.execute("PRAGMA page_count").fetchone()[0]
    queue._connection.execute(f"PRAGMA max_page_count={pages}")
    with pytest.raises(QueueFullError, match="disk is full"):
        queue.append(_reads(2000))
    assert queue.depth() == 1
    queue._connection.execute("PRAGMA max_page_count=1073741823")
    assert queue.append(_reads(1)) == ["S01-SCN-1:000001"], "failed append must not burn keys"
    queue.close()


def _corrupt_pages(path, offset_pages: int = 2) -> None:
    with open(path, "r+b") as handle:
        handle.seek(4096 * offset_pages)
        handle.write(b"\xde\xad\xbe\xef" * 1024)


def _filled_queue(path, count: int = 3000) -> list[str]:
    queue = DurableQueue(path)
    keys = queue.append(_reads(count))
    queue.close()
    return keys


def test_corrupt_file_raise_mode_leaves_it_in_place(queue_path):
    """on_corrupt='raise' gives a clear error naming the file and keeps it untouched."""
    _filled_queue(queue_path)
    _corrupt_pages(queue_path)
    with pytest.raises(QueueCorruptError, match="corrupt"):
        DurableQueue(queue_path, on_corrupt="raise")
    assert queue_path.exists()


def test_corrupt_file_is_moved_aside_and_salvaged(queue_path, caplog):
    """Default recovery: bad file kept aside, readable reads kept, keys never reused."""
    keys = _filled_queue(queue_path)
    _corrupt_pages(queue_path, offset_pages=3)
    caplog.set_level(logging.ERROR)
    queue = DurableQueue(queue_path)
    report = queue.recovery_report
    assert report is not None and "QUEUE CORRUPT" in caplog.text
    aside = list(queue_path.parent.glob("queue.db.corrupt-*"))
    assert len(aside) == 1 and str(aside[0]) == report["moved_to"]
    salvaged = {r.key for r in queue.peek_batch(10_000)}
    assert salvaged <= set(keys)
    assert queue.depth() == report["salvaged_reads"]
    new_key = queue.append(_reads(1))[0]
    counter = int(new_key.rsplit(":", 1)[1])
    assert counter >= len(keys), f"key {new_key} may reuse one issued before the corruption"
    queue.close()


def test_not_a_database_is_recovered_with_clock_floor(queue_path):
    """A file that is not SQLite at all: moved aside, counters restart above the clock floor."""
    queue_path.write_bytes(b"this is not a database" * 500)
    queue = DurableQueue(queue_path)
    assert queue.recovery_report["salvaged_reads"] == 0
    key = queue.append(_reads(1))[0]
    assert int(key.rsplit(":", 1)[1]) > 1_700_000_000_000_000, key
    queue.close()
    assert sqlite3.connect(queue_path).execute("PRAGMA quick_check").fetchone() == ("ok",)


def test_salvage_skips_only_the_damaged_page(queue_path):
    """A damaged leaf page costs its own rows, not every row after it."""
    keys = _filled_queue(queue_path)
    _corrupt_pages(queue_path, offset_pages=8)
    queue = DurableQueue(queue_path)
    report = queue.recovery_report
    assert "unreadable" in str(report["salvage_error"]), report
    assert queue.depth() >= len(keys) - 100, f"salvaged only {queue.depth()} of {len(keys)}"
    salvaged = [read.key for read in queue.peek_batch(len(keys))]
    assert salvaged == sorted(salvaged) and set(salvaged) <= set(keys)
    queue.close()
