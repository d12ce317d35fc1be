# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Browser tests of live stock: the ingest's fast path, emulated inside Odoo's test server.

What it is: a mixin for ``HttpCase`` tests whose tour asks the server, through
an RPC, to do what the ingest does after a batch of device reads: change a
quant with plain SQL, write an ``rrs_event`` row, insert the ``bus_bus`` row
exactly as Odoo 18's ``_sendone`` would (``ingest_core/odoo/sql.py``,
``insert_bus_messages``) and ``pg_notify('imbus', ...)`` on the ``postgres``
database (``notify_bus``).

How it works: Odoo disables the websocket in tests; the mixin lets it run, so
the browser's bus worker connects to the test server. The RPC method is added
to ``rrs.live.stock`` for the test only (``rrs_test_fast_path_sale``); the
tour calls it right after reading the quantity it expects to change, then
waits for the new quantity.

Caveats: the test server shares one transaction between the test and its
HTTP requests, so the row is visible to the websocket's poll without a
commit; its ``create_date`` is the wall clock rather than the (older)
transaction start, because the bus only replays recent rows to a client
that has not received any notification yet.
"""

import json
from unittest.mock import patch

from odoo import api, sql_db

from odoo.addons.bus.websocket import WebsocketConnectionHandler

COMPACT = {"separators": (",", ":")}


def emulate_fast_path_sale(env, device, product, quantity):
    """Sell ``quantity`` of ``product`` at ``device``'s location the way the ingest does."""
    cr = env.cr
    location = device.location_id
    warehouse = device.warehouse_id
    cr.execute(
        """UPDATE stock_quant SET quantity = quantity - %s,
                  write_date = (now() AT TIME ZONE 'UTC')
            WHERE product_id = %s AND location_id = %s AND lot_id IS NULL
        RETURNING quantity""",
        [quantity, product.id, location.id],
    )
    (new_quantity,) = cr.fetchone()
    cr.execute(
        """INSERT INTO rrs_event (device_id, read_key, read_at, received_at, operation, code,
                                  product_id, quantity, location_id, location_dest_id,
                                  warehouse_id, company_id, create_uid, create_date,
                                  write_uid, write_date)
           VALUES (%s, 'tour:' || clock_timestamp(), now() AT TIME ZONE 'UTC',
                   now() AT TIME ZONE 'UTC', 'sale', %s, %s, %s, %s, %s, %s, %s,
                   1, now() AT TIME ZONE 'UTC', 1, now() AT TIME ZONE 'UTC')""",
        [
            device.id,
            product.barcode,
            product.id,
            quantity,
            location.id,
            env.ref("stock.stock_location_customers").id,
            warehouse.id,
            device.company_id.id,
        ],
    )
    channel = json.dumps([cr.dbname, f"rrs_stock_{warehouse.id}"], **COMPACT)
    message = json.dumps(
        {
            "type": "rrs_stock/quants",
            "payload": {
                "warehouse_id": warehouse.id,
                "quants": [[product.id, location.id, None, float(new_quantity)]],
            },
        },
        **COMPACT,
    )
    cr.execute(
        """INSERT INTO bus_bus (channel, message, create_uid, create_date, write_uid, write_date)
           VALUES (%s, %s, 1, clock_timestamp() AT TIME ZONE 'UTC',
                   1, clock_timestamp() AT TIME ZONE 'UTC')""",
        [channel, message],
    )
    with sql_db.db_connect("postgres").cursor() as postgres_cr:
        postgres_cr.execute("SELECT pg_notify('imbus', %s)", ["[" + channel + "]"])
    return float(new_quantity)


class LiveStockTourMixin:
    """Websocket allowed in the test server, and the fast-path RPC for the tour."""

    @classmethod
    def _start_live_stock_patchers(cls, device, product, quantity):
        cls.startClassPatcher(
            patch.object(WebsocketConnectionHandler, "websocket_allowed", return_value=True)
        )

        @api.model
        def rrs_test_fast_path_sale(model, sold=None):
            return emulate_fast_path_sale(model.env(su=True), device, product, sold or quantity)

        cls.startClassPatcher(
            patch.object(
                type(cls.env["rrs.live.stock"]),
                "rrs_test_fast_path_sale",
                rrs_test_fast_path_sale,
                create=True,
            )
        )
