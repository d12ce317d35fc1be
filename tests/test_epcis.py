"""EPCIS 2.0: every movement as a GS1 event, valid by GS1's schemas, hashed as GS1's tool does.

The events come from a random mix of every operation (barcode scans of both
stores, RFID exit-gate sales and dock receipts) through the real fast path
(``rtstock serve`` + journal) on the genuine Odoo 18 database; the export is
then checked against what GS1 publishes, not against our own idea of it:

* the JSON-LD document validates against GS1's EPCIS 2.0 JSON Schema and the
  XML one against the EPCIS 2.0 XSD (``tests/data/gs1_epcis``, source named in
  its SOURCE.md);
* every ``eventID`` equals the hash of GS1's reference implementation
  (``epcis-event-hash-generator``), computed from the exported document;
* reconciliation: per product and store-side location and business step, the
  quantities of the events (one per EPC, plus quantity lists) equal the done
  move lines: no movement lost or doubled between the stock and its events.
"""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jsonschema
import psycopg2
import pytest
from epcis_event_hash_generator import hash_generator, json_to_py, xml_to_py
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from hardware.simulators.vendor import impinj_r700_event
from ingest_core.commit.journal import wait_drained
from ingest_core.decode import epc as epc_codec
from ingest_core.epcis import document, identifiers, vocabulary
from ingest_core.epcis.build import EventBuilder
from ingest_core.epcis.event import ObjectEvent, Quantity, prehash
from ingest_core.epcis.export import export
from ingest_core.odoo import epcis as epcis_sql
from ingest_core.resolve.devices import ALL_OPERATIONS
from ingest_core.resolve.reference import hash_token
from tests.support.ingest import IngestProcess, create_device, post, query
from tests.test_rfid_ingest import call, epc_of, post_rfid, rfid_device

REPO = Path(__file__).resolve().parents[1]
SCHEMAS = REPO / "tests" / "data" / "gs1_epcis"
STORES = {"S01": (2, 18), "S02": (3, 24)}  # warehouse id, stock location id
#: The step a done move is, from the usages of its locations (and the RFID movement):
#: the test's own reading of docs/decisions/epcis.md's table.
EXPECTED_STEP = {("internal", "customer"): "retail_selling",
                 ("customer", "internal"): "accepting",
                 ("supplier", "internal"): "receiving",
                 ("internal", "transit"): "shipping",
                 ("transit", "internal"): "receiving",
                 ("internal", "inventory"): None,  # scrap: destroying; count: cycle_counting
                 ("inventory", "internal"): "cycle_counting"}


def _json_schema() -> jsonschema.Draft7Validator:
    schema = json.loads((SCHEMAS / "EPCIS-JSON-Schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())


def _xml_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "EPCglobal-epcis-2_0.xsd")))


def reference_hashes(doc: dict) -> list[str]:
    """GS1's reference event hashes of a JSON-LD document's events."""
    return hash_generator.epcis_hashes_from_events(
        json_to_py.event_list_from_epcis_document_json(doc))


# ---------------------------------------------------------------- the hash, any event
gtin = st.integers(0, 10**12 - 1).map(lambda n: f"{n:012d}").map(
    lambda body: "4" + body[1:] + str(identifiers.gtin_check_digit("4" + body[1:])))
lot = st.text(alphabet="ABCxyz019 -/()*+,:!._%", min_size=1, max_size=12)
quantity = st.builds(Quantity, st.builds(identifiers.product_class, gtin, st.integers(1, 99),
                                         st.none() | lot),
                     st.sampled_from([1.0, 2.5, 12.0, 0.125, 1000.0]),
                     st.sampled_from([None, "KGM", "LTR"]))
sgtin = st.tuples(st.integers(0, 99_999), st.integers(1, 2**38 - 1)).map(
    lambda pair: epc_codec.decode(epc_codec.encode_sgtin96(
        "4012345", f"{pair[0]:06d}", pair[1])).uri)
place = st.integers(1, 999).map(lambda n: identifiers.gln("4012345", n))
moment = st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1)).map(
    lambda t: t.replace(microsecond=t.microsecond // 1000 * 1000, tzinfo=UTC))
offset = st.sampled_from(["+00:00", "+01:00", "-05:00", "+05:30", "-09:30"])


@st.composite
def object_event(draw) -> ObjectEvent:
    step = draw(st.sampled_from(list(vocabulary.STEPS.values())))
    here = identifiers.sgln(draw(place), draw(st.integers(0, 300)))
    epcs = tuple(draw(st.lists(sgtin, max_size=4, unique=True)))
    quantities = tuple(draw(st.lists(quantity, min_size=0 if epcs else 1, max_size=3)))
    party = identifiers.pgln(draw(place))
    sources = ((("owning_party", party), ("location", here)) if step.parties else ())
    destinations = ((("owning_party", party), ("location", identifiers.sgln(draw(place))))
                    if step.parties else ())
    return ObjectEvent(draw(moment), draw(offset), step, here,
                       here if step.inside else None, epcs, quantities, sources, destinations)


@settings(max_examples=150, deadline=None)
@given(events=st.lists(object_event(), min_size=1, max_size=5))
def test_event_ids_equal_the_gs1_reference_hash(events):
    """Any event this product can make gets the eventID GS1's reference tool computes."""
    buffer = io.BytesIO()
    document.write_jsonld(events, buffer)
    doc = json.loads(buffer.getvalue())
    expected = reference_hashes(doc)
    ours = [event["eventID"] for event in doc["epcisBody"]["eventList"]]
    assert ours == expected, "\n".join(
        f"ours {o}\nGS1  {e}\nprehash {prehash(ev)}"
        for o, e, ev in zip(ours, expected, events, strict=True) if o != e)


def test_the_hash_changes_with_what_the_event_says():
    """Two movements that differ in one unit or one millisecond have different IDs."""
    here = identifiers.sgln(identifiers.gln("4012345", 1), 18)
    at = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    cls = identifiers.product_class("4012345000016", 2)
    one = ObjectEvent(at, "+01:00", vocabulary.STEPS["sale"], here,
                      quantities=(Quantity(cls, 2),))
    same = ObjectEvent(at, "+01:00", vocabulary.STEPS["sale"], here,
                       quantities=(Quantity(cls, 2.0),))
    more = ObjectEvent(at, "+01:00", vocabulary.STEPS["sale"], here,
                       quantities=(Quantity(cls, 3),))
    later = ObjectEvent(at + timedelta(milliseconds=1), "+01:00", vocabulary.STEPS["sale"],
                        here, quantities=(Quantity(cls, 2),))
    assert one.event_id == same.event_id, "the same movement must keep its ID"
    assert len({one.event_id, more.event_id, later.event_id}) == 3, "IDs must differ"


# ---------------------------------------------------------------- a store's real mix
#: Two suppliers' GS1 company prefixes: the catalog's, and one given to products 6 and 7.
PREFIX_A, PREFIX_B = "4012345", "5098765"


def _gtin13(prefix: str, item: int) -> str:
    body = f"{prefix}{item:05d}"
    return body + str(identifiers.gtin_check_digit(body))


def _impinj_now(epcs: list[str]) -> bytes:
    """An Impinj R700 webhook body of these tags, each read twice, stamped now (the
    simulators' day, yesterday from 08:00, would put the reads outside the window)."""
    rng = random.Random(len(epcs))
    events = []
    for n, code in enumerate(code for code in epcs for _ in range(2)):
        event = impinj_r700_event(rng, code, n * 0.01, "epcis-r700")
        stamp = (datetime.now(UTC) - timedelta(milliseconds=50 - n % 50)).isoformat(
            timespec="milliseconds").replace("+00:00", "Z")
        event["timestamp"] = event["tagInventoryEvent"]["lastSeenTime"] = stamp
        events.append(event)
    return json.dumps(events).encode()


@pytest.fixture(scope="module")
def store_mix(module_db):
    """A random mix of every operation, scans and RFID, through the fast path; the ingest
    keeps running for the query interface's tests."""
    seed = int(os.environ.get("RTSTOCK_EPCIS_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    for product in (6, 7):  # another supplier's products
        query(module_db, "UPDATE product_product SET barcode = %s WHERE id = %s",
              (_gtin13(PREFIX_B, product), product))
    barcodes = dict(query(module_db, "SELECT id, barcode FROM product_product "
                                     "WHERE id BETWEEN 2 AND 7"))
    scanners = {store: create_device(module_db, name=f"epcis-{store}", warehouse_id=warehouse,
                                     location_id=location, allowed=ALL_OPERATIONS)[1]
                for store, (warehouse, location) in STORES.items()}
    _, dock = rfid_device(module_db, "epcis-dock", "dock", allowed=["receipt"])
    _, gate = rfid_device(module_db, "epcis-gate", "exit", allowed=["sale"])
    _, handheld = rfid_device(module_db, "epcis-handheld", "count", warehouse_id=3,
                              location_id=STORES["S02"][1], allowed=["count"])
    since = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=5)
    with IngestProcess(module_db) as process:
        for round_ in range(4):
            for store, token in scanners.items():
                reads = [{"key": f"epcis-{seed}-{round_}-{store}-{n}",
                          "code": barcodes[rng.randrange(2, 8)],
                          "op": rng.choice(ALL_OPERATIONS),
                          "qty": rng.randint(1, 5)} for n in range(rng.randint(5, 25))]
                assert post(process.url, token, reads).status_code == 200
            tags = [epc_of(2 + rng.randrange(4), 10_000 * round_ + n) for n in range(20)]
            post_rfid(process.url, dock, "impinj", _impinj_now(tags))
            post_rfid(process.url, gate, "impinj", _impinj_now(tags[: rng.randint(1, 20)]))
        # An RFID count of S02 (written as Odoo counts to apply, so no movement).
        session = call("POST", f"{process.url}/v1/count-sessions", handheld,
                       {"per_device": True, "auto_apply": False})
        counted = [epc_of(2 + rng.randrange(4), 90_000 + n) for n in range(rng.randint(3, 30))]
        post_rfid(process.url, handheld, "impinj", _impinj_now(counted))
        call("POST", f"{process.url}/v1/count-sessions/{session['id']}/close", handheld)
        wait_drained(module_db, 60)
        until = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=5)
        yield module_db, since, until, seed, process.url


def _export(dsn: str, since: datetime, until: datetime, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    export(dsn, since, until, buffer, fmt, **options)
    return buffer.getvalue()


def test_export_validates_against_gs1_json_schema_and_hashes(store_mix):
    """The JSON-LD export is valid by GS1's JSON Schema; each eventID is GS1's hash."""
    dsn, since, until, seed, _url = store_mix
    doc = json.loads(_export(dsn, since, until, "jsonld"))
    errors = [f"{list(e.absolute_path)}: {e.message}"
              for e in _json_schema().iter_errors(doc)]
    assert not errors, f"seed {seed}: not valid EPCIS 2.0 JSON:\n" + "\n".join(errors[:10])
    events = doc["epcisBody"]["eventList"]
    assert any(event["epcList"] for event in events), "RFID reads must be serialised events"
    assert any(event.get("quantityList") for event in events), "scans: quantity lists"
    assert [event["eventID"] for event in events] == reference_hashes(doc), f"seed {seed}"


def test_xml_export_validates_against_the_gs1_xsd_with_the_same_ids(store_mix):
    """The XML export is valid by GS1's EPCIS 2.0 XSD, and GS1's tool hashes its events
    to the IDs the JSON-LD export carries."""
    dsn, since, until, seed, _url = store_mix
    xml = _export(dsn, since, until, "xml")
    schema = _xml_schema()
    tree = etree.fromstring(xml)
    assert schema.validate(tree), f"seed {seed}: {schema.error_log.last_error}"
    ids = [node.text for node in tree.iter("eventID")]
    doc = json.loads(_export(dsn, since, until, "jsonld"))
    assert ids == [event["eventID"] for event in doc["epcisBody"]["eventList"]]
    _name, _ns, events = xml_to_py.event_list_from_epcis_document_str(xml.decode())
    assert hash_generator.epcis_hashes_from_events((_name, _ns, events)) == ids, \
        f"seed {seed}: GS1's tool hashes the XML events differently"


def _location_of(uri: str) -> int:
    return int(uri.rsplit("/254/", 1)[1])


def test_events_reconcile_with_the_done_move_lines(store_mix):
    """Per product, store-side location and step: event quantities == done move lines."""
    dsn, since, until, seed, _url = store_mix
    products = {identifiers.product_class(barcode, product): product
                for product, barcode in query(dsn, "SELECT id, barcode FROM product_product")}
    gtins = {barcode.zfill(14): product for product, barcode in
             query(dsn, "SELECT id, barcode FROM product_product WHERE barcode IS NOT NULL")}
    doc = json.loads(_export(dsn, since, until, "jsonld"))
    events: Counter = Counter()
    observed = Counter()
    for event in doc["epcisBody"]["eventList"]:
        key = (_location_of(event["readPoint"]["id"]), event["bizStep"])
        if event["bizStep"] == "cycle_counting" and event["epcList"]:
            observed.update(event["epcList"])  # what a count saw: not a movement
            continue
        for epc in event["epcList"]:
            events[(gtins[epc_codec.decode(epc).gtin], *key)] += 1
        for element in event.get("quantityList", ()):
            events[(products[element["epcClass"]], *key)] += element["quantity"]
    usage = dict(query(dsn, "SELECT id, usage FROM stock_location"))
    moves: Counter = Counter()
    kinds = defaultdict(set)
    for product, source, destination, scrapped, qty in query(dsn, """
            SELECT ml.product_id, ml.location_id, ml.location_dest_id,
                   coalesce(m.scrapped, false), ml.quantity
              FROM stock_move_line ml JOIN stock_move m ON m.id = ml.move_id
             WHERE m.state = 'done' AND m.date >= %s AND m.date < %s""", (since, until)):
        here = destination if usage[destination] == "internal" else source
        step = EXPECTED_STEP[(usage[source], usage[destination])] or (
            "destroying" if scrapped else "cycle_counting")
        moves[(product, here, step)] += float(qty)
        kinds[step].add(product)
    assert {"retail_selling", "accepting", "receiving", "shipping", "destroying",
            "cycle_counting"} <= set(kinds), f"seed {seed}: the mix lacks an operation"
    assert dict(events) == {key: value for key, value in moves.items()}, f"seed {seed}"
    counted = {epc_codec.decode(code).uri for (code,) in query(
        dsn, "SELECT epc FROM rrs_count_epc e JOIN rrs_count_session s ON s.id = e.session_id "
             "WHERE s.state <> 'open'")}
    assert counted, "the mix holds a closed RFID count"
    assert dict(observed) == dict.fromkeys(counted, 1), \
        f"seed {seed}: the count's observation events must list each counted EPC once"


def test_export_of_one_store_holds_only_its_places(store_mix):
    """``--store S02``: every event happened at one of S02's locations."""
    dsn, since, until, _seed, _url = store_mix
    s02 = {row[0] for row in query(dsn, "SELECT id FROM stock_location WHERE warehouse_id = 3")}
    doc = json.loads(_export(dsn, since, until, "jsonld", stores=["S02"]))
    events = doc["epcisBody"]["eventList"]
    assert events, "S02 sold and received in the mix"
    assert {_location_of(event["readPoint"]["id"]) for event in events} <= s02


def test_cli_writes_the_document_and_refuses_bad_windows_and_stores(store_mix, tmp_path):
    """``rtstock epcis export`` writes a file; an unknown store or an empty window is a
    clear error (exit 2), never a traceback."""
    dsn, since, until, _seed, _url = store_mix
    out = tmp_path / "events.xml"
    command = [sys.executable, "-m", "ingest_core.cli", "epcis", "export", "--dsn", dsn,
               "--from", since.isoformat(), "--to", until.isoformat(), "--out", str(out)]
    done = subprocess.run([*command, "--format", "xml", "--json"], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["events"] == len(list(etree.parse(str(out)).iter("eventID")))
    bad = subprocess.run([*command, "--store", "S99"], capture_output=True, text=True,
                         timeout=120, check=False)
    assert bad.returncode == 2 and "no store with code S99" in bad.stderr, bad.stderr
    assert "Traceback" not in bad.stderr
    backwards = subprocess.run([*command[:7], "--from", until.isoformat(), "--to",
                                since.isoformat(),
                                "--out", str(out)], capture_output=True, text=True,
                               timeout=120, check=False)
    assert backwards.returncode == 2 and "--to must be after --from" in backwards.stderr


# ---------------------------------------------------------------- the query interface
def _partner(dsn: str, name: str, prefixes: str) -> str:
    token = f"partner-{name}-{random.randrange(1 << 40)}"
    query(dsn, "INSERT INTO rrs_epcis_partner (name, company_prefixes, token_hash, active, "
               "company_id) VALUES (%s, %s, %s, true, 1)", (name, prefixes, hash_token(token)))
    return token


def _window(since: datetime, until: datetime) -> dict:
    return {"GE_eventTime": since.replace(tzinfo=UTC).isoformat(),
            "LT_eventTime": until.replace(tzinfo=UTC).isoformat()}


def _all_pages(url: str, token: str, params: dict) -> tuple[list[dict], int]:
    """Every event of a query, page after page through the Link headers."""
    events, pages = [], 0
    response = httpx.get(f"{url}/epcis/events", params=params, timeout=60,
                         headers={"Authorization": f"Bearer {token}"})
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["type"] == "EPCISQueryDocument"
        events += body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        pages += 1
        link = response.headers.get("link")
        if not link:
            return events, pages
        next_url = link.split(">", 1)[0].lstrip("<")
        response = httpx.get(f"{url}{next_url}", timeout=60,
                             headers={"Authorization": f"Bearer {token}"})


def _gtin_prefix(event: dict) -> str:
    uris = event["epcList"] + [q["epcClass"] for q in event.get("quantityList", ())]
    gtins = {epc_codec.decode(u).gtin if u.startswith("urn:") else u.split("/")[4]
             for u in uris}
    assert len(gtins) == 1, event
    return gtins.pop()[1:]


def test_partners_see_exactly_their_own_products_events_page_by_page(store_mix):
    """Each supplier gets exactly the export's events of its own GTINs, over many pages,
    none twice, none missing; another supplier's products never appear."""
    dsn, since, until, seed, url = store_mix
    export_events = json.loads(_export(dsn, since, until, "jsonld"))["epcisBody"]["eventList"]
    for name, prefix in (("a", PREFIX_A), ("b", PREFIX_B)):
        token = _partner(dsn, f"supplier-{name}-{seed}", prefix)
        events, pages = _all_pages(url, token, {**_window(since, until), "perPage": "7"})
        ids = [event["eventID"] for event in events]
        assert len(ids) == len(set(ids)), f"seed {seed}: an event came twice"
        assert pages > 1, "the test must cross pages"
        assert all(_gtin_prefix(event).startswith(prefix) for event in events), \
            f"seed {seed}: partner {name} saw another supplier's product"
        expected = [event["eventID"] for event in export_events
                    if _gtin_prefix(event).startswith(prefix)]
        assert sorted(ids) == sorted(expected), f"seed {seed}: partner {name}"


def test_query_filters_give_the_matching_subset_of_the_export(store_mix):
    """EQ_bizStep, EQ_bizLocation, WD_bizLocation, WD_readPoint, MATCH_epc and
    MATCH_epcClass: the answer is exactly the export's events that match, and the query
    document is valid EPCIS 2.0."""
    dsn, since, until, seed, url = store_mix
    token = _partner(dsn, f"filters-{seed}", f"{PREFIX_A} {PREFIX_B}")
    export_events = json.loads(_export(dsn, since, until, "jsonld"))["epcisBody"]["eventList"]
    an_epc = next(event["epcList"][0] for event in export_events if event["epcList"])
    s02 = next(event["readPoint"]["id"] for event in export_events
               if event.get("bizLocation") and _location_of(event["readPoint"]["id"]) == 24)
    gtin = _gtin13(PREFIX_B, 6).zfill(14)
    cases = {
        "EQ_bizStep": ("urn:epcglobal:cbv:bizstep:retail_selling|shipping",
                       lambda e: e["bizStep"] in ("retail_selling", "shipping")),
        "EQ_bizLocation": (s02, lambda e: e.get("bizLocation", {}).get("id") == s02),
        # S02's GLN without a location extension: every place of the store.
        "WD_bizLocation": (s02.split("/254/")[0],
                           lambda e: e.get("bizLocation", {}).get("id", "").startswith(
                               s02.split("/254/")[0] + "/")),
        "WD_readPoint": (s02.split("/254/")[0],
                         lambda e: e["readPoint"]["id"].startswith(s02.split("/254/")[0])),
        "MATCH_epc": (an_epc, lambda e: an_epc in e["epcList"]),
        "MATCH_epcClass": (f"urn:epc:idpat:sgtin:{PREFIX_B}.0{gtin[8:13]}.*",
                           lambda e: any(q["epcClass"].startswith(
                               f"https://id.gs1.org/01/{gtin}")
                               for q in e.get("quantityList", ()))),
    }
    for name, (value, keep) in cases.items():
        events, _pages = _all_pages(url, token, {**_window(since, until), name: value})
        expected = [event["eventID"] for event in export_events if keep(event)]
        assert expected, f"seed {seed}: the mix has no event for {name}"
        assert sorted(e["eventID"] for e in events) == sorted(expected), f"{name}, seed {seed}"
    response = httpx.get(f"{url}/epcis/events", params={**_window(since, until),
                                                          "perPage": "50"},
                         headers={"Authorization": f"Bearer {token}"}, timeout=60)
    errors = [e.message for e in _json_schema().iter_errors(response.json())]
    assert not errors, errors[:5]


@pytest.mark.parametrize(("params", "status", "kind"), [
    ({"GE_eventTime": "yesterday"}, 400, "QueryParameterException"),
    ({"GE_eventTime": "2026-01-01T00:00:00"}, 400, "QueryParameterException"),
    ({"EQ_colour": "red", "GE_eventTime": "2026-01-01T00:00:00Z"}, 400,
     "QueryParameterException"),
    ({"eventType": "PartyEvent", "GE_eventTime": "2026-01-01T00:00:00Z"}, 400,
     "QueryParameterException"),
    ({"perPage": "0", "GE_eventTime": "2026-01-01T00:00:00Z"}, 400, "QueryParameterException"),
    ({"MATCH_epc": "not-an-epc", "GE_eventTime": "2026-01-01T00:00:00Z"}, 400,
     "QueryParameterException"),
    ({"nextPageToken": "garbage", "GE_eventTime": "2026-01-01T00:00:00Z"}, 400,
     "QueryParameterException"),
    ({}, 413, "QueryTooLargeException"),
    ({"GE_eventTime": "2026-01-01T00:00:00Z", "LT_eventTime": "2026-03-01T00:00:00Z"}, 413,
     "QueryTooLargeException"),
])
def test_bad_queries_get_the_standard_exception_never_a_500(store_mix, params, status, kind):
    """Each bad query is answered with the EPCIS exception the standard names."""
    dsn, _since, _until, seed, url = store_mix
    token = _partner(dsn, f"bad-{seed}-{kind}-{len(params)}", PREFIX_A)
    response = httpx.get(f"{url}/epcis/events", params=params, timeout=60,
                         headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == f"epcisException:{kind}", response.text


def test_tokens_bind_to_their_query_and_partners_to_their_token(store_mix):
    """No token, an unknown one or a revoked one: SecurityException; a page token used
    with other parameters: QueryParameterException."""
    dsn, since, until, seed, url = store_mix
    params = {**_window(since, until), "perPage": "3"}
    assert httpx.get(f"{url}/epcis/events", params=params).status_code == 401
    wrong = httpx.get(f"{url}/epcis/events", params=params,
                      headers={"Authorization": "Bearer nobody"})
    assert wrong.status_code == 401 and wrong.json()["type"] == "epcisException:SecurityException"
    token = _partner(dsn, f"tokens-{seed}", PREFIX_A)
    first = httpx.get(f"{url}/epcis/events", params=params,
                      headers={"Authorization": f"Bearer {token}"})
    next_token = dict(pair.split("=", 1) for pair in
                      first.headers["link"].split(">")[0].split("?", 1)[1].split("&")
                      )["nextPageToken"]
    other = httpx.get(f"{url}/epcis/events", headers={"Authorization": f"Bearer {token}"},
                      params={**params, "EQ_bizStep": "receiving",
                              "nextPageToken": next_token})
    assert other.status_code == 400 and "another query" in other.json()["detail"]
    query(dsn, "UPDATE rrs_epcis_partner SET active = false WHERE token_hash = %s",
          (hash_token(token),))
    assert httpx.get(f"{url}/epcis/events", params=params,
                     headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_partner_sees_only_its_own_company_movements(store_mix):
    """A partner registered by another company of the database, with the same GS1
    prefix, sees none of this company's events."""
    dsn, since, until, seed, url = store_mix
    # A copy of company 1 (the dump's row names accounts it does not hold: no FK checks).
    query(dsn, """SET LOCAL session_replication_role = replica;
                  INSERT INTO res_company SELECT (jsonb_populate_record(NULL::res_company,
                      to_jsonb(c) || jsonb_build_object('id', 90, 'name', 'Other company',
                                                        'parent_path', '90/'))).*
                    FROM res_company c WHERE c.id = 1""")
    token = f"other-company-{seed}"
    query(dsn, "INSERT INTO rrs_epcis_partner (name, company_prefixes, token_hash, active, "
               "company_id) VALUES ('other', %s, %s, true, 90)", (PREFIX_A, hash_token(token)))
    events, _pages = _all_pages(url, token, _window(since, until))
    assert events == [], "a partner of company 90 saw company 1's stock"


def test_places_take_the_gln_settings_of_the_addon(real_addon_db):
    """With the add-on's GS1 columns filled, stores, locations and the company are named
    by them; a store without a GLN takes the default of the company's prefix."""
    for statement in ("ALTER TABLE res_company ADD COLUMN rrs_gs1_prefix varchar, "
                      "ADD COLUMN rrs_gln varchar",
                      "ALTER TABLE stock_warehouse ADD COLUMN rrs_gln varchar",
                      "ALTER TABLE stock_location ADD COLUMN rrs_gln_extension varchar"):
        query(real_addon_db, statement)
    store_gln, company_gln = identifiers.gln("5012345", 77), identifiers.gln("5012345", 1)
    query(real_addon_db, "UPDATE res_company SET rrs_gs1_prefix = '5012345', rrs_gln = %s "
                         "WHERE id = 1", (company_gln,))
    query(real_addon_db, "UPDATE stock_warehouse SET rrs_gln = %s WHERE id = 2", (store_gln,))
    query(real_addon_db, "UPDATE stock_location SET rrs_gln_extension = 'BACK-1' "
                         "WHERE id = 18")
    connection = psycopg2.connect(real_addon_db)
    try:
        with connection.cursor() as cur:
            builder = EventBuilder(*epcis_sql.places(cur))
    finally:
        connection.close()
    assert builder.location_uri(18) == f"https://id.gs1.org/414/{store_gln}/254/BACK-1"
    assert builder.location_uri(24) == (  # S02: no GLN of its own, the company prefix's
        f"https://id.gs1.org/414/{identifiers.gln('5012345', 3)}/254/24")
    transit = query(real_addon_db, "SELECT internal_transit_location_id FROM res_company "
                                   "WHERE id = 1")[0][0]
    assert builder.location_uri(transit) == f"https://id.gs1.org/414/{company_gln}/254/{transit}"
    assert builder.company_gln(1) == company_gln


# ---------------------------------------------------------------- Odoo's forms (back office)
def _back_office(dsn: str, name: str) -> str:
    """A back-office partner, as the add-on makes one for Odoo's forms: every product."""
    token = f"back-office-{name}-{random.randrange(1 << 40)}"
    query(dsn, "INSERT INTO rrs_epcis_partner (name, all_products, token_hash, active, "
               "company_id) VALUES (%s, true, %s, true, 1)", (name, hash_token(token)))
    return token


def _product_of(event: dict, gtins: dict[str, int]) -> int:
    uris = event["epcList"] + [q["epcClass"] for q in event.get("quantityList", ())]
    found = {gtins[epc_codec.decode(u).gtin if u.startswith("urn:") else u.split("/")[4]]
             for u in uris}
    assert len(found) == 1, event
    return found.pop()


def test_back_office_sees_every_event_and_narrows_by_product_move_and_tag(store_mix):
    """The add-on's forms ask as the back office (``all_products``): a product's events
    are the export's events of that product; a move's are those of the movements that
    hold it, and the moves' answers together are the export's movements, each once; a
    tag asked by its hex EPC gives what its URN gives."""
    dsn, since, until, seed, url = store_mix
    token = _back_office(dsn, f"odoo-{seed}")
    window = _window(since, until)
    export_events = json.loads(_export(dsn, since, until, "jsonld"))["epcisBody"]["eventList"]
    events, _pages = _all_pages(url, token, {**window, "perPage": "500"})
    assert sorted(e["eventID"] for e in events) == sorted(e["eventID"] for e in export_events), \
        f"seed {seed}: the back office sees every event of its company"
    gtins = {barcode.zfill(14): product for product, barcode in
             query(dsn, "SELECT id, barcode FROM product_product WHERE barcode IS NOT NULL")}
    for product in (2, 6):
        answer, _pages = _all_pages(url, token, {**window, "EQ_rtstock_product": str(product)})
        expected = [e["eventID"] for e in export_events if _product_of(e, gtins) == product]
        assert expected, f"seed {seed}: product {product} moved in the mix"
        assert sorted(e["eventID"] for e in answer) == sorted(expected), f"product {product}"
    moves = query(dsn, "SELECT id, product_id FROM stock_move WHERE state = 'done' "
                       "AND date >= %s AND date < %s", (since, until))
    seen: Counter = Counter()
    for move, product in moves:
        answer, _pages = _all_pages(url, token, {**window, "EQ_rtstock_move": str(move)})
        assert answer, f"seed {seed}: done move {move} has no event"
        assert {_product_of(e, gtins) for e in answer} == {product}, f"move {move}"
        seen.update({e["eventID"] for e in answer})
    # What a count saw is no move's (as in the reconciliation above).
    movements = {e["eventID"] for e in export_events
                 if not (e["bizStep"] == "cycle_counting" and e["epcList"])}
    assert set(seen) == movements, f"seed {seed}: the moves' events are the export's movements"
    tag_event = next(e for e in export_events if e["epcList"])
    urn = tag_event["epcList"][0]
    stored = next(code for (code,) in query(dsn, "SELECT epc FROM rrs_epc")
                  if epc_codec.decode(code).uri == urn)
    assert not stored.startswith("urn:"), "rrs_epc holds the tag as read (hex)"
    by_urn, _pages = _all_pages(url, token, {**window, "MATCH_epc": urn})
    by_hex, _pages = _all_pages(url, token, {**window, "MATCH_epc": stored})
    assert tag_event["eventID"] in {e["eventID"] for e in by_urn}
    assert [e["eventID"] for e in by_hex] == [e["eventID"] for e in by_urn], f"seed {seed}"


def test_a_supplier_sees_no_more_with_the_vendor_parameters(store_mix):
    """``EQ_rtstock_product`` of another supplier's product gives a supplier nothing; a
    bad id is a QueryParameterException."""
    dsn, since, until, seed, url = store_mix
    token = _partner(dsn, f"vendor-{seed}", PREFIX_A)
    answer, _pages = _all_pages(url, token, {**_window(since, until),
                                             "EQ_rtstock_product": "6"})
    assert answer == [], f"seed {seed}: supplier A saw supplier B's product 6"
    bad = httpx.get(f"{url}/epcis/events", headers={"Authorization": f"Bearer {token}"},
                    params={**_window(since, until), "EQ_rtstock_move": "12;DROP"})
    assert bad.status_code == 400
    assert bad.json()["type"] == "epcisException:QueryParameterException"


def test_query_answers_xml_valid_by_gs1_query_xsd_with_the_same_events(store_mix):
    """``Accept: application/xml``: the same page as an XML EPCISQueryDocument, valid by
    GS1's EPCIS 2.0 query XSD, with the JSON-LD answer's event IDs in the same order."""
    dsn, since, until, seed, url = store_mix
    token = _partner(dsn, f"xml-{seed}", f"{PREFIX_A} {PREFIX_B}")
    params = {**_window(since, until), "perPage": "40"}
    headers = {"Authorization": f"Bearer {token}"}
    as_json = httpx.get(f"{url}/epcis/events", params=params, headers=headers, timeout=60)
    as_xml = httpx.get(f"{url}/epcis/events", params=params, timeout=60,
                       headers={**headers, "Accept": "application/xml"})
    assert as_xml.status_code == 200 and as_xml.headers["content-type"].startswith(
        "application/xml")
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "EPCglobal-epcis-query-2_0.xsd")))
    tree = etree.fromstring(as_xml.content)
    assert schema.validate(tree), f"seed {seed}: {schema.error_log.last_error}"
    ids = [node.text for node in tree.iter("eventID")]
    events = as_json.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert ids and ids == [event["eventID"] for event in events]
    assert as_xml.headers.get("link") == as_json.headers.get("link"), "the same paging"
