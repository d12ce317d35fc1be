"""The ingest HTTP service (ASGI, Starlette on uvicorn).

What it is: ``POST /v1/reads`` (device batches), ``GET /healthz``,
``GET /metrics`` (Prometheus), ``GET /docs`` + ``/openapi.json``.

How it works: the event loop authenticates the device (token → sha256 →
in-memory registry), decodes and resolves the batch (``pipeline``), hands it
to the group-commit writer and awaits the commit; the reply lists every
read's fate in request order. Under overload (too many reads waiting for
commit) the service answers 503 with ``Retry-After`` at once instead of
letting requests time out, so agents back off and a reconnect storm drains.

Caveats: run one process per core behind a load balancer for more than one
core of request handling; they share nothing but the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass

import msgspec
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

import ingest_core
from ingest_core import metrics
from ingest_core.config import Settings
from ingest_core.counts import CountError, CountStore
from ingest_core.journal import Journal
from ingest_core.mqtt_bridge import BridgeSettings, MqttBridge, TopicRoute
from ingest_core.pipeline import Preparer, RequestError, decode_body
from ingest_core.reference import Device, ReferenceData
from ingest_core.rfid import MOVING_ROLES, RfidReads, RfidStage, role_of
from ingest_core.rfid_formats import VENDORS, TagRead
from ingest_core.writer import GroupCommitWriter, Overloaded

_logger = logging.getLogger(__name__)
_encoder = msgspec.json.Encoder()


def _error(status: int, message: str, headers: dict | None = None) -> Response:
    return Response(_encoder.encode({"error": message}), status_code=status,
                    media_type="application/json", headers=headers)


@dataclass
class Ingest:
    """The running parts the routes use."""

    settings: Settings
    reference: ReferenceData
    preparer: Preparer
    writer: GroupCommitWriter
    journal: Journal | None
    rfid: RfidStage | None = None
    counts: CountStore | None = None

    @classmethod
    def start(cls, settings: Settings, journal: bool = True) -> Ingest:
        reference = ReferenceData(settings.dsn).start()
        writer = GroupCommitWriter(
            settings.dsn, reference, batch_max_reads=settings.batch_max_reads,
            batch_max_wait_ms=settings.batch_max_wait_ms,
            queue_max_reads=settings.queue_max_reads, user_id=settings.odoo_user_id,
            notify_dsn=_postgres_dsn(settings.dsn)).start()
        runner = Journal(settings.dsn, reference, interval_ms=settings.journal_interval_ms,
                         batch_events=settings.journal_batch_events,
                         user_id=settings.odoo_user_id).start() if journal else None
        preparer = Preparer(reference, settings.max_read_age_days, settings.max_read_future_s)
        rfid = RfidStage(reference, settings.rfid_dedupe_window_s, settings.rfid_dedupe_capacity,
                         settings.rfid_exit_movement)
        stores = frozenset(int(part) for part in settings.rfid_auto_apply_stores.split(",")
                           if part.strip())
        counts = CountStore(settings.dsn, reference, settings.odoo_user_id, stores)
        return cls(settings, reference, preparer, writer, runner, rfid, counts)

    def stop(self) -> None:
        if self.counts is not None:
            self.counts.close_connection()
        self.writer.stop()
        if self.journal:
            self.journal.stop(drain=True)
        self.reference.stop()


def _postgres_dsn(dsn: str) -> str:
    """Same server, ``postgres`` database: where Odoo's bus listens for ``imbus``."""
    import psycopg2.extensions

    params = psycopg2.extensions.parse_dsn(dsn)
    params["dbname"] = "postgres"
    return psycopg2.extensions.make_dsn(**params)


async def post_reads(request: Request) -> Response:
    ingest: Ingest = request.app.state.ingest
    started = time.perf_counter()
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return _error(401, "missing bearer token", {"WWW-Authenticate": "Bearer"})
    device = ingest.reference.device_for_token(token.strip())
    if device is None:
        return _error(401, "unknown device token", {"WWW-Authenticate": "Bearer"})
    if not device.active:
        return _error(403, f"device {device.name!r} is disabled")
    body = await request.body()
    if len(body) > ingest.settings.request_max_reads * 1024:
        return _error(413, "request body too large")
    try:
        reads, rejections = decode_body(body, ingest.settings.request_max_reads)
    except RequestError as exc:
        return _error(exc.status, str(exc))
    batch = ingest.preparer.prepare(device, reads, rejections)
    try:
        fates = await ingest.writer.commit(batch)
    except Overloaded as exc:
        metrics.OVERLOADED.inc()
        return _error(503, f"overloaded: {exc}", {"Retry-After": "1"})
    except Exception as exc:  # noqa: BLE001 - commit failed after retries: the client resends
        _logger.error("commit failed for device %s: %s", device.id, exc)
        return _error(503, "could not commit, resend later", {"Retry-After": "2"})
    results, counts = [], {"applied": 0, "duplicate": 0, "rejected": 0}
    for read, fate in zip(reads, fates, strict=True):
        counts[fate.status] += 1
        results.append({"key": read.key if read is not None else None, "status": fate.status,
                        "reason_code": fate.reason_code, "reason": fate.reason,
                        "event_id": fate.event_id})
    metrics.REQUEST_SECONDS.observe(time.perf_counter() - started)
    return Response(_encoder.encode({"results": results, **counts}),
                    media_type="application/json")


def _authenticate(request: Request) -> tuple[Device | None, Response | None]:
    ingest: Ingest = request.app.state.ingest
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None, _error(401, "missing bearer token", {"WWW-Authenticate": "Bearer"})
    device = ingest.reference.device_for_token(token.strip())
    if device is None:
        return None, _error(401, "unknown device token", {"WWW-Authenticate": "Bearer"})
    if not device.active:
        return None, _error(403, f"device {device.name!r} is disabled")
    return device, None


async def commit_tags(ingest: Ingest, result: RfidReads) -> dict:
    """Commit what an RFID request saw, by the reader's role (see ``ingest_core.rfid``)."""
    device, role = result.device, result.role
    body = result.summary()
    if result.unknown_tags:
        await asyncio.to_thread(ingest.counts.add_unknown_tags, {device.id: result.unknown_tags})
    if role in MOVING_ROLES:
        movement = ingest.rfid.movement_of(role)
        needed = "receipt" if movement == "receipt" else "sale"
        if needed not in device.allowed:
            raise CountError(403, f"device {device.name!r} is not allowed to post {needed!r}")
        batch = ingest.rfid.movements(result)
        counts = {"applied": 0, "duplicate": 0, "rejected": 0}
        if batch.size:
            for fate in await ingest.writer.commit(batch):
                counts[fate.status] += 1
        body.update(movement=movement, **counts)
    elif role == "count":
        if "count" not in device.allowed:
            raise CountError(403, f"device {device.name!r} is not allowed to count")
        items = [item for item in result.items
                 if item.problem is None or item.problem[0] in ("unknown_product", "lot_required")]
        body["session_id"], body["counted"] = (
            await asyncio.to_thread(ingest.counts.add, device, items) if items else (None, 0))
    return body


async def post_rfid(request: Request) -> Response:
    ingest: Ingest = request.app.state.ingest
    started = time.perf_counter()
    vendor = request.path_params["vendor"]
    if vendor not in VENDORS:
        return _error(404, f"unknown RFID vendor {vendor!r}; expected one of {VENDORS}")
    device, problem = _authenticate(request)
    if problem is not None:
        return problem
    body = await request.body()
    if len(body) > ingest.settings.request_max_reads * 1024:
        return _error(413, "request body too large")
    result = ingest.rfid.read_payload(device, vendor, body)
    try:
        answer = await commit_tags(ingest, result)
    except CountError as exc:
        ingest.rfid.failed(device)
        return _error(exc.status, str(exc))
    except Overloaded as exc:
        ingest.rfid.failed(device)
        metrics.OVERLOADED.inc()
        return _error(503, f"overloaded: {exc}", {"Retry-After": "1"})
    except Exception as exc:  # noqa: BLE001 - commit failed after retries: the reader resends
        ingest.rfid.failed(device)
        _logger.error("rfid commit failed for device %s: %s", device.id, exc)
        return _error(503, "could not commit, resend later", {"Retry-After": "2"})
    ingest.rfid.succeeded(device)
    metrics.REQUEST_SECONDS.observe(time.perf_counter() - started)
    return Response(_encoder.encode(answer), media_type="application/json")


async def _count_request(request: Request, action) -> Response:
    ingest: Ingest = request.app.state.ingest
    device, problem = _authenticate(request)
    if problem is not None:
        return problem
    try:
        return JSONResponse(await action(ingest, device))
    except CountError as exc:
        return _error(exc.status, str(exc))
    except Overloaded as exc:
        return _error(503, f"overloaded: {exc}", {"Retry-After": "1"})


async def open_count_session(request: Request) -> Response:
    try:
        options = msgspec.json.decode(await request.body() or b"{}")
    except msgspec.DecodeError as exc:
        return _error(422, f"malformed JSON: {exc}")
    if not isinstance(options, dict):
        return _error(422, "body must be a JSON object")

    async def action(ingest: Ingest, device: Device) -> dict:
        if "count" not in device.allowed:
            raise CountError(403, f"device {device.name!r} is not allowed to count")
        session = await asyncio.to_thread(
            ingest.counts.open, device, options.get("location_id"), options.get("name"),
            options.get("auto_apply"), bool(options.get("per_device", False)))
        return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in session.items()}

    return await _count_request(request, action)


def _session_id(request: Request) -> int:
    try:
        return int(request.path_params["session_id"])
    except ValueError as exc:
        raise CountError(404, "no such count session") from exc


async def close_count_session(request: Request) -> Response:
    async def action(ingest: Ingest, device: Device) -> dict:
        session_id = _session_id(request)
        session, batch = await asyncio.to_thread(ingest.counts.close, session_id, device)
        if batch is not None or (session["state"] == "closed" and session["auto_apply"]):
            if batch is None:  # closed earlier but not applied yet (crash in between): redo
                batch = await asyncio.to_thread(ingest.counts.apply_batch, session_id, device)
            if batch.size:
                await ingest.writer.commit(batch)  # keys per session: a replay is a duplicate
            await asyncio.to_thread(ingest.counts.mark_applied, session_id)
        return await asyncio.to_thread(ingest.counts.report, session_id, device)

    return await _count_request(request, action)


async def count_session_report(request: Request) -> Response:
    async def action(ingest: Ingest, device: Device) -> dict:
        return await asyncio.to_thread(ingest.counts.report, _session_id(request), device)

    return await _count_request(request, action)


async def healthz(request: Request) -> Response:
    ingest: Ingest = request.app.state.ingest
    body = {"status": "ok", "speedups": ingest_core.SPEEDUPS,
            "queued_reads": ingest.writer.queued_reads}
    status = 200
    if ingest.journal is not None:
        pending, age = ingest.journal.pending()
        body["journal"] = {"pending_events": pending, "lag_s": age or 0.0}
        if age is not None and age > 60:
            body["status"], status = "degraded: journal lagging", 503
    return JSONResponse(body, status_code=status)


async def metrics_endpoint(_request: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "rtstock ingest", "version": ingest_core.__version__,
             "description": "Device reads to Odoo 18 stock, exactly once. "
                            "See docs/architecture.md (ingest HTTP contract)."},
    "components": {"securitySchemes": {"device": {"type": "http", "scheme": "bearer"}},
                   "responses": {
                       "RfidResult": {"description": "committed: reads, accepted (after dedupe), "
                                                     "events, errors, unknown_tags, tags, role; "
                                                     "movement + applied/duplicate/rejected "
                                                     "(exit, pos_gate, dock) or session_id + "
                                                     "counted (count)"},
                       "CountReport": {"description": "session fields, lines [{product_id, "
                                                      "lot_id, expected, counted, difference}], "
                                                      "accuracy_pct, missing_epcs, "
                                                      "unexpected_epcs [{epc, why}]"}},
                   "schemas": {"Read": {
                       "type": "object", "required": ["key", "code", "op"],
                       "properties": {
                           "key": {"type": "string", "maxLength": 128,
                                   "description": "unique per device; resend until acked"},
                           "code": {"type": "string",
                                    "description": "as scanned: EAN/UPC/GTIN/GS1 string"},
                           "op": {"type": "string", "enum": ["sale", "return", "receipt",
                                                             "transfer_out", "transfer_in",
                                                             "scrap", "count"]},
                           "ts": {"type": "string", "format": "date-time"},
                           "qty": {"type": "number", "default": 1},
                           "location": {"type": "integer",
                                        "description": "Odoo location id; default: device's"},
                       }}}},
    "paths": {
        "/v1/reads": {"post": {
            "summary": "Post a batch of reads from one device",
            "security": [{"device": []}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["reads"],
                "properties": {"reads": {"type": "array",
                                         "items": {"$ref": "#/components/schemas/Read"}}}}}}},
            "responses": {
                "200": {"description": "committed; per-read fate: applied, duplicate, rejected"},
                "401": {"description": "unknown token"}, "403": {"description": "disabled"},
                "413": {"description": "batch too large"}, "422": {"description": "malformed"},
                "503": {"description": "overloaded: retry after Retry-After seconds"}}}},
        "/v1/rfid/impinj": {"post": {
            "summary": "Impinj R700/R660/R720 IoT device interface payload (tagInventory events: "
                       "object, JSON array or NDJSON), as the reader's webhook sends it",
            "security": [{"device": []}],
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": {}}, "application/x-ndjson": {"schema": {}}}},
            "responses": {"200": {"$ref": "#/components/responses/RfidResult"},
                          "401": {"description": "unknown token"},
                          "403": {"description": "disabled, or role not allowed"},
                          "409": {"description": "count reader without an open session"},
                          "503": {"description": "overloaded: retry after Retry-After seconds"}}}},
        "/v1/rfid/zebra": {"post": {
            "summary": "Zebra IoT Connector data event(s) (object, JSON array, or batched "
                       "envelope), as the connector's HTTP POST endpoint sends them",
            "security": [{"device": []}],
            "requestBody": {"required": True,
                            "content": {"application/json": {"schema": {}}}},
            "responses": {"200": {"$ref": "#/components/responses/RfidResult"},
                          "401": {"description": "unknown token"},
                          "403": {"description": "disabled, or role not allowed"},
                          "409": {"description": "count reader without an open session"},
                          "503": {"description": "overloaded: retry after Retry-After seconds"}}}},
        "/v1/count-sessions": {"post": {
            "summary": "Open an RFID count session at the device's (or a given) location",
            "security": [{"device": []}],
            "requestBody": {"content": {"application/json": {"schema": {
                "type": "object", "properties": {
                    "location_id": {"type": "integer"}, "name": {"type": "string"},
                    "auto_apply": {"type": "boolean",
                                   "description": "default: rfid_auto_apply_stores"},
                    "per_device": {"type": "boolean", "default": False,
                                   "description": "only this device's reads count"}}}}}},
            "responses": {"200": {"description": "the session"},
                          "403": {"description": "not allowed to count there"}}}},
        "/v1/count-sessions/{session_id}/close": {"post": {
            "summary": "Close: write differences as Odoo counts (or apply them); the report",
            "security": [{"device": []}],
            "responses": {"200": {"$ref": "#/components/responses/CountReport"},
                          "404": {"description": "no such session"}}}},
        "/v1/count-sessions/{session_id}": {"get": {
            "summary": "Report: expected vs counted per product, accuracy, missing and "
                       "unexpected EPCs",
            "security": [{"device": []}],
            "responses": {"200": {"$ref": "#/components/responses/CountReport"},
                          "404": {"description": "no such session"}}}},
        "/healthz": {"get": {"summary": "Health, queue depth and journal lag",
                             "responses": {"200": {"description": "ok"}}}},
        "/metrics": {"get": {"summary": "Prometheus metrics",
                             "responses": {"200": {"description": "text format"}}}},
    },
}

DOCS_PAGE = """<!doctype html><html><head><title>rtstock ingest API</title>
<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}pre{background:#f4f4f4;
padding:1em;overflow:auto}</style></head><body><h1>rtstock ingest API</h1>
<p>OpenAPI document: <a href="/openapi.json">/openapi.json</a></p><pre id="spec"></pre>
<script>fetch('/openapi.json').then(r=>r.json()).then(s=>{document.getElementById('spec')
.textContent=JSON.stringify(s,null,2)})</script></body></html>"""


async def openapi(_request: Request) -> Response:
    return JSONResponse(OPENAPI)


async def docs(_request: Request) -> Response:
    return HTMLResponse(DOCS_PAGE)


MQTT_ROUTES = (TopicRoute("rtstock/impinj/+/events", "impinj"),
               TopicRoute("rtstock/zebra/+/data", "zebra"))


def mqtt_bridge(ingest: Ingest) -> MqttBridge:
    """Bridge of the readers' MQTT topics; the topic level names the device (``rrs_device.name``).

    MQTT carries no device token: the broker's own authentication and ACLs decide
    which reader may publish on which topic.
    """

    async def on_reads(device_key: str, reads: list[TagRead]) -> None:
        device = ingest.reference.device_by_name(device_key)
        if device is None or not device.active:
            _logger.warning("mqtt: no active device named %r; %d reads dropped", device_key,
                            len(reads))
            return
        result = ingest.rfid.read_tags(RfidReads(device, role_of(device), len(reads)), reads)
        try:
            await commit_tags(ingest, result)
        except Exception:
            ingest.rfid.failed(device)
            raise
        ingest.rfid.succeeded(device)

    settings = ingest.settings
    return MqttBridge(BridgeSettings(MQTT_ROUTES, host=settings.mqtt_host,
                                     port=settings.mqtt_port,
                                     client_id=f"rtstock-ingest-{settings.port}"), on_reads)


def create_app(settings: Settings, ingest: Ingest | None = None, journal: bool = True
               ) -> Starlette:
    """The ASGI app; starts the writer, journal, reference refresher and MQTT bridge."""

    @asynccontextmanager
    async def lifespan(app: Starlette):
        app.state.ingest = ingest or Ingest.start(settings, journal=journal)
        bridge = task = None
        if settings.mqtt_host:
            bridge = mqtt_bridge(app.state.ingest)
            task = asyncio.create_task(bridge.run())
        try:
            yield
        finally:
            if bridge is not None:
                bridge.stop()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(task, 10)
            app.state.ingest.stop()

    return Starlette(routes=[
        Route("/v1/reads", post_reads, methods=["POST"]),
        Route("/v1/rfid/{vendor}", post_rfid, methods=["POST"]),
        Route("/v1/count-sessions", open_count_session, methods=["POST"]),
        Route("/v1/count-sessions/{session_id}/close", close_count_session, methods=["POST"]),
        Route("/v1/count-sessions/{session_id}", count_session_report, methods=["GET"]),
        Route("/healthz", healthz),
        Route("/metrics", metrics_endpoint),
        Route("/openapi.json", openapi),
        Route("/docs", docs),
    ], lifespan=lifespan)
