"""The query interface's state: one database connection, partners, places, GTINs.

What it is: what ``GET /epcis/events`` needs between requests, kept apart from
the HTTP route (``ingest_core.api.epcis_http``) and from the query logic
(``ingest_core.epcis.query``).

How it works: a partner's bearer token is hashed (sha256, as Odoo stores it on
``rrs.epcis.partner``) and looked up on every request, so a token revoked in
Odoo stops working at once; a partner sees the movements of its own company
only. Places (stores, locations, GLNs) and the products'
GTINs are read at most every ``REFRESH_S``. One connection serves the queries
one at a time (a lock): supplier queries are rare next to device reads and
must not take the writer's and journal's CPU.

A back-office partner (``all_products``, the one the add-on makes for Odoo's
forms) sees every product of its company, GTIN or not.

Caveats: a page is read outside a transaction snapshot (two statements); a
movement committed between them shows on the next query.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence

import psycopg2

from ingest_core.db.connection import Connection
from ingest_core.epcis import query as epcis_query
from ingest_core.epcis.build import EventBuilder
from ingest_core.odoo import epcis as epcis_sql
from ingest_core.resolve.reference import hash_token

REFRESH_S = 60.0


class EpcisService:
    def __init__(self, dsn: str, company_prefix: str | None = None) -> None:
        self._db = Connection(dsn, autocommit=True, name="rtstock epcis query")
        self._lock = threading.Lock()
        self._company_prefix = company_prefix
        self._builder: EventBuilder | None = None
        self._gtins: dict[str, int] = {}
        self._loaded_at = float("-inf")

    def answer(self, token: str, params: Mapping[str, Sequence[str]]) -> epcis_query.Page:
        """One page of events for the partner holding ``token``; ``QueryError`` else."""
        with self._lock:
            try:
                return self._answer(token, params)
            except psycopg2.Error as exc:
                self._db.reset()
                raise epcis_query.QueryError(
                    "ImplementationException", 500,
                    f"the database did not answer ({type(exc).__name__})") from exc
            except ValueError as exc:  # a place whose GLN cannot be made: configuration
                raise epcis_query.QueryError("ImplementationException", 500,
                                             str(exc)) from exc

    def _answer(self, token: str, params: Mapping[str, Sequence[str]]) -> epcis_query.Page:
        with self._db.cursor() as cur:
            partner = epcis_sql.partner_by_token_hash(cur, hash_token(token))
            if partner is None:
                raise epcis_query.QueryError("SecurityException", 401,
                                             "unknown or revoked partner token")
            query = epcis_query.parse(params, partner.id)
            if time.monotonic() - self._loaded_at > REFRESH_S:
                self._builder = EventBuilder(*epcis_sql.places(cur),
                                             company_prefix=self._company_prefix)
                self._gtins = epcis_sql.gtin_products(cur)
                self._loaded_at = time.monotonic()
            prefixes = None if partner.all_products else _prefixes(partner.company_prefixes)
            return epcis_query.run(cur, self._builder, query, prefixes, self._gtins,
                                   partner.company_id)

    def close(self) -> None:
        self._db.reset()


def _prefixes(text: str | None) -> list[str]:
    return [part for part in (text or "").replace(",", " ").split() if part.isdigit()]
