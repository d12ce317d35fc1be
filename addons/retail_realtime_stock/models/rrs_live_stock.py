# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, models
from odoo.exceptions import AccessError

PRODUCT_LIMIT = 500
EVENT_LIMIT = 20


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
    def get_snapshot(self, warehouse_id, search=""):
        """Stock by (product, location, lot) of a store, product names, recent events."""
        warehouse = self._check_store(warehouse_id)
        locations = self._store_locations(warehouse)
        domain = [("location_id", "in", locations.ids)]
        if search:
            products = (
                self.env["product.product"]
                .sudo()
                .search([("display_name", "ilike", search)], limit=PRODUCT_LIMIT)
            )
            domain.append(("product_id", "in", products.ids))
        Quant = self.env["stock.quant"]
        groups = Quant.sudo()._read_group(domain, ["product_id"], limit=PRODUCT_LIMIT)
        products = self.env["product.product"].union(*(product for (product,) in groups))
        quants = Quant._rrs_live_stock_rows(domain + [("product_id", "in", products.ids)])
        return {
            "warehouse": {"id": warehouse.id, "name": warehouse.name},
            "location_ids": locations.ids,
            "locations": {location.id: location.complete_name for location in locations},
            "products": {
                product.id: {
                    "name": product.display_name,
                    "uom": product.uom_id.name,
                }
                for product in products.sudo()
            },
            "quants": quants,
            "events": self.get_recent_events(warehouse_id),
        }

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
