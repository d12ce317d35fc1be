# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models

#: Products one ``rrs_live_quantities`` call answers for (a screen of cards is far fewer).
LIVE_QUANTITIES_MAX = 2000


class PosSession(models.Model):
    _inherit = "pos.session"

    def _rrs_live_stock_locations(self):
        warehouse = self.config_id.picking_type_id.warehouse_id
        if not warehouse:
            return warehouse, self.env["stock.location"]
        return warehouse, (
            self.env["stock.location"]
            .sudo()
            .search([("id", "child_of", warehouse.lot_stock_id.id), ("usage", "=", "internal")])
        )

    def _rrs_live_stock_data(self):
        """The shop's warehouse and its stock locations, without quantities.

        The till shows the on-hand quantity of its warehouse's stock location
        (``lot_stock_id`` and its children). It asks for the quantities of the
        products it shows (``rrs_live_quantities``), not for every quant of the shop
        at session start (a hypermarket has 50 000 products and more), and keeps
        those current from the store's ``rrs_stock_<warehouse id>`` bus channel.
        """
        warehouse, locations = self._rrs_live_stock_locations()
        return {
            "warehouse_id": warehouse.id or False,
            "location_ids": locations.ids,
            # A training store's devices practise; the till marks it (its sales are real).
            "training": bool(warehouse.sudo().rrs_training),
        }

    def rrs_live_quantities(self, product_ids):
        """[product, location, lot|None, quantity] of ``product_ids`` in the shop's
        stock locations: what the till asks for the product cards it shows."""
        self.ensure_one()
        self.check_access("read")
        _warehouse, locations = self._rrs_live_stock_locations()
        product_ids = [int(pid) for pid in product_ids[:LIVE_QUANTITIES_MAX]]
        if not locations or not product_ids:
            return []
        return self.env["stock.quant"]._rrs_live_stock_rows(
            [("location_id", "in", locations.ids), ("product_id", "in", product_ids)]
        )

    def _load_pos_data(self, data):
        result = super()._load_pos_data(data)
        result["data"][0]["_rrs_live_stock"] = self._rrs_live_stock_data()
        return result
