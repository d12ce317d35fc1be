"""The ingest's OpenAPI 3.1 document (``GET /openapi.json``), kept true to the service.

What it is: one dictionary, ``OPENAPI``, describing every route: the reads contract,
the vendors' RFID bodies, count sessions, the EPCIS query, health and metrics, with
every status code a route answers.

How it works: request schemas say exactly what the service accepts, so that a
generated-input tool (schemathesis, ``docs/reliability.md``) can hold the two to
each other in both directions: a body the schema allows is taken (never a 400), a
body it refuses is answered 4xx. Two product rules shape them:

* a batch is refused only as a whole thing: one bad read (or one bad vendor event)
  among good ones is answered 200 with a per-read ``rejected`` and quarantined,
  never the batch refused. So a batch's items are "a ``Read``, or anything else"
  (``MalformedRead``), and a vendor body needs only *contain* one usable event
  (JSON Schema ``contains``);
* a vendor body is refused when nothing in it is the vendor's format, so each
  vendor's event schema states what makes the parser take an event (a tag read, a
  reader event, or a tag with one bad field, which is a per-read error): the field
  types of the parser's own structs (``ingest_core.rfid.formats``) plus the members
  that make it an event of that vendor.

Caveats: bodies that are not one JSON value (Impinj NDJSON streams, Zebra objects
back to back, Speedway posts separated by blank lines) are accepted by the service
but cannot be described by a JSON schema; their descriptions say so. Alien's text
notifications are described, not constrained: what the parser takes is not a
regular language. ``tests/test_openapi_conformance.py`` runs schemathesis over this
document on every CI run.
"""

from __future__ import annotations

import ingest_core

_NULLABLE_STRING = {"type": ["string", "null"]}
_INT64 = {"minimum": -(2**63), "maximum": 2**64 - 1}  # msgspec's int range
#: FX Connect sends numbers as strings; the parser takes these forms and no other.
INTEGER_TEXT = "^(-?[0-9]{1,18})?$"
DECIMAL_TEXT = "^(-?[0-9]{1,18}(\\.[0-9]{1,18})?)?$"
_ERROR = {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def _answer(description: str, schema: dict | None = None) -> dict:
    return {"description": description, "content": _json(schema or _ERROR)}


_AUTH = {"401": _answer("missing or unknown device token"),
         "403": _answer("device disabled, or not allowed this operation or role")}
_BUSY = {"503": _answer("overloaded or the database refused: resend after Retry-After "
                        "seconds")}

READ = {
    "type": "object", "required": ["key", "code", "op"],
    "properties": {
        "key": {"type": "string", "maxLength": 128,
                "description": "unique per device; resend until acked"},
        "code": {"type": "string", "description": "as scanned: EAN/UPC/GTIN/GS1 string"},
        "op": {"type": "string", "enum": ["sale", "return", "receipt", "transfer_out",
                                          "transfer_in", "scrap", "count"]},
        "ts": {"type": ["string", "null"], "format": "date-time"},
        "qty": {"type": "number", "default": 1},
        "location": {"type": ["integer", "null"], **_INT64,
                     "description": "Odoo location id; default: the device's"},
    }}
MALFORMED_READ = {"description": "anything that is not a Read: answered in the batch's 200 "
                                 "as rejected (reason_code bad_read) and quarantined with "
                                 "its raw text, never the batch refused"}
READ_RESULTS = {"type": "object", "required": ["results", "applied", "duplicate", "rejected"],
                "properties": {
                    "results": {"type": "array", "items": {
                        "type": "object", "required": ["key", "status"],
                        "properties": {
                            "key": _NULLABLE_STRING,
                            "status": {"enum": ["applied", "duplicate", "rejected",
                                                "training"],
                                       "description": "training: the device is in training "
                                                      "mode; the read was checked and logged, "
                                                      "not applied"},
                            "reason_code": _NULLABLE_STRING, "reason": _NULLABLE_STRING,
                            "event_id": {"type": ["integer", "null"]}}}},
                    "applied": {"type": "integer"}, "duplicate": {"type": "integer"},
                    "rejected": {"type": "integer"}, "training": {"type": "integer"}}}

# --- vendor bodies (the parser's structs: ingest_core.rfid.formats) -----------------------

_IMPINJ_OTHER_MEMBERS = ("overflowEvent", "inventoryStatusEvent", "inventoryTerminatedEvent",
                         "antennaConnectivityEvent", "diagnosticEvent", "tagLocateEvent",
                         "gpiTransitionEvent")
IMPINJ_EVENT = {
    "type": "object",
    "properties": {
        "timestamp": _NULLABLE_STRING, "hostname": _NULLABLE_STRING,
        "eventType": _NULLABLE_STRING,
        "tagInventoryEvent": {"anyOf": [{"type": "null"}, {
            "type": "object", "properties": {
                "epc": {"type": ["string", "null"], "description": "base64, either alphabet"},
                "epcHex": _NULLABLE_STRING,
                "antennaPort": {"type": ["integer", "null"], **_INT64},
                "peakRssiCdbm": {"type": ["number", "null"]},
                "lastSeenTime": _NULLABLE_STRING}}]}},
    # What makes it an Impinj event: a tag inventory (of type tagInventory or untyped), a
    # named event type, or one of the other event members (older firmware: no eventType).
    "anyOf": [{"required": ["tagInventoryEvent"],
               "properties": {"tagInventoryEvent": {"type": "object"},
                              "eventType": {"enum": [None, "tagInventory"]}}},
              {"required": ["eventType"],
               "properties": {"eventType": {"type": "string", "minLength": 1}}},
              *({"required": [member]} for member in _IMPINJ_OTHER_MEMBERS)]}

_ZEBRA_TAG = {"type": "object", "properties": {
    "idHex": _NULLABLE_STRING, "antenna": {"type": ["integer", "null"], **_INT64},
    "peakRssi": {"type": ["number", "null"]}, "reads": {"type": ["integer", "null"], **_INT64},
    "format": _NULLABLE_STRING, "hostName": _NULLABLE_STRING, "MAC": _NULLABLE_STRING,
    "timestamp": _NULLABLE_STRING}}
ZEBRA_EVENT = {
    "type": "object",
    "properties": {"data": {"anyOf": [{"type": "null"}, _ZEBRA_TAG,
                                      {"type": "array", "items": _ZEBRA_TAG}]},
                   "timestamp": _NULLABLE_STRING, "type": _NULLABLE_STRING},
    # a tag record (even one missing its idHex: a per-read error), a non-empty list of
    # them, or a typed non-tag event
    "anyOf": [{"required": ["data"], "properties": {"data": {"type": "object"}}},
              {"required": ["data"], "properties": {"data": {"type": "array",
                                                             "minItems": 1}}},
              {"required": ["type"], "properties": {"type": {"type": "string"}}}]}

_TRUE_TEXT = "^[Tt][Rr][Uu][Ee]$"
_SPEEDWAY_TAG = {"type": "object", "properties": {
    "epc": _NULLABLE_STRING,
    "antennaPort": {"anyOf": [{"type": ["integer", "null"], **_INT64}, {"type": "string"}]},
    "peakRssi": {"type": ["number", "string", "null"]},
    "firstSeenTimestamp": {"type": ["number", "string", "null"],
                           "description": "µs (or ms, s) since the epoch, or ISO 8601"},
    "isHeartBeat": {"type": ["boolean", "string", "null"]}}}
#: A tag the parser takes: numbers, or strings of digits (FX Connect), or a heartbeat.
_SPEEDWAY_TAKEN = {"anyOf": [
    {"properties": {"antennaPort": {"anyOf": [{"type": ["integer", "null"]},
                                              {"type": "string", "pattern": INTEGER_TEXT}]},
                    "peakRssi": {"anyOf": [{"type": ["number", "null"]},
                                           {"type": "string", "pattern": DECIMAL_TEXT}]}}},
    {"required": ["isHeartBeat"],
     "properties": {"isHeartBeat": {"anyOf": [{"const": True},
                                              {"type": "string", "pattern": _TRUE_TEXT}]}}}]}
SPEEDWAY_POST = {
    "type": "object", "required": ["tag_reads"],
    "properties": {
        "reader_name": _NULLABLE_STRING, "mac_address": _NULLABLE_STRING,
        "tag_reads": {"type": "array", "items": _SPEEDWAY_TAG,
                      "description": "empty: a heartbeat",
                      "anyOf": [{"maxItems": 0}, {"contains": _SPEEDWAY_TAKEN}]}}}

_EDGEX_KINDS = [f"{prefix}{kind}" for prefix in ("", "InventoryEvent")
                for kind in ("Arrived", "Moved", "Departed")]
_EDGEX_INVENTORY = {"type": "object", "properties": {
    **{name: _NULLABLE_STRING for name in ("epc", "tid", "location", "old_location",
                                           "new_location", "last_known_location")},
    "timestamp": {"type": ["integer", "null"], **_INT64, "description": "ms since the epoch"},
    "last_read": {"type": ["integer", "null"], **_INT64}}}
_EDGEX_READING = {"type": "object", "properties": {
    "resourceName": _NULLABLE_STRING, "name": _NULLABLE_STRING,
    "valueType": _NULLABLE_STRING,
    "value": {"type": ["string", "null"], "description": "the inventory event as JSON text"},
    "objectValue": {"anyOf": [{"type": "null"}, _EDGEX_INVENTORY]}}}
#: A reading the parser takes: an inventory event it can read, or a reading of another
#: resource (a reader event). A reading is named by resourceName, else name (EdgeX 1.x).
_EDGEX_TAKEN = {"anyOf": [
    {"required": ["objectValue"], "properties": {"objectValue": {"type": "object"}}},
    {"required": ["resourceName"],
     "properties": {"resourceName": {"type": "string", "minLength": 1,
                                     "not": {"enum": _EDGEX_KINDS}}}},
    {"properties": {"resourceName": {"enum": [None, ""]},
                    "name": {"anyOf": [{"type": "null"},
                                       {"type": "string", "not": {"enum": _EDGEX_KINDS}}]}}}]}
_EDGEX_READINGS = {"type": "array", "items": _EDGEX_READING, "contains": _EDGEX_TAKEN}
EDGEX_EVENT = {
    "type": "object",
    "properties": {"readings": {"anyOf": [{"type": "null"},
                                          {"type": "array", "items": _EDGEX_READING}]},
                   "event": {"anyOf": [{"type": "null"}, {
                       "type": "object", "properties": {"readings": {"anyOf": [
                           {"type": "null"}, {"type": "array", "items": _EDGEX_READING}]}}}]}},
    # an AddEventRequest's readings win over a bare event's
    "anyOf": [{"required": ["event"], "properties": {"event": {
                  "type": "object", "required": ["readings"],
                  "properties": {"readings": _EDGEX_READINGS}}}},
              {"required": ["readings"], "properties": {"readings": _EDGEX_READINGS,
                                                        "event": {"type": "null"}}}]}


def _one_or_many(event: dict) -> dict:
    """A vendor body: one event, or a JSON array with at least one event among others
    (the others are per-event errors)."""
    return {"anyOf": [event, {"type": "array", "minItems": 1, "contains": event}]}


RFID_RESULT = {"type": "object", "required": ["reads", "role"], "properties": {
    "reads": {"type": "integer"}, "accepted": {"type": "integer"},
    "events": {"type": "integer"}, "errors": {"type": "integer"},
    "unknown_tags": {"type": "integer"}, "role": {"type": "string"},
    "movement": {"type": "string"}, "applied": {"type": "integer"},
    "duplicate": {"type": "integer"}, "rejected": {"type": "integer"},
    "training": {"type": "integer"}, "session_id": {"type": ["integer", "null"]},
    "counted": {"type": "integer"}}}
COUNT_REPORT = {"type": "object", "description": "session fields, lines [{product_id, lot_id, "
                                                 "expected, counted, difference}], "
                                                 "accuracy_pct, missing_epcs, unexpected_epcs "
                                                 "[{epc, why}]"}


def _vendor_path(summary: str, body: dict, media: str = "application/json") -> dict:
    """The OpenAPI entry of one vendor's ``POST /v1/rfid/<vendor>``."""
    return {"post": {
        "summary": summary,
        "description": "The Content-Type is not looked at: the body is read as the vendor "
                       "sends it.",
        "security": [{"device": []}],
        "requestBody": {"required": True, "content": {media: {"schema": body}}},
        "responses": {
            "200": _answer("committed: reads, accepted (after dedupe), events, errors, "
                           "unknown_tags, tags, role; movement + applied/duplicate/rejected "
                           "(exit, pos_gate, dock) or session_id + counted (count)",
                           RFID_RESULT),
            "400": _answer("nothing in the body is the vendor's format (empty, not JSON, "
                           "no event of it): the message says what was expected"),
            **_AUTH,
            "409": _answer("count reader without an open session"),
            "413": _answer("body over request_max_reads KiB"),
            **_BUSY}}}


_SESSION_ID = [{"name": "session_id", "in": "path", "required": True,
                "schema": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}}]
_NO_SESSION = {"404": _answer("no such session")}

PATHS: dict = {
    "/v1/reads": {"post": {
        "summary": "Post a batch of reads from one device",
        "security": [{"device": []}],
        "requestBody": {"required": True, "content": _json({
            "type": "object", "required": ["reads"],
            "properties": {"reads": {
                "type": "array", "minItems": 1,
                "description": "at most request_max_reads (413 above)",
                "items": {"anyOf": [{"$ref": "#/components/schemas/Read"},
                                    {"$ref": "#/components/schemas/MalformedRead"}]}}}})},
        "responses": {
            "200": _answer("committed; per-read fate: applied, duplicate, rejected (with "
                           "reason_code and reason; rejected reads are quarantined)",
                           READ_RESULTS),
            **_AUTH,
            "413": _answer("batch too large"),
            "422": _answer("not a batch: not JSON, no reads array, or an empty one"),
            **_BUSY}}},
    "/v1/rfid/impinj": _vendor_path(
        "Impinj R700/R660/R720 IoT device interface payload (tagInventory and other "
        "events: one object, a JSON array, or NDJSON as the HTTP stream sends it), as the "
        "reader's webhook sends it", _one_or_many(IMPINJ_EVENT)),
    "/v1/rfid/zebra": _vendor_path(
        "Zebra IoT Connector data event(s) (object, JSON array, batched envelope, or "
        "objects back to back with no separator), as the connector's HTTP POST endpoint "
        "sends them", _one_or_many(ZEBRA_EVENT)),
    "/v1/rfid/speedway": _vendor_path(
        "Impinj Speedway Connect HTTP post, or Zebra FX Connect's legacy post (reader_name, "
        "mac_address, tag_reads[]; values may be strings), one post or several separated "
        "by blank lines", SPEEDWAY_POST),
    "/v1/rfid/edgex": _vendor_path(
        "EdgeX app-rfid-llrp-inventory events (LLRP readers through EdgeX): an EdgeX event "
        "or AddEventRequest whose InventoryEventArrived / Moved readings are tag reads, "
        "Departed a reader event", EDGEX_EVENT),
    "/v1/rfid/alien": _vendor_path(
        "Alien ALR text notifications (#-header lines, one Tag: line per tag, CRLF, NUL "
        "after each message), as the readers push them to the TCP port alien_port; here "
        "over HTTP with the device's token",
        {"type": "string", "description": "text, Latin-1; refused (400) when no line of it "
                                          "is an Alien header or tag line"},
        media="text/plain"),
    "/v1/count-sessions": {"post": {
        "summary": "Open an RFID count session at the device's (or a given) location",
        "security": [{"device": []}],
        "requestBody": {"content": _json({
            "type": "object", "properties": {
                "location_id": {"type": ["integer", "null"], **_INT64},
                "name": _NULLABLE_STRING,
                "auto_apply": {"type": ["boolean", "null"],
                               "description": "default: rfid_auto_apply_stores"},
                "per_device": {"type": "boolean", "default": False,
                               "description": "only this device's reads count"}}})},
        "responses": {"200": _answer("the session", {"type": "object"}), **_AUTH,
                      "422": _answer("the body is not a JSON object of these fields"),
                      **_BUSY}}},
    "/v1/count-sessions/{session_id}/close": {"post": {
        "summary": "Close: write differences as Odoo counts (or apply them); the report",
        "security": [{"device": []}], "parameters": _SESSION_ID,
        "responses": {"200": _answer("the report", COUNT_REPORT), **_AUTH, **_NO_SESSION,
                      **_BUSY}}},
    "/v1/count-sessions/{session_id}": {"get": {
        "summary": "Report: expected vs counted per product, accuracy, missing and "
                   "unexpected EPCs",
        "security": [{"device": []}], "parameters": _SESSION_ID,
        "responses": {"200": _answer("the report", COUNT_REPORT), **_AUTH, **_NO_SESSION,
                      **_BUSY}}},
    "/epcis/events": {"get": {
        "summary": "EPCIS 2.0 events of the partner's products (SimpleEventQuery subset)",
        "security": [{"partner": []}],
        "description": "A query covers at most 31 days (GE_eventTime to LT_eventTime, "
                       "default now): a longer one is a QueryTooLargeException (413). "
                       "Vocabulary values and EPC patterns follow the standard's grammar "
                       "(400 otherwise). List parameters take comma-separated values.",
        "parameters": [
            {"name": "GE_eventTime", "in": "query",
             "description": "optional in the standard; without it a query is too large (413)",
             "schema": {"type": "string", "format": "date-time"}},
            {"name": "LT_eventTime", "in": "query",
             "schema": {"type": "string", "format": "date-time"}},
            {"name": "perPage", "in": "query",
             "schema": {"type": "integer", "minimum": 1, "maximum": 10_000}},
            {"name": "eventType", "in": "query", "schema": {"enum": [
                "ObjectEvent", "AggregationEvent", "TransactionEvent",
                "TransformationEvent", "AssociationEvent"]}},
            {"name": "EQ_action", "in": "query",
             "schema": {"enum": ["ADD", "OBSERVE", "DELETE"]}},
            *({"name": name, "in": "query", "schema": {"type": "string"}}
              for name in ("EQ_bizStep", "EQ_disposition", "EQ_bizLocation", "EQ_readPoint",
                           "WD_bizLocation", "WD_readPoint", "MATCH_epc", "MATCH_anyEPC",
                           "MATCH_epcClass", "nextPageToken", "EQ_rtstock_product",
                           "EQ_rtstock_move"))],
        "responses": {
            "200": {"description": "EPCISQueryDocument (JSON-LD, or XML for Accept: "
                                   "application/xml); Link rel=next while more"},
            "400": {"description": "QueryParameterException (problem+json)"},
            "401": {"description": "SecurityException: missing or unknown partner token"},
            "413": {"description": "QueryTooLargeException: window over 31 days or none"}}}},
    "/healthz": {"get": {"summary": "Health, queue depth and journal lag",
                         "responses": {"200": {"description": "ok"},
                                       "503": {"description": "journal lagging over 60 s"}}}},
    "/metrics": {"get": {"summary": "Prometheus metrics",
                         "responses": {"200": {"description": "text format"}}}},
}

OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "rtstock ingest", "version": ingest_core.__version__,
             "description": "Device reads to Odoo 18 stock, exactly once. "
                            "See docs/architecture.md (ingest HTTP contract)."},
    "components": {"securitySchemes": {"device": {"type": "http", "scheme": "bearer"},
                                       "partner": {"type": "http", "scheme": "bearer"}},
                   "schemas": {"Read": READ, "MalformedRead": MALFORMED_READ}},
    "paths": PATHS,
}
