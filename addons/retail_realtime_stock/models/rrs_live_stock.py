# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, models
from odoo.exceptions import AccessError

PAGE_SIZE = 80
PAGE_SIZE_MAX = 500
NEGATIVE_LIMIT = 100
EVENT_LIMIT = 20
#: The screen's sort orders -> ``_read_group`` order over the store's quants.
ORDERS = {
    "product": "product_id",
    "on_hand_asc": "quantity:sum asc, product_id",
    "on_hand_desc": "quantity:sum desc, product_id",
}


class RrsLiveStock(models.AbstractModel):
    """Server side of the *Live stock* client action (one store at a time).

    The action loads a snapshot from here, then follows the store's
    ``rrs_stock_<warehouse id>`` bus channel (see ``stock_quant.py``).
    """

    _name = "rrs.live.stock"
    _description = "Retail Stock Live Stock"

    @api.model
    def get_stores(self):
        """The stores the current user may follow, for the store selector."""
        return [
            {"id": warehouse.id, "name": warehouse.name, "code": warehouse.code}
            for warehouse in self.env.user._rrs_store_warehouses().sorted("name")
        ]

    @api.model
    def _check_store(self, warehouse_id):
        warehouse = self.env.user._rrs_store_warehouses().filtered(
            lambda store: store.id == warehouse_id
        )
        if not warehouse:
            raise AccessError(_("You do not work for this store."))
        return warehouse

    @api.model
    def _store_locations(self, warehouse):
        return (
            self.env["stock.location"]
            .sudo()
            .search([("warehouse_id", "=", warehouse.id), ("usage", "=", "internal")])
        )

    @api.model
    def _store_domain(self, locations, search=""):
        domain = [("location_id", "in", locations.ids)]
        if search:
            # a subquery, not a list of ids: a search matches any number of products
            products = self.env["product.product"].sudo()._search(
                [("display_name", "ilike", search)]
            )
            domain.append(("product_id", "in", products))
        return domain

    @api.model
    def get_snapshot(self, warehouse_id, search="", offset=0, limit=PAGE_SIZE, order="product"):
        """One page of a store's stock by product, in ``order``, over any number of
        products (the store's quants grouped in SQL, paged with ``offset`` / ``limit``);
        the page's quants by (product, location, lot), the store's negative quants
        whatever page shows them, and its recent events. The screen then follows the
        store's bus channel for the products of its page."""
        warehouse = self._check_store(warehouse_id)
        locations = self._store_locations(warehouse)
        domain = self._store_domain(locations, search)
        Quant = self.env["stock.quant"].sudo()
        limit = max(1, min(int(limit or PAGE_SIZE), PAGE_SIZE_MAX))
        groups = Quant._read_group(
            domain,
            ["product_id"],
            order=ORDERS.get(order, ORDERS["product"]),
            offset=max(0, int(offset or 0)),
            limit=limit,
        )
        page = self.env["product.product"].union(*(product for (product,) in groups))
        [(total,)] = Quant._read_group(domain, [], ["product_id:count_distinct"])
        quants = Quant._rrs_live_stock_rows(domain + [("product_id", "in", page.ids)])
        negatives = self._negatives(locations)
        return {
            "warehouse": {"id": warehouse.id, "name": warehouse.name},
            "location_ids": locations.ids,
            "locations": {location.id: location.complete_name for location in locations},
            "products": {
                product.id: {"name": product.display_name, "uom": product.uom_id.name}
                for product in page.sudo()
            },
            "order": page.ids,
            "total": total,
            "offset": max(0, int(offset or 0)),
            "limit": limit,
            "quants": quants,
            "negatives": negatives["negatives"],
            "negative_products": negatives["products"],
            "events": self.get_recent_events(warehouse_id),
            "training_devices": self._training_devices(warehouse),
        }

    @api.model
    def _training_devices(self, warehouse):
        """Names of the store's devices in training: their reads never change this stock,
        and the screen says so (``rrs_stock/training`` messages show them live)."""
        devices = self.env["rrs.device"].sudo().search(
            [("warehouse_id", "=", warehouse.id), ("training", "=", True)], order="name"
        )
        return devices.mapped("name")

    @api.model
    def _negatives(self, locations):
        rows = (
            self.env["stock.quant"]
            .sudo()
            ._rrs_live_stock_rows(
                self._store_domain(locations) + [("quantity", "<", 0)], limit=NEGATIVE_LIMIT
            )
        )
        names = self.env["product.product"].sudo().browse({row[0] for row in rows})
        return {"negatives": rows, "products": {p.id: p.display_name for p in names}}

    @api.model
    def get_negatives(self, warehouse_id):
        """The store's negative quants and their products' names (the bus says a quant
        went negative on a product the screen has no name for)."""
        warehouse = self._check_store(warehouse_id)
        return self._negatives(self._store_locations(warehouse))

    @api.model
    def get_recent_events(self, warehouse_id):
        """The store's latest applied device reads, newest first."""
        self._check_store(warehouse_id)
        return self.env["rrs.event"].search_read(
            [("warehouse_id", "=", warehouse_id)],
            [
                "read_at",
                "device_id",
                "operation",
                "product_id",
                "quantity",
                "location_id",
                "location_dest_id",
            ],
            limit=EVENT_LIMIT,
        )
