"""Property: random batches, resends, in-batch duplicates and bad reads agree with a model."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest_core.commit.journal import wait_drained
from ingest_core.odoo.catalog import ean13
from tests.support.ingest import IngestProcess, create_device, post, quants_by_key

S01_STOCK, CUSTOMERS, VENDORS, SCRAP = 18, 5, 4, 16
ROUTES = {"sale": (S01_STOCK, CUSTOMERS), "receipt": (VENDORS, S01_STOCK),
          "return": (CUSTOMERS, S01_STOCK), "scrap": (S01_STOCK, SCRAP)}
_examples = itertools.count()

reads = st.lists(st.tuples(
    st.integers(0, 6),  # key number (small pool: duplicates happen)
    st.sampled_from(["good", "good", "good", "bad_check", "unknown"]),
    st.integers(0, 3),  # product index
    st.sampled_from(sorted(ROUTES)),
    st.integers(1, 4),  # quantity
), min_size=1, max_size=12)


@pytest.fixture(scope="module")
def service(module_db):
    _id, token = create_device(module_db, name="property")
    with IngestProcess(module_db) as process:
        yield process, token, module_db


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(reads, min_size=1, max_size=3), resend=st.booleans())
def test_random_batches_match_the_model(service, batches, resend):
    """Quants move by exactly the first good occurrence of each key, whatever is resent."""
    process, token, dsn = service
    url = process.url
    prefix = f"ex{next(_examples)}"
    wait_drained(dsn, 30)  # a shrunk example starts after the last one's moves
    before = quants_by_key(dsn)
    applied_keys: set[str] = set()
    expected: dict[tuple[int, int], float] = {}
    for batch in batches + (batches if resend else []):
        body, seen = [], set()
        for key_number, kind, index, op, qty in batch:
            key = f"{prefix}-{key_number}"
            code = {"good": ean13(index), "bad_check": ean13(index)[:-1] + str(
                (int(ean13(index)[-1]) + 1) % 10), "unknown": "4099999000005"}[kind]
            body.append({"key": key, "code": code, "op": op, "qty": qty})
            first_in_request = key not in seen
            seen.add(key)
            if first_in_request and kind == "good" and key not in applied_keys:
                applied_keys.add(key)
                source, destination = ROUTES[op]
                product_id = index + 2
                expected[(product_id, source)] = expected.get((product_id, source), 0) - qty
                expected[(product_id, destination)] = expected.get((product_id, destination),
                                                                   0) + qty
        response = post(url, token, body)
        assert response.status_code == 200, response.text
    # The store's quants move when the reads are acknowledged; the virtual locations'
    # (customers, vendors, scrap) with the journal's done moves.
    acknowledged = quants_by_key(dsn)
    for key in set(acknowledged) | set(expected):
        if key[1] == S01_STOCK:
            assert acknowledged.get(key, 0) - before.get(key, 0) == expected.get(key, 0), key
    wait_drained(dsn, 30)
    after = quants_by_key(dsn)
    for key in set(after) | set(expected):
        assert after.get(key, 0) - before.get(key, 0) == expected.get(key, 0), key
