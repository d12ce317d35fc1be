# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import re

from odoo import models

from .stock_quant import LIVE_STOCK_CHANNEL_PREFIX

LIVE_STOCK_CHANNEL = re.compile(rf"^{LIVE_STOCK_CHANNEL_PREFIX}(\d+)$")


class IrWebsocket(models.AbstractModel):
    _inherit = "ir.websocket"

    def _build_bus_channel_list(self, channels):
        """Subscribe to a store's live stock channel only where the user may see it.

        Odoo's bus subscribes a client to any string channel it names; the
        ingest publishes every store's stock on ``rrs_stock_<warehouse id>``,
        so those names are checked against the user's stores here.
        """
        return super()._build_bus_channel_list(self._rrs_allowed_channels(channels))

    def _rrs_allowed_channels(self, channels):
        """``channels`` without the live stock channels of stores the user may not see."""
        requested = {}
        for channel in channels:
            match = isinstance(channel, str) and LIVE_STOCK_CHANNEL.match(channel)
            if match:
                requested[channel] = int(match.group(1))
        if requested:
            user = self.env.user
            allowed = set()
            if user and not user._is_public():
                allowed = set(user._rrs_live_stock_warehouses().ids)
            channels = [
                channel
                for channel in channels
                if channel not in requested or requested[channel] in allowed
            ]
        return channels
