"""The ingest against its own OpenAPI document: schemathesis's generated requests, as a
scanner, an exit gate, a dock reader and a count handheld (``docs/reliability.md``)."""

from __future__ import annotations

import json
import shutil

import httpx
import pytest

from ingest_core.api.openapi import OPENAPI
from ingest_core.tools import api_conformance
from tests.support.ingest import IngestProcess, create_device, query

pytest.importorskip("schemathesis", reason="schemathesis (extra [test]) not installed")


def test_generated_requests_find_no_fault(tmp_path, module_db):
    """Every check of schemathesis passes for every device kind: no 5xx, every request
    the document allows taken, every one it refuses answered 4xx with a message, every
    status and body documented; afterwards the ingest answers, no group commit fell
    back, its log holds no traceback, and every quarantined read has its reason."""
    if not shutil.which("st") and not (api_conformance.Path(
            api_conformance.sys.executable).with_name("st")).exists():
        pytest.skip("the schemathesis command is not installed")
    result = api_conformance.conformance_on(module_db, max_examples=25, seed=20261207,
                                            workdir=tmp_path)
    outputs = result.pop("outputs")
    assert api_conformance.passed(result), (result, outputs)
    assert result["generated"] > 4 * 1000, result
    assert result["checks"]["quarantined"] > 0, "generated bad reads were quarantined"


def test_a_read_with_nul_characters_is_quarantined_not_a_failed_group(module_db):
    """Found by the generated requests: a malformed read holding NUL (which PostgreSQL
    text and jsonb refuse) failed the whole group's transaction, so its batch was
    answered 503 forever and held its device's good reads back. Now the good read is
    applied, the bad ones rejected and quarantined, and the key with NUL refused."""
    _id, token = create_device(module_db, name="S01-NUL", kind="scanner")
    with IngestProcess(module_db) as ingest:
        reads = [{"key": "nul-1", "code": "4012345000009", "op": "sale"},
                 {"key": "nul-2", "code": "40123\u000045", "op": "sale",
                  "junk": {"a\u0000": 1}},
                 {"key": "nul-\u0000-3", "code": "4012345000016", "op": "sale"},
                 {"key": "nul-4", "code": 5, "op": "sale", "note": "\u0000"}]
        answer = httpx.post(f"{ingest.url}/v1/reads", timeout=30,
                            content=json.dumps({"reads": reads}),  # NUL as \u0000
                            headers={"Authorization": f"Bearer {token}",
                                     "Content-Type": "application/json"})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert [r["status"] for r in body["results"]] == [
            "applied", "rejected", "rejected", "rejected"], body
        assert body["results"][2]["reason_code"] == "bad_key"
        rows = query(module_db, "SELECT read_key, reason_code, raw::text FROM rrs_quarantine "
                                "WHERE device_id = %s ORDER BY id", (_id,))
    keys = {code: key for key, code, _raw in rows}
    assert keys == {"not_numeric": "nul-2", "bad_key": "nul-\ufffd-3", "bad_read": "nul-4"}
    assert "\\u0000" not in "".join(raw for *_k, raw in rows), "stored as U+FFFD"


def test_count_session_options_are_checked_and_names_stored_whatever_they_hold(module_db):
    _id, token = create_device(module_db, name="S01-HH-NUL", kind="rfid_handheld",
                               rfid_role="count", allowed=["count"])
    headers = {"Authorization": f"Bearer {token}"}
    with IngestProcess(module_db) as ingest:
        wrong = httpx.post(f"{ingest.url}/v1/count-sessions", headers=headers, timeout=30,
                           json={"location_id": "shelf"})
        assert wrong.status_code == 422 and "location_id" in wrong.json()["error"]
        opened = httpx.post(f"{ingest.url}/v1/count-sessions", headers=headers, timeout=30,
                            json={"name": "aisle\u00007", "location_id": 18.0})
        assert opened.status_code == 200, opened.text
        assert opened.json()["name"] == "aisle\ufffd7"
        session = opened.json()["id"]
        assert httpx.get(f"{ingest.url}/v1/count-sessions/{session}", headers=headers,
                         timeout=30).status_code == 200
        for odd in (f"{session}%0D", "%E0%B9%98", f"+{session}"):  # ๘ is a Thai 8
            answer = httpx.get(f"{ingest.url}/v1/count-sessions/{odd}", headers=headers,
                               timeout=30)
            assert answer.status_code == 404, (odd, answer.text)


def test_every_path_parameter_is_declared():
    """The first schemathesis run's schema errors: ``session_id`` was not declared."""
    for path, item in OPENAPI["paths"].items():
        for operation in item.values():
            declared = {p["name"] for p in operation.get("parameters", ())
                        if p["in"] == "path"}
            wanted = {part[1:-1] for part in path.split("/") if part.startswith("{")}
            assert declared == wanted, path


def test_bodies_no_generator_sends_are_answered_4xx_not_500(module_db):
    """Found by fuzzing the parsers: invalid UTF-8 inside a JSON string and JSON nested
    deeper than the decoder recurses escaped as exceptions (a 500). Now /v1/reads and
    the count-session options answer 422, the vendor routes 400, each with its reason."""
    _id, token = create_device(module_db, name="S01-BYTES", kind="scanner")
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    bad_utf8 = b'{"reads": [{"key": "k1", "code": "4012345000009", "op": "sale"}, ' \
               b'{"key": "\xb3", "code": "1", "op": "sale"}]}'
    deep = b'{"reads": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}"
    with IngestProcess(module_db) as ingest:
        for path in ("/v1/reads", "/v1/count-sessions", *(f"/v1/rfid/{vendor}" for vendor in (
                "impinj", "zebra", "speedway", "edgex"))):
            utf8 = b'{"name": "\xb3"}' if path == "/v1/count-sessions" else bad_utf8
            for body in (utf8, deep, b"[" * 100_000):
                answer = httpx.post(f"{ingest.url}{path}", content=body, headers=headers,
                                    timeout=60)
                assert 400 <= answer.status_code < 500, (path, body[:40], answer.text)
                assert answer.json()["error"], (path, answer.text)
        assert httpx.get(f"{ingest.url}/healthz", timeout=30).status_code == 200


def test_an_epcis_time_out_of_range_is_a_query_parameter_exception():
    """Found by schemathesis: ``LT_eventTime=0001-01-01T00:00:00+03:04`` is before year 1
    in UTC; converting it overflowed into a 500."""
    from ingest_core.epcis import query

    with pytest.raises(query.QueryError) as caught:
        query.parse({"GE_eventTime": ["2026-12-01T00:00:00Z"],
                     "LT_eventTime": ["0001-01-01T00:00:00+03:04"]}, 1)
    assert caught.value.status == 400 and "out of range" in str(caught.value)
