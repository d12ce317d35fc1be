# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import HttpCase, tagged

from odoo.addons.web.tests.test_js import unit_test_error_checker


@tagged("post_install", "-at_install")
class TestJsUnit(HttpCase):
    """The add-on's Hoot unit tests (static/tests/unit), in Odoo 18's own runner."""

    def test_hoot_unit_tests(self):
        self.browser_js(
            "/web/tests?headless&loglevel=2&preset=desktop&timeout=15000"
            "&tag=retail_realtime_stock",
            "",
            "",
            login="admin",
            timeout=600,
            success_signal="[HOOT] test suite succeeded",
            error_checker=unit_test_error_checker,
        )
