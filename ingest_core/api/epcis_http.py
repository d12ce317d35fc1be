"""``GET /epcis/events``: the EPCIS 2.0 REST query route for suppliers.

What it is: the HTTP face of ``ingest_core.epcis.service``: a partner's bearer
token, the standard query parameters, an ``EPCISQueryDocument`` page with
``Link: <...>; rel="next"`` while there are more, and the standard exceptions
as RFC 7807 problem documents (``epcisException:QueryParameterException``
400, ``SecurityException`` 401, ``QueryTooLargeException`` 413), never a 500
for a bad request.

An ``Accept: application/xml`` request gets the same page as an XML
``EPCISQueryDocument`` (the EPCIS 2.0 query XSD).

How it works: the query runs in a worker thread (it reads the database), so
device requests on the event loop never wait for a supplier's query.
"""

from __future__ import annotations

from urllib.parse import urlencode

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ingest_core.epcis import document
from ingest_core.epcis.query import QueryError

_encoder = msgspec.json.Encoder()
HEADERS = {"GS1-EPCIS-Version": "2.0.0", "GS1-CBV-Version": "2.0.0"}


def _problem(error: QueryError) -> Response:
    headers = dict(HEADERS)
    if error.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return Response(_encoder.encode(error.problem()), status_code=error.status,
                    media_type="application/problem+json", headers=headers)


def _wants_xml(accept: str) -> bool:
    """XML when the client prefers it (the REST binding serves JSON-LD by default)."""
    kinds = [part.split(";")[0].strip().lower() for part in accept.split(",") if part.strip()]
    return bool(kinds) and kinds[0] in ("application/xml", "text/xml")


async def get_events(request: Request) -> Response:
    service = request.app.state.ingest.epcis
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return _problem(QueryError("SecurityException", 401, "missing bearer token"))
    params = {name: request.query_params.getlist(name) for name in request.query_params}
    try:
        page = await run_in_threadpool(service.answer, token.strip(), params)
    except QueryError as error:
        return _problem(error)
    headers = dict(HEADERS)
    if page.next_token:
        following = [(k, v) for k, values in params.items() if k != "nextPageToken"
                     for v in values] + [("nextPageToken", page.next_token)]
        headers["Link"] = f'<{request.url.path}?{urlencode(following)}>; rel="next"'
    if _wants_xml(request.headers.get("accept", "")):
        return Response(document.query_xml(page.events), media_type="application/xml",
                        headers=headers)
    body = {"@context": [document.CONTEXT], "type": "EPCISQueryDocument",
            "schemaVersion": "2.0", "creationDate": document.creation_date(),
            "epcisBody": {"queryResults": {
                "queryName": "SimpleEventQuery",
                "resultsBody": {"eventList": [event.as_json() for event in page.events]}}}}
    return Response(_encoder.encode(body), media_type="application/ld+json", headers=headers)


