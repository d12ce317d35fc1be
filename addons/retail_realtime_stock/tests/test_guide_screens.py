# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The screenshots of the role guides (docs/guides/), taken by Odoo's test browser.

Not a test of behaviour: tagged ``rrs_guides`` and ``-standard``, it runs only when
asked (``scripts/guide_screens.sh``), and only with ``RTSTOCK_GUIDES_OUT`` naming the
folder the PNG files go to. Each screen is opened as the role that uses it, waited for
until what the guide talks about is on it, then captured.
"""

import base64
import json
import os
import time
from pathlib import Path

from odoo.tests import tagged
from odoo.tests.common import ChromeBrowser

from odoo.addons.point_of_sale.tests.test_frontend import TestPointOfSaleHttpCommon

from .common import create_threshold_orderpoint, set_quant_quantity


@tagged("post_install", "-at_install", "-standard", "rrs_guides")
class TestGuideScreens(TestPointOfSaleHttpCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.out = os.environ.get("RTSTOCK_GUIDES_OUT")
        env = cls.env(su=True)  # the data of the pictures, made as the superuser
        shop = env["stock.warehouse"].browse(cls.main_pos_config.picking_type_id.warehouse_id.id)
        shop.name = "S01 Store 01 Downtown"
        cls.shop, stock = shop, shop.lot_stock_id
        Product = env["product.product"]
        quants = env["stock.quant"]
        cls.products = []
        for index, (name, quantity) in enumerate(
            [
                ("WHITE HANGING HEART T-LIGHT HOLDER", 42),
                ("REGENCY CAKESTAND 3 TIER", 6),
                ("JUMBO BAG RED RETROSPOT", 0),
                ("PARTY BUNTING", 18),
                ("ASSORTED COLOUR BIRD ORNAMENT", 3),
                ("LUNCH BAG RED RETROSPOT", 25),
            ]
        ):
            product = Product.create(
                {
                    "name": name,
                    "barcode": f"40123450{index:04d}0",
                    "is_storable": True,
                    "available_in_pos": True,
                    "list_price": 2.5 + index,
                    "taxes_id": False,
                }
            )
            if quantity:
                quants._update_available_quantity(product, stock, quantity)
            cls.products.append(product)
        Device = env["rrs.device"]
        cls.scanner = Device.create({"name": "S01 checkout scanner 1", "warehouse_id": shop.id})
        Device.create({"name": "S01 exit gate", "warehouse_id": shop.id, "kind": "rfid_fixed"})
        cls.trainee = Device.create(
            {"name": "S01 trainee scanner", "warehouse_id": shop.id, "training": True}
        )
        cls.handheld = Device.create(
            {"name": "S01 RFID handheld", "warehouse_id": shop.id, "kind": "rfid_handheld"}
        )
        env["rrs.quarantine"].create(
            {
                "device_id": cls.scanner.id,
                "read_key": "S01-SCN-1:000412",
                "raw": {"key": "S01-SCN-1:000412", "code": "4012345000011", "op": "sale"},
                "reason_code": "bad_check_digit",
                "reason": "GTIN check digit is 0, not 1: a misread label",
            }
        )
        customers = env.ref("stock.stock_location_customers")
        for number, product in enumerate(cls.products[:3]):
            env.cr.execute(
                """INSERT INTO rrs_training_read (device_id, read_key, read_at, received_at,
                       operation, code, product_id, quantity, location_id, location_dest_id,
                       warehouse_id, company_id)
                   VALUES (%s, %s, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC', 'sale',
                           %s, %s, 1, %s, %s, %s, %s)""",
                [
                    cls.trainee.id,
                    f"trainee:{number}",
                    product.barcode,
                    product.id,
                    stock.id,
                    customers.id,
                    shop.id,
                    shop.company_id.id,
                ],
            )
        # The roles, each seeing the shop only (the live screen opens the user's first store).
        users = env["res.users"].with_context(no_reset_password=True)
        group = "retail_realtime_stock.group_rrs_%s"
        for login, role in (
            ("guide_staff", "user"),
            ("guide_manager", "manager"),
            ("guide_office", "manager"),
        ):
            users.create(
                {
                    "name": f"Guide {role}",
                    "login": login,
                    "password": login,
                    "groups_id": [
                        (6, 0, [env.ref("base.group_user").id, env.ref(group % role).id])
                    ],
                    "rrs_warehouse_ids": [(6, 0, shop.ids)],
                }
            )
        cls.count_session = env["rrs.count.session"].create(
            {"name": "Aisle 4 RFID count", "warehouse_id": shop.id, "device_id": cls.handheld.id}
        )
        env["rrs.count.epc"].create(
            [
                {
                    "session_id": cls.count_session.id,
                    "epc": f"3034257BF400B78{number:09X}",
                    "product_id": product.id,
                }
                for number, product in enumerate(
                    [cls.products[0]] * 40 + [cls.products[1]] * 6 + [cls.products[3]] * 15
                )
            ]
        )
        cls.count_session.action_stop()
        other = env["stock.warehouse"].search([("id", "!=", shop.id)], limit=1) or env[
            "stock.warehouse"
        ].create({"name": "Distribution centre", "code": "DC"})
        env["stock.quant"]._update_available_quantity(cls.products[4], other.lot_stock_id, 100)
        shop.resupply_wh_ids = [(6, 0, other.ids)]
        create_threshold_orderpoint(env, cls.products[4], shop)
        set_quant_quantity(env, cls.products[4], stock, 2)

    def _shot(self, name, url, selector, login="guide_office", timeout=120, clicks=(), hover=None):
        """Open ``url`` as ``login``, click each of ``clicks`` (CSS selectors) once it is
        there, wait until ``selector`` is on the page, move the pointer over ``hover``
        (a guided tour's tip opens then), capture it."""
        if not self.out:
            self.skipTest("RTSTOCK_GUIDES_OUT is not set: no screenshots wanted")
        browser = ChromeBrowser(self)
        try:
            self.authenticate(login, login, browser=browser)
            self.env.flush_all()
            self.cr.flush()
            self.cr.clear()
            browser._websocket_request(
                "Emulation.setDeviceMetricsOverride",
                params={"width": 1366, "height": 860, "deviceScaleFactor": 1, "mobile": False},
            )
            browser.navigate_to(f"{self.base_url()}{url}")

            def element(css):
                return f"document.querySelector({json.dumps(css)})"

            def wait_for(css):
                ready = f"{element(css)} !== null"
                self.assertTrue(browser._wait_ready(ready, timeout=timeout), f"{name}: {css}")

            def on(css, action):
                browser._websocket_request(
                    "Runtime.evaluate", params={"expression": f"{element(css)}.{action}"}
                )

            for click in clicks:
                wait_for(click)
                on(click, "click()")
            wait_for(selector)
            if hover:
                on(hover, "dispatchEvent(new MouseEvent('mouseenter'))")
            time.sleep(1.5)  # fonts, images, the bus's first message
            shot = browser._websocket_request(
                "Page.captureScreenshot", params={"format": "png"}, timeout=30
            )
            Path(self.out, f"{name}.png").write_bytes(base64.b64decode(shot["data"]))
        finally:
            browser.stop()
            self._wait_remaining_requests()

    def test_cashier_screens(self):
        self.main_pos_config.with_user(self.pos_user).open_ui()
        # The register is open (the cashier counted the float): no opening-control
        # dialog over the product screen, only the till's login screen to pass.
        self.main_pos_config.current_session_id.set_opening_control(0, "")
        self._shot(
            "cashier-pos",
            f"/pos/ui?config_id={self.main_pos_config.id}",
            ".o_rrs_pos_qty",
            login="pos_user",
            clicks=[".screen-login .open-register-btn"],
        )
        # The till's menu starts the cashier's guided tour: its first tip is shown.
        self._shot(
            "cashier-tour",
            f"/pos/ui?config_id={self.main_pos_config.id}",
            ".o_tour_pointer",
            login="pos_user",
            hover=".o_tour_pointer",
            clicks=[
                ".screen-login .open-register-btn",
                ".pos-rightheader button:has(.fa-bars)",
                ".o_rrs_cashier_tour",
            ],
        )

    def test_store_staff_screens(self):
        self._shot(
            "staff-live-stock",
            "/web#action=retail_realtime_stock.rrs_live_stock_action",
            ".o_rrs_live_stock .o_rrs_training_banner",
            login="guide_staff",
        )
        self._shot(
            "staff-count",
            f"/web#action=retail_realtime_stock.rrs_count_session_action&id={self.count_session.id}",
            ".o_form_view .o_field_one2many .o_data_row",
            login="guide_staff",
        )

    def test_store_manager_screens(self):
        self._shot(
            "manager-alerts",
            "/web#action=retail_realtime_stock.rrs_alert_action",
            ".o_data_row, .o_view_nocontent",
            login="guide_manager",
        )
        self._shot(
            "manager-dashboard",
            "/web#action=retail_realtime_stock.rrs_analysis_dashboard_action",
            ".o_rrs_dashboard",
            login="guide_manager",
        )

    def test_back_office_screens(self):
        self._shot(
            "backoffice-devices",
            "/web#action=retail_realtime_stock.rrs_device_action",
            ".o_data_row, .o_view_nocontent",
        )
        self._shot(
            "backoffice-quarantine",
            "/web#action=retail_realtime_stock.rrs_quarantine_action",
            ".o_data_row, .o_view_nocontent",
        )
        self._shot(
            "backoffice-training-reads",
            "/web#action=retail_realtime_stock.rrs_training_read_action",
            ".o_data_row, .o_view_nocontent",
        )
