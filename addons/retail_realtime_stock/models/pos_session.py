# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models


class PosSession(models.Model):
    _inherit = "pos.session"

    def _rrs_live_stock_data(self):
        """The shop's warehouse, its stock locations and on-hand quantities per quant key.

        The till shows the on-hand quantity of its warehouse's stock location
        (``lot_stock_id`` and its children) and keeps it current from the
        store's ``rrs_stock_<warehouse id>`` bus channel.
        """
        warehouse = self.config_id.picking_type_id.warehouse_id
        if not warehouse:
            return {"warehouse_id": False, "location_ids": [], "quants": []}
        locations = (
            self.env["stock.location"]
            .sudo()
            .search([("id", "child_of", warehouse.lot_stock_id.id), ("usage", "=", "internal")])
        )
        quants = self.env["stock.quant"]._rrs_live_stock_rows(
            [("location_id", "in", locations.ids)]
        )
        return {"warehouse_id": warehouse.id, "location_ids": locations.ids, "quants": quants}

    def _load_pos_data(self, data):
        result = super()._load_pos_data(data)
        result["data"][0]["_rrs_live_stock"] = self._rrs_live_stock_data()
        return result
