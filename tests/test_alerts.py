"""Stock alerts raised with the stock change, exactly once (issue 16).

Reads go through the real fast path (``rtstock serve`` on the genuine Odoo
dump with the add-on's tables, or the own schema); alerts and replenishment
requests come from the ``stock_quant`` triggers in the writer's transaction.
Also: Odoo-style writes straight to ``stock_quant`` (as the ORM does), a
rolled-back change, concurrent writers on different quants of one product and
store, and a SIGKILL of the ingest with the device resending.
"""

from __future__ import annotations

import json
import select
import threading
import time
from pathlib import Path

import psycopg2
import psycopg2.extensions
import pytest

from ingest_core.commit.journal import wait_drained
from ingest_core.odoo import alerts
from ingest_core.odoo.catalog import ean13
from ingest_core.resolve.devices import ALL_OPERATIONS
from tests.support.addon_source import constant
from tests.support.ingest import IngestProcess, create_device, post, query

ADDON_SQL = Path(__file__).resolve().parents[1] / "addons" / "retail_realtime_stock" / \
    "models" / "rrs_alert.sql"
S01_WAREHOUSE, S01_STOCK = 2, 18
S02_WAREHOUSE, S02_STOCK = 3, 24


def test_addon_creates_the_same_functions_as_the_ingest():
    """The add-on's SQL file is FUNCTIONS_DDL after its header (up to the first blank line)."""
    _header, _blank, body = ADDON_SQL.read_text(encoding="utf-8").partition("\n\n")
    assert body.strip() == alerts.FUNCTIONS_DDL.strip(), \
        "addons/retail_realtime_stock/models/rrs_alert.sql differs from alerts.FUNCTIONS_DDL"


def test_addon_uninstall_drops_what_the_ingest_drops():
    """The add-on's uninstall statements (``DROP_SQL``) are ``alerts.DROP_DDL``'s: a new
    function added to one and not the other would outlive an uninstall."""
    addon = constant(ADDON_SQL.parent / "rrs_replenish_request.py", "DROP_SQL")
    ingest = [line.rstrip(";") for line in alerts.DROP_DDL.strip().splitlines()]
    assert list(addon) == ingest


def _product(dsn: str, index: int) -> int:
    return query(dsn, "SELECT id FROM product_product WHERE barcode = %s", (ean13(index),))[0][0]


def _orderpoint(dsn: str, product: int, minimum: float, maximum: float,
                warehouse: int = S01_WAREHOUSE, location: int = S01_STOCK,
                trigger: str = "auto") -> int:
    return query(dsn, """
        INSERT INTO stock_warehouse_orderpoint (name, warehouse_id, location_id, product_id,
               company_id, trigger, product_min_qty, product_max_qty, qty_multiple, active,
               create_date, write_date)
        VALUES (%s, %s, %s, %s, 1, %s, %s, %s, 1, true, now(), now()) RETURNING id""",
                 (f"OP-{product}-{location}", warehouse, location, product, trigger, minimum,
                  maximum))[0][0]


def _set_stock(dsn: str, product: int, quantity: float, location: int = S01_STOCK) -> None:
    """Odoo's way of changing a quant (one UPDATE of its row, or a new row)."""
    updated = query(dsn, "UPDATE stock_quant SET quantity = %s WHERE product_id = %s "
                         "AND location_id = %s RETURNING id", (quantity, product, location))
    if not updated:
        query(dsn, "INSERT INTO stock_quant (product_id, location_id, company_id, quantity, "
                   "reserved_quantity, in_date) VALUES (%s, %s, 1, %s, 0, now())",
              (product, location, quantity))


def _alerts(dsn: str, product: int, state: str | None = None) -> list[tuple]:
    return query(dsn, """
        SELECT kind, state, location_id, quantity, event_id, update_count, close_reason
          FROM rrs_alert WHERE product_id = %s AND (%s::varchar IS NULL OR state = %s)
         ORDER BY id""", (product, state, state))


def _requests(dsn: str, orderpoint: int) -> list[tuple]:
    return query(dsn, "SELECT state, alert_id, event_id FROM rrs_replenish_request "
                      "WHERE orderpoint_id = %s ORDER BY id", (orderpoint,))


@pytest.fixture(scope="module")
def service(module_db):
    token = create_device(module_db, name="alerts-S01", warehouse_id=S01_WAREHOUSE,
                          location_id=S01_STOCK, allowed=ALL_OPERATIONS)[1]
    with IngestProcess(module_db) as process:
        yield process, token, module_db


def _reads(process, token, prefix: str, operation: str, index: int, quantity: int,
           count: int = 1) -> None:
    body = [{"key": f"{prefix}-{n}", "code": ean13(index), "op": operation, "qty": quantity}
            for n in range(count)]
    response = post(process.url, token, body)
    assert response.status_code == 200, response.text
    assert all(r["status"] == "applied" for r in response.json()["results"]), response.text
    wait_drained(process.dsn, 30)  # the journal raises the fast path's alerts


def test_a_sale_below_min_opens_one_alert_and_one_request_named_by_its_read(service):
    process, token, dsn = service
    product = _product(dsn, 11)
    _set_stock(dsn, product, 10)
    orderpoint = _orderpoint(dsn, product, 5, 20)
    _reads(process, token, "min-a", "sale", 11, 6)   # 10 -> 4: crosses min 5
    _reads(process, token, "min-b", "sale", 11, 1)   # 4 -> 3: no crossing, no second alert
    (kind, state, location, quantity, event, updates, _reason), = _alerts(dsn, product, "open")
    assert (kind, state, location, float(quantity), updates) == \
        ("below_min", "open", S01_STOCK, 4.0, 0)
    (read_key,), = query(dsn, "SELECT read_key FROM rrs_event WHERE id = %s", (event,))
    assert read_key == "min-a-0", "the alert names the read that crossed the line"
    assert _requests(dsn, orderpoint) == [("pending", _alerts_ids(dsn, product)[0], event)]
    messages = [json.loads(m) for (m,) in query(
        dsn, "SELECT message FROM bus_bus WHERE channel = %s ORDER BY id",
        (json.dumps([dsn_db(dsn), f"rrs_stock_{S01_WAREHOUSE}"], separators=(",", ":")),))]
    assert [m["payload"]["kind"] for m in messages if m["type"] == "rrs_alert"
            and m["payload"]["product_id"] == product] == ["below_min"]

    _reads(process, token, "min-c", "receipt", 11, 10)  # 3 -> 13: cleared by itself
    assert [(k, s, r) for k, s, _l, _q, _e, _u, r in _alerts(dsn, product)] == \
        [("below_min", "closed", "cleared")]
    _reads(process, token, "min-d", "sale", 11, 9)   # 13 -> 4: a new crossing, a new alert
    assert [s for _k, s, *_ in _alerts(dsn, product)] == ["closed", "open"]
    assert [s for s, *_ in _requests(dsn, orderpoint)] == ["pending"], \
        "one pending request per orderpoint, however many crossings"
    wait_drained(dsn, 30)


def _alerts_ids(dsn: str, product: int) -> list[int]:
    return [i for (i,) in query(dsn, "SELECT id FROM rrs_alert WHERE product_id = %s "
                                     "ORDER BY id", (product,))]


def dsn_db(dsn: str) -> str:
    return query(dsn, "SELECT current_database()")[0][0]


def test_out_of_stock_negative_and_over_max(service):
    process, token, dsn = service
    product = _product(dsn, 12)
    _set_stock(dsn, product, 2)
    _orderpoint(dsn, product, 0, 4)
    _reads(process, token, "oos-a", "sale", 12, 2)      # 2 -> 0
    assert {k for k, *_ in _alerts(dsn, product, "open")} == {"out_of_stock"}
    _reads(process, token, "oos-b", "sale", 12, 1)      # 0 -> -1, under min 0 as Odoo reads it
    assert {k for k, *_ in _alerts(dsn, product, "open")} == {
        "out_of_stock", "negative_stock", "below_min"}
    _reads(process, token, "oos-c", "receipt", 12, 6)   # -1 -> 5 > max 4
    assert {k for k, *_ in _alerts(dsn, product, "open")} == {"over_max"}
    assert sorted(k for k, s, *_ in _alerts(dsn, product) if s == "closed") == \
        ["below_min", "negative_stock", "out_of_stock"]
    wait_drained(dsn, 30)


def test_rules_switch_a_kind_off_per_store(service):
    process, token, dsn = service
    product = _product(dsn, 13)
    _set_stock(dsn, product, 1)
    query(dsn, "INSERT INTO rrs_alert_rule (kind, warehouse_id, active, enabled) "
               "VALUES ('out_of_stock', %s, true, false)", (S01_WAREHOUSE,))
    try:
        _reads(process, token, "rule-a", "sale", 13, 1)
        assert _alerts(dsn, product) == []
    finally:
        query(dsn, "DELETE FROM rrs_alert_rule")
    wait_drained(dsn, 30)


def test_a_rolled_back_change_raises_nothing_and_odoo_writes_raise_too(module_db):
    dsn = module_db
    product = _product(dsn, 14)
    _set_stock(dsn, product, 10)
    orderpoint = _orderpoint(dsn, product, 5, 0)
    connection = psycopg2.connect(dsn)
    try:
        with connection.cursor() as cur:
            cur.execute("UPDATE stock_quant SET quantity = 1 WHERE product_id = %s "
                        "AND location_id = %s", (product, S01_STOCK))
            cur.execute("SELECT count(*) FROM rrs_alert WHERE product_id = %s", (product,))
            assert cur.fetchone()[0] == 1, "raised inside the transaction"
        connection.rollback()
    finally:
        connection.close()
    assert _alerts(dsn, product) == [] and _requests(dsn, orderpoint) == []
    _set_stock(dsn, product, 1)  # committed, by "Odoo": no read behind it
    (_k, _s, _l, _q, event, _u, _r), = _alerts(dsn, product, "open")
    assert event is None and [s for s, *_ in _requests(dsn, orderpoint)] == ["pending"]


def test_concurrent_writers_on_one_product_and_store_meet_on_one_alert(module_db):
    """Eight transactions each lower their own quant of one product in one store (no row
    lock in common), started together: each sees the crossing in its own snapshot, the
    unique open-alert index makes the later ones wait for the first and update its alert."""
    dsn = module_db
    product = _product(dsn, 15)
    writers = 8
    query(dsn, "DELETE FROM stock_quant WHERE product_id = %s", (product,))
    for _ in range(writers):
        query(dsn, "INSERT INTO stock_quant (product_id, location_id, company_id, quantity, "
                   "reserved_quantity, in_date) VALUES (%s, %s, 1, 10, 0, now())",
              (product, S01_STOCK))
    _orderpoint(dsn, product, 75, 0)
    quant_ids = [i for (i,) in query(dsn, "SELECT id FROM stock_quant WHERE product_id = %s",
                                     (product,))]
    barrier = threading.Barrier(writers)
    failures: list[BaseException] = []

    def lower(quant: int) -> None:
        connection = psycopg2.connect(dsn)
        try:
            barrier.wait(10)
            with connection.cursor() as cur:
                cur.execute("UPDATE stock_quant SET quantity = 0 WHERE id = %s", (quant,))
            connection.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=lower, args=(quant,)) for quant in quant_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not failures, failures
    assert [k for k, *_ in _alerts(dsn, product, "open") if k == "below_min"] == ["below_min"]


def test_sigkill_and_resend_raise_no_second_alert(module_db):
    dsn = module_db
    token = create_device(dsn, name="alerts-kill", warehouse_id=S01_WAREHOUSE,
                          location_id=S01_STOCK, allowed=ALL_OPERATIONS)[1]
    product = _product(dsn, 16)
    _set_stock(dsn, product, 10)
    orderpoint = _orderpoint(dsn, product, 5, 0)
    body = [{"key": f"kill-{n}", "code": ean13(16), "op": "sale", "qty": 3} for n in range(3)]
    process = IngestProcess(dsn).start()
    try:
        assert post(process.url, token, body).status_code == 200
    finally:
        process.kill()  # the writer's commit acked; the journal may or may not have run
    with IngestProcess(dsn) as again:
        response = post(again.url, token, body)
        assert [r["status"] for r in response.json()["results"]] == ["duplicate"] * 3
        wait_drained(dsn, 30)
    (kind, state, _l, quantity, event, _u, _r), = _alerts(dsn, product)
    assert (kind, state, float(quantity)) == ("below_min", "open", 1.0)
    assert event is not None
    assert [s for s, *_ in _requests(dsn, orderpoint)] == ["pending"]
    assert len(_requests(dsn, orderpoint)) == 1


def _listen(dsn: str, *channels: str):
    """A connection LISTENing in the ``postgres`` database, where Odoo's cron and bus wait."""
    params = psycopg2.extensions.parse_dsn(dsn)
    params["dbname"] = "postgres"
    connection = psycopg2.connect(**params)
    connection.autocommit = True
    with connection.cursor() as cur:
        for channel in channels:
            cur.execute(f"LISTEN {channel}")
    return connection


def _notifications(connection, until: float) -> list[tuple[str, str]]:
    """Every notification received before ``until`` (a monotonic deadline)."""
    received = []
    while (left := until - time.monotonic()) > 0:
        if select.select([connection], [], [], left)[0]:
            connection.poll()
            received += [(n.channel, n.payload) for n in connection.notifies]
            connection.notifies.clear()
    return received


def test_the_relay_wakes_odoos_cron_and_bus_after_the_commit_only(service):
    """Odoo's workers are woken as Odoo wakes them (``cron_trigger`` with the database,
    ``imbus`` with the channels), for the fast path's changes and for Odoo's own."""
    process, token, dsn = service
    cron = _odoo_job(dsn)
    module, name = alerts.CRON_XMLID
    query(dsn, "INSERT INTO ir_model_data (module, name, model, res_id) "
               "VALUES (%s, %s, 'ir.cron', %s)", (module, name, cron))
    listener = _listen(dsn, "imbus", "cron_trigger")
    channel = json.dumps([dsn_db(dsn), f"rrs_stock_{S01_WAREHOUSE}"], separators=(",", ":"))
    try:
        product = _product(dsn, 17)
        _set_stock(dsn, product, 10)
        _orderpoint(dsn, product, 5, 0)
        _reads(process, token, "relay-a", "sale", 17, 6)
        woken = _notifications(listener, time.monotonic() + 3)
        assert ("cron_trigger", dsn_db(dsn)) in woken, woken
        assert query(dsn, "SELECT count(*) FROM ir_cron_trigger WHERE cron_id = %s",
                     (cron,))[0][0] >= 1

        connection = psycopg2.connect(dsn)  # an Odoo transaction that rolls back: silence
        with connection.cursor() as cur:
            cur.execute("UPDATE stock_quant SET quantity = 20 WHERE product_id = %s", (product,))
        connection.rollback()
        connection.close()
        assert _notifications(listener, time.monotonic() + 1.5) == []

        _set_stock(dsn, product, 20)  # Odoo's own write clears the alert: the bus is told
        woken = _notifications(listener, time.monotonic() + 3)
        assert any(c == "imbus" and json.loads(channel) in json.loads(p) for c, p in woken), \
            woken
    finally:
        listener.close()
        query(dsn, "DELETE FROM ir_model_data WHERE module = %s AND name = %s", (module, name))
        query(dsn, "DELETE FROM ir_cron_trigger WHERE cron_id = %s", (cron,))
        if _has_table(dsn, "ir_cron"):
            query(dsn, "DELETE FROM ir_cron WHERE id = %s", (cron,))
    wait_drained(dsn, 30)


def _has_table(dsn: str, table: str) -> bool:
    return query(dsn, "SELECT to_regclass(%s) IS NOT NULL", (table,))[0][0]


def _odoo_job(dsn: str) -> int:
    """The add-on's job as Odoo stores it (model, server action, cron); the dump has none.
    On the own schema, which has no ``ir_cron``, any id does."""
    if not _has_table(dsn, "ir_cron"):
        return 1
    (model,), = query(dsn, """INSERT INTO ir_model (model, "order", name, state)
                              VALUES ('rrs.alert', 'id', '{"en_US": "Alert"}', 'base')
                              RETURNING id""")
    (action,), = query(dsn, """
        INSERT INTO ir_act_server (name, type, binding_type, model_id, usage, state, code)
        VALUES ('{"en_US": "Alerts"}', 'ir.actions.server', 'action', %s, 'ir_cron', 'code',
                'model._cron_alert_actions()') RETURNING id""", (model,))
    (cron,), = query(dsn, """
        INSERT INTO ir_cron (ir_actions_server_id, user_id, interval_number, interval_type,
                             nextcall, active, cron_name)
        VALUES (%s, 1, 1, 'minutes', now(), true, 'Alerts') RETURNING id""", (action,))
    return cron


def _sweep(dsn: str) -> list[int]:
    connection = psycopg2.connect(dsn)
    try:
        with connection, connection.cursor() as cur:
            return alerts.sweep(cur)
    finally:
        connection.close()


def _alerts_of(dsn: str, kind: str, *, device: int | None = None,
               location: int | None = None) -> list[tuple[str, str | None]]:
    return query(dsn, """
        SELECT state, close_reason FROM rrs_alert
         WHERE kind = %s AND (%s::integer IS NULL OR device_id = %s)
           AND (%s::integer IS NULL OR location_id = %s) ORDER BY id""",
                 (kind, device, device, location, location))


def test_the_sweep_raises_and_clears_silent_devices_and_stale_counts(module_db):
    dsn = module_db
    device = create_device(dsn, name="sweep-silent", warehouse_id=S02_WAREHOUSE,
                           location_id=S02_STOCK, allowed=ALL_OPERATIONS)[0]
    never = create_device(dsn, name="sweep-never-read", warehouse_id=S02_WAREHOUSE,
                          location_id=S02_STOCK, allowed=ALL_OPERATIONS)[0]
    query(dsn, "UPDATE rrs_device SET last_seen = now() AT TIME ZONE 'UTC' - interval '2 hours' "
               "WHERE id = %s", (device,))
    query(dsn, "UPDATE stock_location SET last_inventory_date = current_date - 40 "
               "WHERE id = %s", (S02_STOCK,))
    query(dsn, "UPDATE stock_location SET last_inventory_date = current_date - 3 "
               "WHERE id = %s", (S01_STOCK,))
    _sweep(dsn)
    _sweep(dsn)  # a second pass changes nothing
    assert _alerts_of(dsn, "device_silent", device=device) == [("open", None)]
    assert _alerts_of(dsn, "device_silent", device=never) == [], "never read: not silent"
    assert _alerts_of(dsn, "stale_count", location=S02_STOCK) == [("open", None)]
    assert _alerts_of(dsn, "stale_count", location=S01_STOCK) == [], "counted 3 days ago"

    query(dsn, "UPDATE rrs_device SET last_seen = now() AT TIME ZONE 'UTC' WHERE id = %s",
          (device,))
    query(dsn, "UPDATE stock_location SET last_inventory_date = current_date WHERE id = %s",
          (S02_STOCK,))
    _sweep(dsn)
    assert _alerts_of(dsn, "device_silent", device=device) == [("closed", "cleared")]
    assert _alerts_of(dsn, "stale_count", location=S02_STOCK) == [("closed", "cleared")]

    query(dsn, "INSERT INTO rrs_alert_rule (kind, warehouse_id, active, enabled, threshold) "
               "VALUES ('device_silent', %s, true, true, 600)", (S02_WAREHOUSE,))
    try:  # a store whose devices may rest ten hours (a night)
        query(dsn, "UPDATE rrs_device SET last_seen = now() AT TIME ZONE 'UTC' "
                   "- interval '2 hours' WHERE id = %s", (device,))
        _sweep(dsn)
        assert _alerts_of(dsn, "device_silent", device=device) == [("closed", "cleared")]
    finally:
        query(dsn, "DELETE FROM rrs_alert_rule")


def test_a_count_through_the_fast_path_marks_the_location_counted(service):
    process, token, dsn = service
    query(dsn, "UPDATE stock_location SET last_inventory_date = NULL WHERE id = %s",
          (S01_STOCK,))
    _reads(process, token, "count-a", "count", 18, 7)
    (counted,), = query(dsn, "SELECT last_inventory_date = (now() AT TIME ZONE 'UTC')::date "
                             "FROM stock_location WHERE id = %s", (S01_STOCK,))
    assert counted, "Odoo's Last Inventory of the counted location is today"


def test_the_sweep_raises_count_discrepancies_and_a_persons_close_holds(module_db):
    """Odoo's count not applied yet and off by more than a unit: an alert; closed by a
    person, it stays closed until the product is counted again; applied, it clears."""
    dsn = module_db
    product = _product(dsn, 19)
    _set_stock(dsn, product, 10, S02_STOCK)

    def count(quantity: float, at: str = "now()") -> None:
        query(dsn, f"""
            UPDATE stock_quant SET inventory_quantity = %s, inventory_quantity_set = true,
                   inventory_diff_quantity = %s - quantity,
                   write_date = ({at}) AT TIME ZONE 'UTC'
             WHERE product_id = %s AND location_id = %s""",
              (quantity, quantity, product, S02_STOCK))

    def discrepancies() -> list[tuple]:
        return query(dsn, "SELECT state, close_reason, quantity FROM rrs_alert "
                          "WHERE kind = 'count_discrepancy' AND product_id = %s ORDER BY id",
                     (product,))

    count(9.5)  # within the default tolerance of one unit
    _sweep(dsn)
    assert discrepancies() == []
    count(7)
    _sweep(dsn)
    assert [(s, r, float(q)) for s, r, q in discrepancies()] == [("open", None, -3.0)]
    query(dsn, "UPDATE rrs_alert SET state = 'closed', close_reason = 'user', "
               "closed_at = now() AT TIME ZONE 'UTC' WHERE kind = 'count_discrepancy' "
               "AND product_id = %s", (product,))
    _sweep(dsn)
    assert [s for s, *_ in discrepancies()] == ["closed"], "a person's close holds"
    count(6, "now() + interval '1 second'")  # counted again after the close
    _sweep(dsn)
    assert [s for s, *_ in discrepancies()] == ["closed", "open"]
    query(dsn, "UPDATE stock_quant SET inventory_quantity_set = false, "
               "inventory_diff_quantity = 0 WHERE product_id = %s", (product,))  # applied
    _sweep(dsn)
    assert [(s, r) for s, r, _q in discrepancies()] == [("closed", "user"),
                                                        ("closed", "cleared")]


def test_forecast_stockouts_with_the_forecast_run_and_with_the_stock(service):
    """On hand under the forecast demand of the lead days (3): raised by the sweep after
    a forecast run, and by the journal when a sale crosses it; cleared by a receipt."""
    process, token, dsn = service
    product = _product(dsn, 20)
    _set_stock(dsn, product, 20)
    query(dsn, """
        INSERT INTO rrs_forecast (product_id, warehouse_id, company_id, date, mean, model,
                                  made_at)
        SELECT %s, %s, 1, current_date + d, 5, 'test', now() AT TIME ZONE 'UTC'
          FROM generate_series(-2, 27) AS d""", (product, S01_WAREHOUSE))

    def stockouts() -> list[tuple]:
        return [(s, r, float(q), float(t)) for s, r, q, t in query(
            dsn, "SELECT state, close_reason, quantity, threshold FROM rrs_alert "
                 "WHERE kind = 'forecast_stockout' AND product_id = %s ORDER BY id",
            (product,))]

    _sweep_forecast(dsn)
    assert stockouts() == [], "20 on hand covers 3 days of 5"
    _reads(process, token, "fc-a", "sale", 20, 6)   # 20 -> 14 < 15: the journal raises it
    assert stockouts() == [("open", None, 14.0, 15.0)]
    _reads(process, token, "fc-b", "receipt", 20, 10)  # 14 -> 24: cleared
    assert stockouts() == [("closed", "cleared", 24.0, 15.0)]
    query(dsn, "UPDATE stock_quant SET quantity = 12 WHERE product_id = %s AND location_id "
               "= %s", (product, S01_STOCK))  # Odoo's own write: the trigger raises it
    assert [s for s, *_ in stockouts()] == ["closed", "open"]
    query(dsn, "UPDATE rrs_forecast SET mean = 1 WHERE product_id = %s", (product,))
    _sweep_forecast(dsn)  # a new forecast: 3 a lead time, 12 on hand covers it
    assert [(s, r) for s, r, *_ in stockouts()] == [("closed", "cleared"),
                                                    ("closed", "cleared")]
    wait_drained(dsn, 30)


def _sweep_forecast(dsn: str) -> list[int]:
    connection = psycopg2.connect(dsn)
    try:
        with connection, connection.cursor() as cur:
            return alerts.sweep(cur, forecast=True)
    finally:
        connection.close()


def test_units_leaving_through_an_exit_without_a_sale_count_on_one_shrink_alert(module_db):
    """rfid_exit_movement=shrink: the first unit opens the store's shrink alert for the
    product, the next ones count on it (named by the last read); a re-read counts none."""
    from tests.test_rfid_ingest import epc_of, impinj, post_rfid, rfid_device, zebra

    token = rfid_device(module_db, "S01-EXIT-ALERTS", "exit")[1]
    product = 140
    first, second = ([epc_of(product, 70_000 + n) for n in range(start, start + count)]
                     for start, count in ((0, 2), (2, 3)))
    with IngestProcess(module_db, rfid_exit_movement="shrink") as ingest:
        assert post_rfid(ingest.url, token, "impinj", impinj(first))["applied"] == 2
        wait_drained(module_db, 30)
        assert post_rfid(ingest.url, token, "impinj", impinj(second))["applied"] == 3
        assert post_rfid(ingest.url, token, "zebra", zebra(first))["applied"] == 0
        wait_drained(module_db, 30)
    rows = query(module_db, """
        SELECT a.state, a.location_id, a.quantity, a.update_count, e.read_key
          FROM rrs_alert a LEFT JOIN rrs_event e ON e.id = a.event_id
         WHERE a.kind = 'shrink' AND a.product_id = %s""", (product,))
    (state, location, units, updates, read_key), = rows
    assert (state, location, float(units), updates) == ("open", S01_STOCK, 5.0, 1)
    assert read_key.startswith("epc:") and read_key.endswith(":shrink")
    assert read_key.split(":")[1] in second, "named by the last read"


def test_a_store_and_a_rule_sum_every_location_under_them(module_db):
    """On-hand of a store (out_of_stock) and of a rule on its view location (below_min) is
    the sum over every internal location under it, the ones no change touched included:
    the alerts read those quants by (product, location), not every quant of the product."""
    dsn = module_db
    product = _product(dsn, 61)  # a product no other test here moves
    (view,), = query(dsn, "SELECT view_location_id FROM stock_warehouse WHERE id = %s",
                     (S01_WAREHOUSE,))
    (shelf,), = query(dsn, """
        INSERT INTO stock_location (name, complete_name, location_id, parent_path, usage,
                                    company_id, warehouse_id, active, create_date, write_date)
        SELECT 'Shelf', l.complete_name || '/Shelf', l.id, l.parent_path, 'internal', 1,
               l.warehouse_id, true, now(), now()
          FROM stock_location l WHERE l.id = %s RETURNING id""", (S01_STOCK,))
    query(dsn, "UPDATE stock_location SET parent_path = parent_path || id || '/' "
               "WHERE id = %s", (shelf,))
    _set_stock(dsn, product, 3)
    _set_stock(dsn, product, 2, location=shelf)
    _set_stock(dsn, product, 4, location=S02_STOCK)  # another store: not counted
    _orderpoint(dsn, product, 4, 0, location=view)
    _set_stock(dsn, product, 1)  # store: 1 + 2 = 3 < min 4
    assert {(k, q) for k, _s, _l, q, *_ in _alerts(dsn, product, "open")} == {
        ("below_min", 3)}
    _set_stock(dsn, product, 0)  # 0 + 2: in stock, still under min
    assert {k for k, *_ in _alerts(dsn, product, "open")} == {"below_min"}
    _set_stock(dsn, product, 0, location=shelf)  # 0 + 0: out of stock in S01 alone
    assert {(k, loc) for k, _s, loc, *_ in _alerts(dsn, product, "open")} == {
        ("below_min", view), ("out_of_stock", S01_STOCK)}
