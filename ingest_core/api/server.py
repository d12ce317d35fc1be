"""The ingest HTTP service (ASGI, Starlette on uvicorn).

What it is: ``POST /v1/reads`` (device batches), ``GET /healthz``,
``GET /metrics`` (Prometheus), ``GET /docs`` + ``/openapi.json``; the RFID
routes and the MQTT bridge live in ``ingest_core.api.rfid_http``, the
suppliers' EPCIS query (``GET /epcis/events``) in ``ingest_core.api.epcis_http``.

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
import gc
import logging
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass

import msgspec
import psycopg2
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

import ingest_core
from ingest_core import metrics
from ingest_core.alerts.relay import WakeupRelay
from ingest_core.api.alien_tcp import AlienListener
from ingest_core.api.epcis_http import get_events
from ingest_core.api.openapi import OPENAPI
from ingest_core.api.rfid_http import (
    close_count_session,
    count_session_report,
    mqtt_bridge,
    open_count_session,
    post_rfid,
)
from ingest_core.commit.journal import Journal
from ingest_core.commit.pacing import JournalPacer
from ingest_core.commit.replay import QuarantineReplayer
from ingest_core.commit.writer import GroupCommitWriter, Overloaded
from ingest_core.config import Settings
from ingest_core.db.connection import Connection
from ingest_core.epcis.service import EpcisService
from ingest_core.jobs.scheduler import JobScheduler
from ingest_core.odoo import sql
from ingest_core.resolve.pipeline import Preparer, RequestError, decode_body
from ingest_core.resolve.reference import ReferenceData
from ingest_core.rfid.counts import CountStore
from ingest_core.rfid.stage import RfidStage

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
    replayer: QuarantineReplayer | None = None
    relay: WakeupRelay | None = None
    epcis: EpcisService | None = None
    _health: Connection | None = None
    jobs: JobScheduler | None = None
    quant_ids_metrics: metrics.QuantIdsCollector | None = None

    @classmethod
    def start(cls, settings: Settings, journal: bool = True) -> Ingest:
        """Start the parts; ``journal`` runs the journal as a thread of this process."""
        reference = ReferenceData(settings.dsn).start()
        notify_dsn = _postgres_dsn(settings.dsn)  # Odoo's cron and bus listen there
        writer = GroupCommitWriter(
            settings.dsn, reference, batch_max_reads=settings.batch_max_reads,
            batch_max_wait_ms=settings.batch_max_wait_ms,
            queue_max_reads=settings.queue_max_reads, user_id=settings.odoo_user_id,
            notify_dsn=notify_dsn, threads=settings.writer_threads,
            pacer=JournalPacer(settings.dsn, settings.journal_lag_target_ms / 1000.0)
            if settings.journal_lag_target_ms > 0 else None).start()
        runner = Journal(settings.dsn, reference, interval_ms=settings.journal_interval_ms,
                         batch_events=settings.journal_batch_events,
                         reference_checks=settings.journal_reference_checks,
                         user_id=settings.odoo_user_id).start() if journal else None
        preparer = Preparer(reference, settings.max_read_age_days, settings.max_read_future_s)
        rfid = RfidStage(reference, settings.rfid_dedupe_window_s, settings.rfid_dedupe_capacity,
                         settings.rfid_exit_movement, settings.max_read_age_days,
                         settings.max_read_future_s)
        stores = frozenset(int(part) for part in settings.rfid_auto_apply_stores.split(",")
                           if part.strip())
        counts = CountStore(settings.dsn, reference, settings.odoo_user_id, stores)
        replayer = QuarantineReplayer(settings.dsn, reference, preparer, writer, rfid=rfid,
                                      user_id=settings.odoo_user_id).start()
        relay = WakeupRelay(settings.dsn, notify_dsn).start()
        scheduler = JobScheduler(settings.dsn, settings.forecast_at, settings.forecast_timezone,
                                 settings.jobs_poll_s).start()
        return cls(settings, reference, preparer, writer, runner, rfid, counts, replayer, relay,
                   EpcisService(settings.dsn, settings.gs1_company_prefix or None),
                   Connection(settings.dsn, autocommit=True, name="rtstock health"), scheduler,
                   metrics.watch_quant_ids(writer.quant_ids))

    def journal_pending(self) -> tuple[int, float | None]:
        """(events without a move, age of the oldest): the journal's lag, wherever it runs."""
        try:
            with self._health.cursor() as cur:
                return sql.pending_event_stats(cur)
        except psycopg2.Error:
            self._health.reset()
            raise

    def stop(self) -> None:
        self._health.reset()
        if self.quant_ids_metrics is not None:
            metrics.unwatch(self.quant_ids_metrics)
            self.quant_ids_metrics = None
        if self.jobs is not None:
            self.jobs.stop()
        if self.epcis is not None:
            self.epcis.close()
        if self.replayer is not None:
            self.replayer.stop()
        if self.relay is not None:
            self.relay.stop()
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
    results, counts = [], {"applied": 0, "duplicate": 0, "rejected": 0, "training": 0}
    for read, fate in zip(reads, fates, strict=True):
        counts[fate.status] += 1
        results.append({"key": read.key if read is not None else None, "status": fate.status,
                        "reason_code": fate.reason_code, "reason": fate.reason,
                        "event_id": fate.event_id})
    metrics.REQUEST_SECONDS.observe(time.perf_counter() - started)
    return Response(_encoder.encode({"results": results, **counts}),
                    media_type="application/json")


async def healthz(request: Request) -> Response:
    ingest: Ingest = request.app.state.ingest
    body = {"status": "ok", "speedups": ingest_core.SPEEDUPS,
            "queued_reads": ingest.writer.queued_reads}
    status = 200
    pending, age = ingest.journal_pending()
    body["journal"] = {"pending_events": pending, "lag_s": age or 0.0}
    if age is not None and age > 60:
        body["status"], status = "degraded: journal lagging", 503
    return JSONResponse(body, status_code=status)


async def metrics_endpoint(request: Request) -> Response:
    # The journal usually runs in its own process: read its lag from the database.
    pending, age = request.app.state.ingest.journal_pending()
    metrics.JOURNAL_PENDING.set(pending)
    metrics.JOURNAL_LAG.set(age or 0.0)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


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


def create_app(settings: Settings, ingest: Ingest | None = None, journal: bool = True
               ) -> Starlette:
    """The ASGI app; starts the writer, journal, reference refresher, MQTT bridge and
    Alien listener."""

    @asynccontextmanager
    async def lifespan(app: Starlette):
        app.state.ingest = ingest or Ingest.start(settings, journal=journal)
        # What exists now (modules, reference data) lives as long as the process: out of
        # the collector's sight, a full collection no longer walks it while requests wait.
        gc.collect()
        gc.freeze()
        bridge = task = alien_listener = None
        if settings.mqtt_host:
            bridge = mqtt_bridge(app.state.ingest)
            task = asyncio.create_task(bridge.run())
        if settings.alien_port:
            alien_listener = await AlienListener(app.state.ingest, settings.alien_host,
                                                 settings.alien_port).start()
        app.state.alien = alien_listener
        try:
            yield
        finally:
            if alien_listener is not None:
                await alien_listener.stop()
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
        Route("/epcis/events", get_events, methods=["GET"]),
        Route("/healthz", healthz),
        Route("/metrics", metrics_endpoint),
        Route("/openapi.json", openapi),
        Route("/docs", docs),
    ], lifespan=lifespan)
