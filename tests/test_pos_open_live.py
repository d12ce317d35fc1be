"""``rtstock bench pos`` measures what it says: a till opened on a store, both cases.

On the live harness, a small store (500 products) goes through the benchmark's
own steps. Asserted: the till's session loads Odoo's products; the add-on's
former session data (before d5bf45c) carried one quant row per product on hand
and today's carries none; the answer without them is smaller; the first
screen's quantities come back for the products it shows. No speed is asserted.

Caveats: without the live-Odoo variables the test is skipped, loudly
(``docs/live-odoo.md``).
"""

from __future__ import annotations

import pytest

from ingest_core.bench import pos_open
from ingest_core.bench.odoo_live import LiveOdoo
from tests.support.live_odoo import live_odoo_or_skip

pytestmark = pytest.mark.live_odoo


@pytest.fixture(scope="module")
def live() -> LiveOdoo:
    return live_odoo_or_skip("POS BENCHMARK TEST")


def test_session_open_before_and_after(live):
    result = pos_open.run(live, products=500, repeat=1)
    before, after = result["before"], result["after"]
    assert result["products_on_hand"] > 0
    assert before["quants_sent"] == result["products_on_hand"]
    assert after["quants_sent"] == 0
    assert before["products_loaded"] == after["products_loaded"] >= result["products_on_hand"]
    assert after["bytes"] < before["bytes"]
    assert after["first_screen_bytes"] > len('{"result": []}')
    table = pos_open.table(result)
    assert "quants sent at open" in table and f"{result['products_on_hand']:,}" in table
