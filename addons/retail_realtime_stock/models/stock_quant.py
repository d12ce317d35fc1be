# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Live stock bus messages for stock moved through the ORM.

What it is: the ingest sends, after each commit, one ``bus.bus`` message a
store on channel ``rrs_stock_<warehouse id>``, type ``rrs_stock/quants``,
payload ``{"warehouse_id": W, "quants": [[product, location, lot|null,
quantity], ...]}`` (``ingest_core/odoo/sql.py``, ``insert_bus_messages``).
Stock moved by Odoo itself (POS orders, receipts, inventory adjustments)
sends the same message, so that dashboards and tills follow both paths.

How it works: ``stock.move._action_done`` collects the (product, internal
location, lot) keys its move lines touched; their new on-hand quantities are
read from ``stock.quant`` and sent with ``bus.bus._sendone``, which Odoo
delivers after the transaction commits.

Caveats: quantities are summed over packages and owners, as the ingest does.
"""

from collections import defaultdict

from odoo import api, models

LIVE_STOCK_CHANNEL_PREFIX = "rrs_stock_"
LIVE_STOCK_NOTIFICATION = "rrs_stock/quants"

# The ingest finds a (product, location) key's quant by these columns (``find_quant_ids``
# in ingest_core/odoo/sql.py, the same statement), and the stock alerts sum a product's
# quants in the locations of a store (``rrs_alert_quants``). Odoo indexes product_id and
# location_id apart: on a chain of 500 stores a product's index entries are 500 quants,
# read and filtered for every key (258 ms for 1 000 keys, against 17 ms with this index;
# docs/scaling.md). Quantities change, these columns do not: updates stay HOT.
QUANT_KEY_INDEX = (
    "CREATE INDEX IF NOT EXISTS rrs_stock_quant_key_idx ON stock_quant "
    "(product_id, location_id)"
)
QUANT_KEY_INDEX_DROP = "DROP INDEX IF EXISTS rrs_stock_quant_key_idx"


class StockQuant(models.Model):
    _inherit = "stock.quant"

    def init(self):
        result = super().init()
        self.env.cr.execute(QUANT_KEY_INDEX)
        return result

    @api.model
    def _rrs_live_stock_rows(self, domain, limit=None):
        """[product, location, lot|False, quantity] of the quants in ``domain``, summed."""
        groups = self.sudo()._read_group(
            domain, ["product_id", "location_id", "lot_id"], ["quantity:sum"], limit=limit
        )
        return [
            [product.id, location.id, lot.id or None, quantity]
            for product, location, lot, quantity in groups
        ]

    @api.model
    def _rrs_notify_live_stock(self, keys):
        """Send the new quantities of ``keys`` (product, location, lot) to their stores."""
        locations = self.env["stock.location"].sudo().browse({key[1] for key in keys})
        store_locations = locations.filtered(
            lambda location: location.usage == "internal" and location.warehouse_id
        )
        if not store_locations:
            return
        keys = [key for key in keys if key[1] in store_locations.ids]
        rows = {(product, location, lot): 0.0 for product, location, lot in keys}
        domain = [
            ("product_id", "in", list({key[0] for key in keys})),
            ("location_id", "in", store_locations.ids),
        ]
        for product, location, lot, quantity in self._rrs_live_stock_rows(domain):
            if (product, location, lot) in rows:
                rows[product, location, lot] = quantity
        warehouse_of = {location.id: location.warehouse_id.id for location in store_locations}
        by_warehouse = defaultdict(list)
        for (product, location, lot), quantity in sorted(rows.items(), key=str):
            by_warehouse[warehouse_of[location]].append([product, location, lot, quantity])
        bus = self.env["bus.bus"].sudo()
        for warehouse_id, quants in sorted(by_warehouse.items()):
            bus._sendone(
                f"{LIVE_STOCK_CHANNEL_PREFIX}{warehouse_id}",
                LIVE_STOCK_NOTIFICATION,
                {"warehouse_id": warehouse_id, "quants": quants},
            )
