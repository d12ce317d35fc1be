"""Exactly once under crashes: SIGKILL the ingest at random moments while devices resend."""

from __future__ import annotations

import random
import threading
import time

import httpx
import pytest

from ingest_core.commit.journal import wait_drained
from ingest_core.odoo.catalog import ean13
from tests.support.ingest import (
    S01_STOCK,
    S02_STOCK,
    IngestProcess,
    assert_applied_once,
    create_device,
    post,
    quants_by_key,
)


@pytest.mark.timeout(600)
def test_sigkill_under_load_loses_nothing_and_applies_nothing_twice(fast_db):
    """Every acked read is applied exactly once; quants and done moves agree afterwards."""
    opening = quants_by_key(fast_db)
    stores = [(2, S01_STOCK), (3, S02_STOCK)] * 2
    devices = [create_device(fast_db, name=f"kill-{n}", warehouse_id=warehouse,
                             location_id=location)
               for n, (warehouse, location) in enumerate(stores)]
    location_of = {device_id: location
                   for (device_id, _t), (_w, location) in zip(devices, stores, strict=True)}
    ingest = IngestProcess(fast_db).start()
    sent: dict[int, dict[str, dict]] = {device_id: {} for device_id, _t in devices}
    fates: dict[tuple[int, str], set[str]] = {}
    done = threading.Event()
    errors: list[BaseException] = []

    def device_loop(device_id: int, token: str, seed: int) -> None:
        rng = random.Random(seed)
        try:
            for batch_number in range(30):
                reads = [{"key": f"{device_id}:{batch_number:04d}:{i:03d}",
                          "code": ean13(rng.randrange(20)),
                          "op": rng.choice(["sale", "receipt"]), "qty": rng.randint(1, 3)}
                         for i in range(40)]
                for read in reads:
                    sent[device_id][read["key"]] = read
                while True:  # a device resends until it gets an ack
                    try:
                        response = post(ingest.url, token, reads, timeout=10)
                    except httpx.HTTPError:
                        time.sleep(0.05)
                        continue
                    if response.status_code == 200:
                        break
                    assert response.status_code == 503, response.text
                    time.sleep(0.05)
                for fate in response.json()["results"]:
                    assert fate["status"] in ("applied", "duplicate"), fate
                    fates.setdefault((device_id, fate["key"]), set()).add(fate["status"])
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
            errors.append(exc)

    def killer() -> None:
        rng = random.Random(7)
        kills = 0
        while not done.is_set() and kills < 6:
            time.sleep(rng.uniform(0.3, 1.2))
            ingest.kill()
            kills += 1
            time.sleep(rng.uniform(0.0, 0.3))
            ingest.start()
        killer.kills = kills

    threads = [threading.Thread(target=device_loop, args=(device_id, token, n))
               for n, (device_id, token) in enumerate(devices)]
    chaos = threading.Thread(target=killer)
    for thread in threads:
        thread.start()
    chaos.start()
    for thread in threads:
        thread.join(500)
    done.set()
    chaos.join(60)
    try:
        assert not errors, errors
        assert getattr(killer, "kills", 0) >= 3, "the ingest must really have been killed"
        wait_drained(fast_db, 60)
    finally:
        ingest.stop()
    assert_applied_once(fast_db, sent, location_of, opening)
    assert set(fates) == {(device, key) for device, reads in sent.items() for key in reads}
