"""Property: one group of any mix of device kinds commits as one transaction and agrees
with a model.

A store's scanners, POS gates, exit and dock RFID readers and RFID count sessions
all end in the same group-commit writer; a group mixing requests with EPC
transitions (RFID movements) and without (scans, counts) once failed every time
and fell back to one-request commits (issue 21). Here each example builds one or
two groups of random interleavings of those requests (with resends, duplicate
keys, bad reads and tags of no product), submits each group before its writer
starts (so it is exactly one group) and checks, against a plain model:

* one transaction per group and no fallback (the autouse fixture fails the test
  on any ``rtstock_group_fallbacks_total``);
* every read's fate (applied, duplicate, duplicate by EPC state, rejected with
  its reason);
* the store's quants: moves add up, a count sets the on-hand it counted, in the
  group's order, after the group's moves.

Each example runs on a fresh copy of the genuine Odoo 18 database (own schema
where ../shared is absent), so the model starts from known quants.
"""

from __future__ import annotations

import itertools
import json
import random
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hardware.simulators import catalog
from hardware.simulators.vendor import impinj_r700_event
from ingest_core import metrics
from ingest_core.commit.writer import GroupCommitWriter, ReadFate
from ingest_core.odoo import templates
from ingest_core.odoo.catalog import ean13
from ingest_core.resolve.pipeline import Preparer, decode_body
from ingest_core.resolve.reference import ReferenceData
from ingest_core.rfid.counts import CountStore
from ingest_core.rfid.stage import RfidStage
from tests.support.ingest import create_device, query

S01_STOCK = 18
PRODUCTS = 4  # catalog indices 0..3 = product ids 2..5
SCAN_OPS = {"sale": -1, "receipt": +1, "return": +1, "scrap": -1}  # sign at S01 stock
REASONS = {"bad_check": "bad_check_digit", "unknown": "unknown_barcode"}
_databases = itertools.count()

# A read a scanner may send: (kind, product index, operation, quantity). The content of a
# key is fixed for the whole example: a resend is the same read again.
scan_read = st.tuples(st.sampled_from(["good"] * 4 + ["bad_check", "unknown"]),
                      st.integers(0, PRODUCTS - 1),
                      st.sampled_from([*SCAN_OPS, "count"]),
                      st.integers(1, 4))
request = st.one_of(
    # scanner (two devices of the store): keys into the example's pool of reads
    st.tuples(st.just("scan"), st.integers(0, 1),
              st.lists(st.integers(0, 7), min_size=1, max_size=6)),
    # fixed and gate RFID readers: tags (product index, unit serial); -1 = not a GS1 tag,
    # PRODUCTS = a GS1 tag of no product
    st.tuples(st.sampled_from(["exit", "dock", "pos_gate"]), st.just(0),
              st.lists(st.tuples(st.integers(-1, PRODUCTS), st.integers(0, 5)),
                       min_size=1, max_size=6)),
    # the count session's batch, closed before the groups (at most one per example)
    st.tuples(st.just("count_session"), st.just(0), st.just([])),
)


@dataclass
class Store:
    """One fresh database with a device of every kind, and the stages that feed the writer."""

    dsn: str
    reference: ReferenceData
    preparer: Preparer
    devices: dict[str, object]


@contextmanager
def fresh_store(pg_server, template: str):
    """A fresh database with a device of each kind; dropped after the example."""
    name = f"mixed_{next(_databases)}"
    dsn = templates.clone(pg_server, template, name)
    reference = None
    try:
        tokens = {"scan0": create_device(dsn, name="scan0")[1],
                  "scan1": create_device(dsn, name="scan1")[1],
                  "exit": create_device(dsn, name="exit", kind="rfid_fixed",
                                        rfid_role="exit")[1],
                  "dock": create_device(dsn, name="dock", kind="rfid_fixed",
                                        rfid_role="dock")[1],
                  "pos_gate": create_device(dsn, name="gate", kind="pos_gate")[1],
                  "handheld": create_device(dsn, name="handheld", kind="rfid_handheld")[1]}
        reference = ReferenceData(dsn)
        devices = {role: reference.device_for_token(token) for role, token in tokens.items()}
        yield Store(dsn, reference, Preparer(reference), devices)
    finally:
        if reference is not None:
            reference.stop()
        templates.drop(pg_server, name)


def tag(product: int, serial: int) -> str:
    if product < 0:
        return f"{serial + 1:024d}"  # all zeros but the serial: not a GS1 tag
    # PRODUCTS stands for a GS1 tag of no product: item reference 9999 is not in the catalog
    return catalog.sgtin96(product if product < PRODUCTS else 9999, 1000 + serial)


def rfid_batch(store: Store, role: str, tags: list[tuple[int, int]]):
    """What the RFID stage makes of a reader's request (its own deduplication: a fresh
    stage per request, so a tag in two requests is a neighbouring reader or a resend)."""
    stage = RfidStage(store.reference)
    rng = random.Random(7)
    body = json.dumps([impinj_r700_event(rng, tag(p, s), n * 0.01, role)
                       for n, (p, s) in enumerate(tags)]).encode()
    return stage.movements(stage.read_payload(store.devices[role], "impinj", body))


def count_session_batch(store: Store, counted: list[tuple[int, int]]):
    """Open an auto-apply count session on S01 stock, count the tags, close: its batch."""
    counts = CountStore(store.dsn, store.reference)
    device = store.devices["handheld"]
    try:
        session = counts.open(device, S01_STOCK, "mixed", True)
        stage = RfidStage(store.reference)
        rng = random.Random(3)
        body = json.dumps([impinj_r700_event(rng, tag(p, s), n * 0.01, "handheld")
                           for n, (p, s) in enumerate(counted)]).encode()
        items = stage.read_payload(device, "impinj", body).items
        counts.add(device, items)
        _session, batch = counts.close(session["id"], device)
        return batch
    finally:
        counts.close_connection()


def scan_batch(store: Store, device: str, keys: list[int], pool: dict[int, tuple]):
    reads = []
    for key in keys:
        kind, product, op, qty = pool[key]
        code = {"good": ean13(product), "unknown": "4099999000005",
                "bad_check": ean13(product)[:-1] + str((int(ean13(product)[-1]) + 1) % 10)}[kind]
        reads.append({"key": f"k{key}", "code": code, "op": op, "qty": qty})
    body = json.dumps({"reads": reads}).encode()
    return store.preparer.prepare(store.devices[device], *decode_body(body, 10_000))


def commit_one_group(store: Store, batches) -> list[list[ReadFate]]:
    """Submit every batch, then start the writer: its first group is all of them."""
    writer = GroupCommitWriter(store.dsn, store.reference, batch_max_reads=100_000)
    futures = []
    for batch in batches:
        future: Future = Future()
        writer.submit(batch, lambda result, f=future: (
            f.set_exception(result) if isinstance(result, BaseException) else f.set_result(result)))
        futures.append(future)
    transactions = metrics.total(metrics.BATCHES)
    writer.start()
    try:
        fates = [future.result(60) for future in futures]
    finally:
        writer.stop()
    assert metrics.total(metrics.BATCHES) - transactions == 1, "one group, one transaction"
    return fates


class Model:
    """What the store's quants and the EPCs should be after the groups."""

    def __init__(self, opening: dict[int, float]) -> None:
        self.on_hand = dict(opening)  # product id -> quantity at S01 stock
        self.applied_keys: set[tuple[str, str]] = set()
        self.epc_state: dict[str, str] = {}

    def group(self, requests: list[tuple[str, list]]) -> list[list[str]]:
        """Expected fates per request, in order; updates the model like one transaction."""
        counts: list[tuple[int, float]] = []
        expected: list[list[str]] = []
        for device, reads in requests:
            fates = []
            seen: set[str] = set()
            for read in reads:
                fates.append(self._fate(device, read, seen, counts))
            expected.append(fates)
        for product, quantity in counts:  # a group's counts come after its moves
            self.on_hand[product] = quantity
        return expected

    def _fate(self, device: str, read: tuple, seen: set[str], counts: list) -> str:
        kind, key, product, op, qty = read
        if kind == "epc":  # (epc, movement): the EPC's state gates it before its key
            state = self.epc_state.get(key)
            allowed = {"receipt": {None}, "sale": {None, "in_stock", "received"}}[op]
            if state not in allowed:
                return "duplicate:epc_state"
            if (device, f"epc:{key}:{op}") in self.applied_keys:
                return "duplicate"
            self.applied_keys.add((device, f"epc:{key}:{op}"))
            self.epc_state[key] = "sold" if op == "sale" else "received"
            self.on_hand[product] += qty if op == "receipt" else -qty
            return "applied"
        if key in seen:  # the request's own repeats come first, whatever they hold
            return "duplicate"
        seen.add(key)
        if kind != "good":
            return f"rejected:{REASONS.get(kind, kind)}"
        if (device, key) in self.applied_keys:
            return "duplicate"
        self.applied_keys.add((device, key))
        if op == "count":
            counts.append((product, qty))
        else:
            self.on_hand[product] += SCAN_OPS[op] * qty
        return "applied"


def fate_text(fate: ReadFate) -> str:
    if fate.status == "rejected":
        return f"rejected:{fate.reason_code}"
    if fate.reason_code == "epc_state":
        return "duplicate:epc_state"
    return fate.status


def stock_on_hand(dsn: str) -> dict[int, float]:
    rows = dict(query(dsn, "SELECT product_id, sum(quantity) FROM stock_quant "
                           "WHERE location_id = %s AND product_id = ANY(%s) GROUP BY 1",
                      (S01_STOCK, list(range(2, 2 + PRODUCTS)))))
    return {product: float(rows.get(product, 0)) for product in range(2, 2 + PRODUCTS)}


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(pool=st.lists(scan_read, min_size=8, max_size=8),
       groups=st.lists(st.lists(request, min_size=2, max_size=6), min_size=1, max_size=2),
       counted=st.lists(st.tuples(st.integers(0, PRODUCTS - 1), st.integers(0, 5)),
                        min_size=1, max_size=6),
       resend=st.booleans())
# A count resent after its group (a duplicate) must not become the on-hand that the next
# count of the same product is compared with: the sale in between would be counted twice.
@example(pool=[("good", 0, "count", 1), ("good", 0, "count", 3), ("good", 0, "sale", 1)]
         + [("good", 1, "sale", 1)] * 5,
         groups=[[("scan", 0, [0])], [("scan", 1, [2, 1])]], counted=[(0, 0)], resend=True)
def test_mixed_groups_commit_whole_and_match_the_model(pg_server, fast_path_template, pool,
                                                        groups, counted, resend):
    with fresh_store(pg_server, fast_path_template) as store:
        run_example(store, pool, groups, counted, resend)


def run_example(store: Store, pool, groups, counted, resend) -> None:
    model = Model(stock_on_hand(store.dsn))
    pool = dict(enumerate(pool))
    session_batch = None
    if any(kind == "count_session" for group in groups for kind, _n, _r in group):
        session_batch = count_session_batch(store, counted)
        distinct = {(p, s) for p, s in counted}
        expected_counts = {p + 2: float(sum(1 for q, _s in distinct if q == p))
                           for p, _s in distinct}
        assert {r.product_id: r.quantity for r in session_batch.reads} == expected_counts
        for p, s in distinct:  # counted tags are in stock at the counted location
            model.epc_state[tag(p, s)] = "in_stock"
    if resend:  # the second group resends the first one's requests, then its own
        groups = [groups[0], groups[0] + groups[1:][0]] if len(groups) > 1 else groups * 2
    for group in groups:
        batches, model_requests = [], []
        for kind, device_number, payload in group:
            if kind == "scan":
                device = f"scan{device_number}"
                batches.append(scan_batch(store, device, payload, pool))
                model_requests.append((device, [
                    (pool[k][0], f"k{k}", pool[k][1] + 2, pool[k][2], pool[k][3])
                    for k in payload]))
            elif kind == "count_session":
                batches.append(session_batch)
                model_requests.append(("handheld", [
                    ("good", read.key, read.product_id, "count", read.quantity)
                    for read in session_batch.reads]))
            else:
                batches.append(rfid_batch(store, kind, payload))
                model_requests.append((kind, _rfid_model_reads(kind, payload)))
        expected = model.group(model_requests)
        fates = commit_one_group(store, batches)
        got = [[fate_text(fate) for fate in request_fates] for request_fates in fates]
        assert got == expected
    assert stock_on_hand(store.dsn) == pytest.approx(model.on_hand)


def _rfid_model_reads(role: str, tags: list[tuple[int, int]]) -> list[tuple]:
    """One read per distinct GS1 tag of the request, in first-seen order (the RFID stage
    keeps one sighting per EPC and only counts tags that are not GS1)."""
    movement = "receipt" if role == "dock" else "sale"
    reads, seen = [], set()
    for product, serial in tags:
        epc = tag(product, serial)
        if product < 0 or epc in seen:
            continue
        seen.add(epc)
        if product >= PRODUCTS:
            reads.append(("unknown_product", epc, None, movement, 1))
        else:
            reads.append(("epc", epc, product + 2, movement, 1))
    return reads
