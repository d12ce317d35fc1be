"""Forwarder against a contract peer over real loopback HTTP."""

from __future__ import annotations

import random
import threading
import time

import pytest
from support.agent_env import TOKEN, fake_ingest  # noqa: F401 - pytest fixture

from hardware.forwarder import Forwarder, parse_retry_after
from hardware.queue import DurableQueue
from hardware.reads import Read


def _fill(queue: DurableQueue, count: int, device: str = "SCN-1") -> list[str]:
    return queue.append(
        [
            Read(device=device, code=f"40123450{i:04d}0", ts="2026-11-25T10:00:00Z")
            for i in range(count)
        ]
    )


def _forwarder(queue, url, **kwargs) -> Forwarder:
    options = {"batch_size": 50, "backoff_base_s": 0.01, "backoff_max_s": 0.05, "timeout_s": 2.0}
    options.update(kwargs)
    return Forwarder(queue, url, lambda device: TOKEN, rng=random.Random(1), **options)


def test_batches_are_acked_and_leave_the_queue(tmp_path, fake_ingest):  # noqa: F811
    """120 reads go out in 50-read batches, in order, and the queue empties."""
    queue = DurableQueue(tmp_path / "q.db")
    keys = _fill(queue, 120)
    forwarder = _forwarder(queue, fake_ingest.url)
    while queue.depth():
        forwarder.forward_once()
    assert [key for _, key, _ in fake_ingest.applications] == keys, "replay must keep order"
    assert fake_ingest.requests == 3
    assert forwarder.stats.applied == 120


def test_rejected_and_duplicate_count_as_delivered(tmp_path, fake_ingest, caplog):  # noqa: F811
    """A rejected read is logged and acked; a resent key comes back duplicate and is acked."""
    queue = DurableQueue(tmp_path / "q.db")
    fake_ingest.rejected_codes.add("401234500001" + "0")
    keys = _fill(queue, 3)
    fake_ingest.seen.add(("S01", keys[2]))
    _forwarder(queue, fake_ingest.url).forward_once()
    assert queue.depth() == 0
    assert "rejected read SCN-1:000001" in caplog.text


def test_retry_after_is_honoured(tmp_path, fake_ingest):  # noqa: F811
    """A 503 with Retry-After: 1 delays the next attempt by about a second."""
    queue = DurableQueue(tmp_path / "q.db")
    _fill(queue, 5)
    fake_ingest.script((503, "1"), (429, "1"))
    forwarder = _forwarder(queue, fake_ingest.url)
    stop = threading.Event()
    thread = threading.Thread(target=forwarder.run, args=(stop,))
    thread.start()
    deadline = time.monotonic() + 10
    while queue.depth() and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    thread.join(5)
    assert queue.depth() == 0
    gaps = [
        b - a
        for a, b in zip(fake_ingest.request_times, fake_ingest.request_times[1:], strict=False)
    ]
    assert gaps[0] >= 0.95 and gaps[1] >= 0.95, f"Retry-After not honoured: {gaps}"


def test_413_halves_the_batch(tmp_path, fake_ingest):  # noqa: F811
    """An oversized batch is split, nothing is lost."""
    queue = DurableQueue(tmp_path / "q.db")
    _fill(queue, 40)
    fake_ingest.script((413, None))
    forwarder = _forwarder(queue, fake_ingest.url, batch_size=40)
    stop = threading.Event()
    thread = threading.Thread(target=forwarder.run, args=(stop,))
    thread.start()
    deadline = time.monotonic() + 5
    while queue.depth() and time.monotonic() < deadline:
        time.sleep(0.02)
    stop.set()
    thread.join(5)
    assert queue.depth() == 0 and len(fake_ingest.applications) == 40


def test_down_ingest_backs_off_with_jitter_and_keeps_reads(tmp_path):
    """Connection refused: reads stay queued; delays grow exponentially, jittered, capped."""
    queue = DurableQueue(tmp_path / "q.db")
    _fill(queue, 3)
    forwarder = _forwarder(queue, "http://127.0.0.1:9", backoff_base_s=1, backoff_max_s=8)
    delays = []
    for _ in range(6):
        with pytest.raises(Exception, match="Connect"):
            forwarder.forward_once()
        forwarder._fail("down")
        delays.append(forwarder.backoff_delay())
    assert queue.depth() == 3
    assert 1 <= delays[0] <= 2 and 2 <= delays[1] <= 4, delays
    assert all(4 <= d <= 8 for d in delays[3:]), delays


def test_unknown_token_keeps_reads(tmp_path, fake_ingest):  # noqa: F811
    """401 is not an ack: the reads stay."""
    queue = DurableQueue(tmp_path / "q.db")
    _fill(queue, 2)
    forwarder = Forwarder(queue, fake_ingest.url, lambda device: "wrong")
    with pytest.raises(Exception, match="token"):
        forwarder.forward_once()
    assert queue.depth() == 2


def test_parse_retry_after_forms():
    """Delta seconds and HTTP dates both work; garbage is ignored."""
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 25 Nov 2026 10:00:10 GMT", now=1795600800.0) == 10.0
    assert parse_retry_after("soon") is None
