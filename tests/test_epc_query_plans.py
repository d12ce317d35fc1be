"""The writer's EPC lookups probe the unique index, whatever the table's size.

Every RFID movement reads its EPC's state in the writer's transaction. For a
plain join of the group's EPCs with ``rrs_epc`` the planner picked a hash join
over a scan of the whole table as long as the table was smaller than a few
hundred thousand tags, i.e. for the first weeks of a store (35-54 ms a group at
65 000 tags instead of 2-3 ms: the mixed-traffic benchmark lost a third of its
throughput to it, issue 21). These tests plan the statements the writer and the
count store send, as they send them, on an analysed table of that size, and
fail when any of them reads all of ``rrs_epc``.
"""

from __future__ import annotations

import json

import psycopg2
import pytest

from ingest_core.odoo import sql
from ingest_core.resolve.devices import provision

TAGS = 65_000


class PlanningCursor:
    """A cursor that plans (``EXPLAIN``, never runs) what it is asked to execute."""

    def __init__(self, cur) -> None:
        self.cur = cur
        self.plans: list[dict] = []

    def execute(self, statement: str, params=()) -> None:
        self.cur.execute("EXPLAIN (FORMAT JSON) " + statement, params)
        self.plans.append(self.cur.fetchone()[0][0]["Plan"])

    def fetchall(self) -> list:
        return []


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


@pytest.fixture
def tagged_db(fast_db):
    """A store database whose ``rrs_epc`` holds ``TAGS`` tags, analysed."""
    device, _token = provision(fast_db, name="exit", kind="rfid_fixed", rfid_role="exit")
    connection = psycopg2.connect(fast_db)
    try:
        with connection, connection.cursor() as cur:
            cur.execute("""
                INSERT INTO rrs_epc (epc, product_id, state, location_id, last_seen,
                                     last_device_id)
                SELECT lpad(to_hex(g), 24, '0'), 2 + g %% 2000, 'sold', 5, now(), %s
                  FROM generate_series(1, %s) g""", (device, TAGS))
        connection.autocommit = True
        with connection.cursor() as cur:
            cur.execute("ANALYZE rrs_epc")
    finally:
        connection.close()
    return fast_db, device


@pytest.mark.parametrize("lookup", ["epc_states", "touch_epcs"])
def test_a_group_of_epcs_is_looked_up_by_index(tagged_db, lookup):
    dsn, device = tagged_db
    epcs = [f"{0xE28 << 80 | n:024X}" for n in range(1_600)]  # a group's worth, unknown
    connection = psycopg2.connect(dsn)
    try:
        with connection.cursor() as cur:
            planning = PlanningCursor(cur)
            if lookup == "epc_states":
                sql.epc_states(planning, epcs)
            else:
                sql.touch_epcs(planning, epcs, device, "2026-12-06T12:00:00")
        connection.rollback()
    finally:
        connection.close()
    [plan] = planning.plans
    scans = [node["Node Type"] for node in _nodes(plan) if node.get("Relation Name") == "rrs_epc"
             and node["Node Type"] != "ModifyTable"]
    assert scans, json.dumps(plan, indent=1)
    assert all(kind in ("Index Scan", "Index Only Scan") for kind in scans), (
        f"{lookup} reads rrs_epc by {scans}, not by its unique index:\n"
        + json.dumps(plan, indent=1))
