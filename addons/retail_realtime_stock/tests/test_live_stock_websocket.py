# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json

from odoo.tests import new_test_user, tagged

from odoo.addons.bus.models.bus import dispatch
from odoo.addons.bus.tests.common import WebsocketCase


@tagged("post_install", "-at_install")
class TestLiveStockWebsocket(WebsocketCase):
    """Over a real websocket: a user gets the live stock of their own stores only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Warehouse = cls.env["stock.warehouse"]
        cls.own_store = Warehouse.create({"name": "RRS WS own", "code": "RWO"})
        cls.other_store = Warehouse.create({"name": "RRS WS other", "code": "RWX"})
        cls.user = new_test_user(
            cls.env,
            login="rrs_ws_user",
            password="rrs_ws_user_pw",
            groups="base.group_user,retail_realtime_stock.group_rrs_user",
        )
        cls.user.rrs_warehouse_ids = cls.own_store

    def test_subscription_limited_to_own_store(self):
        """The other store's channel is dropped; the own store's messages arrive."""
        session = self.authenticate("rrs_ws_user", "rrs_ws_user_pw")
        websocket = self.websocket_connect(cookie=f"session_id={session.sid}")
        own, other = f"rrs_stock_{self.own_store.id}", f"rrs_stock_{self.other_store.id}"
        self.subscribe(websocket, [own, other], self.env["bus.bus"]._bus_last_id())
        database = self.env.registry.db_name
        self.assertIn((database, own), dispatch._channels_to_ws, "own store subscribed")
        self.assertNotIn((database, other), dispatch._channels_to_ws, "other store refused")
        payload = {"warehouse_id": self.own_store.id, "quants": [[1, 2, None, 3.0]]}
        self.env["bus.bus"]._sendone(own, "rrs_stock/quants", payload)
        self.trigger_notification_dispatching([own])
        notifications = json.loads(websocket.recv())
        self.assertEqual(
            [n["message"] for n in notifications],
            [{"type": "rrs_stock/quants", "payload": payload}],
            "the store's message reaches its user",
        )
