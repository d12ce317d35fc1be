"""``rtstock bench epcis``: EPCIS export and query speed on a chain's month of movements.

What it is: the figures of issue 19 on a generated chain in the genuine Odoo 18
schema (``ingest_core.odoo.chain_history``, cached like ``rtstock bench
analysis``'s): capture documents exported per second (JSON-LD and XML, the
whole history), the event hash against GS1's reference tool (the naive way to
make eventIDs), and ``GET /epcis/events`` over HTTP for one store's day
(first page and every page), p50/p95.

How it works: the history is one done sale move per product x store x day
(the journal's aggregation), each given its move line on first use, so every
event is an aggregated one; the
serialised path (one event per RFID read) is measured by the tests' mix, not
here. The query runs against a real ``rtstock serve`` on loopback with a
partner holding the chain's GS1 prefix; the stores and days are drawn with a
fixed seed.

Caveats: on the shared 2-core machine the export competes with the database
server for the cores; the figures are end to end, database included.
"""

from __future__ import annotations

import io
import json
import random
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import psycopg2

from ingest_core.bench.analysis import AnalysisBenchOptions, open_history, percentile
from ingest_core.bench.process import IngestProcess
from ingest_core.epcis import document, export
from ingest_core.epcis.build import EventBuilder
from ingest_core.epcis.event import event_hash
from ingest_core.odoo import chain_history
from ingest_core.odoo import epcis as epcis_sql
from ingest_core.resolve.reference import hash_token

#: A month of a 20-store chain: about a million aggregated movements.
SIZE = {"stores": 20, "skus": 5000, "days": 30}
QUERY_GOAL_MS = 200.0


class _Counter(io.RawIOBase):
    """A sink that counts the bytes written to it."""

    def __init__(self) -> None:
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.size += len(data)
        return len(data)


def _window(dsn: str) -> tuple[datetime, datetime, int, list[tuple[int, str]]]:
    """(first, last move date + 1 s, done moves, [(store id, code)] of the stores that
    sold)."""
    connection = psycopg2.connect(dsn)
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT min(date), max(date), count(*) FROM stock_move "
                        "WHERE state = 'done'")
            first, last, moves = cur.fetchone()
            cur.execute("""SELECT w.id, w.code FROM stock_warehouse w
                            WHERE EXISTS (SELECT 1 FROM stock_move m
                                           WHERE m.location_id = w.lot_stock_id
                                             AND m.state = 'done')
                            ORDER BY w.id""")
            stores = cur.fetchall()  # the stores that sold
    finally:
        connection.close()
    return first, last + timedelta(seconds=1), moves, stores


def _export_speed(dsn: str, since: datetime, until: datetime, fmt: str) -> dict:
    sink = _Counter()
    report = export.export(dsn, since, until, sink, fmt)
    return {"events": report.events, "seconds": report.seconds,
            "events_per_s": round(report.events / report.seconds) if report.seconds else None,
            "mib": round(sink.size / 2**20, 1)}


def _hash_speed(dsn: str, since: datetime, until: datetime, sample: int = 2000) -> dict:
    """Our hash and GS1's reference tool on the same exported events."""
    # GS1's tool is a test dependency (setup.py's "test" extra), not the product's.
    from epcis_event_hash_generator import hash_generator, json_to_py

    connection = psycopg2.connect(dsn)
    try:
        events = []
        for event in export.events(connection, since, until):
            events.append(event)
            if len(events) == sample:
                break
    finally:
        connection.close()
    buffer = io.BytesIO()
    document.write_jsonld(events, buffer)
    doc = json.loads(buffer.getvalue())
    started = time.perf_counter()
    reference = hash_generator.epcis_hashes_from_events(
        json_to_py.event_list_from_epcis_document_json(doc))
    reference_s = time.perf_counter() - started
    started = time.perf_counter()
    ours = [event_hash(event) for event in events]
    ours_s = time.perf_counter() - started
    return {"events": len(events), "equal": ours == reference,
            "gs1_reference_per_s": round(len(events) / reference_s),
            "ours_per_s": round(len(events) / ours_s),
            "ratio": round(reference_s / ours_s, 1)}


def _partner(dsn: str, prefix: str) -> str:
    token = secrets.token_urlsafe(24)
    connection = psycopg2.connect(dsn)
    try:
        with connection.cursor() as cur:
            cur.execute("INSERT INTO rrs_epcis_partner (name, company_prefixes, token_hash, "
                        "active, company_id) VALUES ('bench supplier', %s, %s, true, 1)",
                        (prefix, hash_token(token)))
        connection.commit()
    finally:
        connection.close()
    return token


def _store_locations(dsn: str) -> dict[int, str]:
    """The SGLN the export gives each store's stock location, by store id."""
    connection = psycopg2.connect(dsn)
    try:
        with connection.cursor() as cur:
            companies, stores, locations = epcis_sql.places(cur)
    finally:
        connection.close()
    builder = EventBuilder(companies, stores, locations)
    return {store.id: builder.location_uri(store.lot_stock_id) for store in stores.values()}


def _query_speed(dsn: str, first: datetime, last: datetime, stores: list[tuple[int, str]],
                 repeat: int, progress: Callable[[str], None]) -> dict:
    token = _partner(dsn, chain_history.BARCODE_PREFIX[:7])
    places = _store_locations(dsn)
    rng = random.Random(19)
    days = (last - first).days
    first_page, whole_day, events, pages = [], [], [], []
    with IngestProcess(dsn, fail_on_fallback=False) as ingest, httpx.Client(
            base_url=ingest.url, timeout=120,
            headers={"Authorization": f"Bearer {token}"}) as client:
        for run in range(repeat):
            store_id, _code = stores[rng.randrange(len(stores))]
            day = (first + timedelta(days=1 + rng.randrange(max(days - 1, 1)))).date()
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            # A sale has no bizLocation (the goods left): its place is the read point.
            params = {"GE_eventTime": start.isoformat(),
                      "LT_eventTime": (start + timedelta(days=1)).isoformat(),
                      "EQ_readPoint": places[store_id], "EQ_bizStep": "retail_selling",
                      "perPage": "1000"}
            started = time.perf_counter()
            response = client.get("/epcis/events", params=params)
            first_page.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
            count = len(response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"])
            page_count = 1
            while link := response.headers.get("link"):
                response = client.get(link.split(">", 1)[0].lstrip("<"))
                response.raise_for_status()
                count += len(response.json()["epcisBody"]["queryResults"]["resultsBody"][
                    "eventList"])
                page_count += 1
            whole_day.append((time.perf_counter() - started) * 1000)
            events.append(count)
            pages.append(page_count)
            if run == 0:
                progress(f"query: store {store_id} on {day}: {count} events in {page_count} "
                         f"pages")
    return {"queries": repeat, "events_per_day_p50": percentile(events, 0.5),
            "pages_per_day_max": max(pages),
            "first_page_ms_p50": round(percentile(first_page, 0.5), 1),
            "first_page_ms_p95": round(percentile(first_page, 0.95), 1),
            "whole_day_ms_p50": round(percentile(whole_day, 0.5), 1),
            "whole_day_ms_p95": round(percentile(whole_day, 0.95), 1)}


def _with_move_lines(dsn: str, progress: Callable[[str], None]) -> int:
    """The generated history has moves only: give them their lines (once)."""
    connection = psycopg2.connect(dsn)
    try:
        with connection.cursor() as cur:
            started = time.perf_counter()
            added = chain_history.add_move_lines(cur)
        connection.commit()
        if added:
            progress(f"{added} done move lines added in {time.perf_counter() - started:.0f} s")
            connection.autocommit = True
            with connection.cursor() as cur:
                cur.execute("ANALYZE stock_move_line")
        return added
    finally:
        connection.close()


def run(options: AnalysisBenchOptions, repeat: int,
        progress: Callable[[str], None] = print) -> dict:
    server, dsn, made, generated = open_history(options, progress)
    try:
        _with_move_lines(dsn, progress)
        first, until, moves, stores = _window(dsn)
        progress(f"{moves} done moves from {first:%Y-%m-%d} to {until:%Y-%m-%d}")
        result = {"chain": made.get("size"), "done_moves": moves,
                  "history_generated_this_run": generated}
        progress("exporting the whole history as JSON-LD")
        result["export_jsonld"] = _export_speed(dsn, first, until, "jsonld")
        progress("exporting the whole history as XML")
        result["export_xml"] = _export_speed(dsn, first, until, "xml")
        progress("hashing with GS1's reference tool")
        result["event_hash"] = _hash_speed(dsn, first, until)
        progress("querying one store's day over HTTP")
        result["query"] = _query_speed(dsn, first, until, stores, repeat, progress)
        result["checks"] = {  # correctness: the command fails without them
            "hash_equals_gs1_reference": result["event_hash"]["equal"],
            "json_and_xml_hold_the_same_events":
                result["export_jsonld"]["events"] == result["export_xml"]["events"]}
        result["goals"] = {  # speed: reported, as every benchmark's
            f"query_first_page_p95_le_{QUERY_GOAL_MS:.0f}_ms":
                result["query"]["first_page_ms_p95"] <= QUERY_GOAL_MS}
        return result
    finally:
        if server is not None:
            server.stop(remove=False)


def table(result: dict) -> str:
    rows = [("done moves in the history", f"{result['done_moves']:,}")]
    for fmt in ("jsonld", "xml"):
        figures = result[f"export_{fmt}"]
        rows.append((f"export {fmt}", f"{figures['events']:,} events in {figures['seconds']} s "
                     f"= {figures['events_per_s']:,}/s ({figures['mib']} MiB)"))
    hashed = result["event_hash"]
    rows.append(("event hash, events/s", f"ours {hashed['ours_per_s']:,} vs GS1 reference "
                 f"{hashed['gs1_reference_per_s']:,} ({hashed['ratio']}x; equal: "
                 f"{hashed['equal']})"))
    query = result["query"]
    rows.append(("query: a store's day, first page (ms)",
                 f"p50 {query['first_page_ms_p50']}  p95 {query['first_page_ms_p95']} "
                 f"(goal {QUERY_GOAL_MS:.0f})"))
    rows.append(("query: a store's day, every page (ms)",
                 f"p50 {query['whole_day_ms_p50']}  p95 {query['whole_day_ms_p95']} "
                 f"({query['events_per_day_p50']:.0f} events, up to "
                 f"{query['pages_per_day_max']} pages)"))
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)
