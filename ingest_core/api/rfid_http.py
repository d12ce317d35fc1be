"""HTTP routes and MQTT wiring of the RFID part of the ingest service.

What it is: ``POST /v1/rfid/impinj|zebra`` (reader payloads as the vendors send
them), ``POST /v1/count-sessions`` (open), ``POST /v1/count-sessions/{id}/close``,
``GET /v1/count-sessions/{id}`` (report), and the MQTT
bridge the service starts when ``mqtt_host`` is set.

How it works: a request is authenticated like ``/v1/reads`` (Bearer device
token), run through the RFID stage (``ingest_core.rfid.stage``) in the event loop,
then committed by role: movements through the group-commit writer, counted
EPCs and unknown-tag counts through ``ingest_core.rfid.counts`` in a worker thread.
The answer comes after commit. When a request fails after its reads went
through the deduplicator, the device's next request is not thinned, so a
resend is never dropped as a repeat.

Caveats: MQTT messages carry no token: the topic level names the device
(``rrs_device.name``) and the broker's authentication and ACLs decide who may
publish where.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

import msgspec
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ingest_core import metrics
from ingest_core.api.mqtt_bridge import BridgeSettings, MqttBridge, TopicRoute
from ingest_core.commit.writer import Overloaded
from ingest_core.odoo import sql
from ingest_core.resolve.reference import Device
from ingest_core.rfid.counts import CountError
from ingest_core.rfid.formats import VENDORS, TagRead
from ingest_core.rfid.stage import MOVING_ROLES, RfidReads, role_of

if TYPE_CHECKING:
    from ingest_core.api.server import Ingest

_logger = logging.getLogger(__name__)
_encoder = msgspec.json.Encoder()


def _error(status: int, message: str, headers: dict | None = None) -> Response:
    return Response(_encoder.encode({"error": message}), status_code=status,
                    media_type="application/json", headers=headers)


def _authenticate(request: Request) -> tuple[Device | None, Response | None]:
    ingest = request.app.state.ingest
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
    """Commit what an RFID request saw, by the reader's role (see ``ingest_core.rfid.stage``)."""
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
        counts = {"applied": 0, "duplicate": 0, "rejected": 0, "training": 0}
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
    else:
        await asyncio.to_thread(ingest.counts.touch, device, result.items)
    return body


async def post_rfid(request: Request) -> Response:
    ingest = request.app.state.ingest
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
    if result.not_vendor_format:  # nothing to commit; the integrator learns what was expected
        return _error(400, result.not_vendor_format)
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
    ingest = request.app.state.ingest
    device, problem = _authenticate(request)
    if problem is not None:
        return problem
    try:
        return JSONResponse(await action(ingest, device))
    except CountError as exc:
        return _error(exc.status, str(exc))
    except Overloaded as exc:
        return _error(503, f"overloaded: {exc}", {"Retry-After": "1"})
    except Exception as exc:  # noqa: BLE001 - failed after retries: the caller retries
        _logger.error("count session request failed: %s", exc)
        return _error(503, "could not commit, retry later", {"Retry-After": "2"})


class _SessionOptions(msgspec.Struct):
    """The body of ``POST /v1/count-sessions`` (every field optional)."""

    location_id: int | float | None = None  # 12.0 is an integer to JSON
    name: str | None = None
    auto_apply: bool | None = None
    per_device: bool = False


_session_options = msgspec.json.Decoder(_SessionOptions)


async def open_count_session(request: Request) -> Response:
    try:
        options = _session_options.decode(await request.body() or b"{}")
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError,
            RecursionError) as exc:
        return _error(422, f"malformed count session options: {exc}")
    if isinstance(options.location_id, float):
        if not options.location_id.is_integer():
            return _error(422, "malformed count session options: location_id is not an "
                               "integer")
        options.location_id = int(options.location_id)

    async def action(ingest: Ingest, device: Device) -> dict:
        if "count" not in device.allowed:
            raise CountError(403, f"device {device.name!r} is not allowed to count")
        session = await asyncio.to_thread(
            ingest.counts.open, device, options.location_id, sql.storable(options.name),
            options.auto_apply, options.per_device)
        return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in session.items()}

    return await _count_request(request, action)


def _session_id(request: Request) -> int:
    """The path's session id: ASCII digits only (``int()`` also takes other scripts'
    digits and surrounding whitespace, which schemathesis found: ``/๘%0D`` was session 8)."""
    text = request.path_params["session_id"]
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        raise CountError(404, "no such count session")
    return int(text)


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
