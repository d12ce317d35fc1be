"""A group that cannot commit is a fault: counted by cause, logged once per cause.

The writer retries such a group request by request (so one bad request cannot
block the others); ``rtstock_group_fallbacks_total`` counts it and the log has
its traceback once per cause. Every other test fails when this happened
(``tests/conftest.py``, ``IngestProcess.stop``); here it is made to happen.
"""

from __future__ import annotations

import dataclasses
import logging
from concurrent.futures import Future

import pytest
from prometheus_client import generate_latest

from ingest_core import metrics
from ingest_core.bench.process import fallbacks_of
from ingest_core.commit.writer import GroupCommitWriter
from ingest_core.odoo.catalog import ean13
from ingest_core.resolve.pipeline import Preparer, decode_body
from ingest_core.resolve.reference import ReferenceData
from tests.support.ingest import create_device

pytestmark = pytest.mark.allow_fallbacks


def _batch(preparer: Preparer, device, key: str, product_id: int | None = None):
    body = f'{{"reads": [{{"key": "{key}", "code": "{ean13(0)}", "op": "receipt"}}]}}'
    batch = preparer.prepare(device, *decode_body(body.encode(), 10))
    if product_id is not None:  # a product the database does not have: its quant cannot be
        batch.reads = [dataclasses.replace(batch.reads[0], product_id=product_id)]
    return batch


def _commit_group(writer: GroupCommitWriter, batches) -> list:
    futures = []
    for batch in batches:
        future: Future = Future()
        writer.submit(batch, lambda result, f=future: f.set_result(result))
        futures.append(future)
    return futures


def test_a_failing_group_is_counted_logged_once_and_its_good_requests_commit(fast_db, caplog):
    reference = ReferenceData(fast_db)
    device = reference.device_for_token(create_device(fast_db, name="faulty")[1])
    preparer = Preparer(reference)
    before = fallbacks_of(generate_latest(metrics.GROUP_FALLBACKS))
    caplog.set_level(logging.ERROR, logger="ingest_core.commit.writer")
    # Two reads make a group; the second of each pair arrives while the worker waits for it.
    writer = GroupCommitWriter(fast_db, reference, batch_max_reads=2, batch_max_wait_ms=5000)
    try:
        for round_ in range(2):  # two groups failing for the same cause
            futures = _commit_group(writer, [
                _batch(preparer, device, f"good-{round_}"),
                _batch(preparer, device, f"bad-{round_}", product_id=999_999)])
            if round_ == 0:
                writer.start()
            good, bad = (future.result(60) for future in futures)
            assert good[0].status == "applied", "the good request commits alone"
            assert isinstance(bad, Exception), "the bad one fails alone"
    finally:
        writer.stop()
        reference.stop()
    assert fallbacks_of(generate_latest(metrics.GROUP_FALLBACKS)) - before == 2
    causes = {sample.labels["cause"] for metric in metrics.GROUP_FALLBACKS.collect()
              for sample in metric.samples if sample.name.endswith("_total")}
    assert any(cause.startswith("ForeignKeyViolation at ") for cause in causes), causes
    logged = [r for r in caplog.records if "group commit failed" in r.getMessage()]
    assert len(logged) == 1 and logged[0].exc_info, "once per cause, with the traceback"
