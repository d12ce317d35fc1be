"""The demo catalog of the *own* schema: a small retail chain shaped like ``shared/odoo18``.

What it is: the base rows a fast path needs (company, users, UoM, locations,
warehouses DC/S01/S02, picking types, products with EAN-13 barcodes, opening
stock), with the same ids (and picking sequences, ``ir_sequence_0NN``) as
the genuine Odoo 18 database, so code, tests and benchmarks behave the same
on both templates.

How it works: plain inserts over the declared columns; product ``i``
(0-based) is id ``i + 2``, ``SKU%05d``, barcode ``40123450`` + 4-digit index
+ check digit (GS1 company prefix 4012345); the last 50 are lot-tracked.

Caveats: opening stock is written as quants only (no moves): the invariant
the tests check is "quants = opening quants + done move lines".
"""

from __future__ import annotations

import json

from psycopg2.extras import execute_values

from ingest_core.decode.gs1 import gtin_check_digit

COMPANY_PREFIX = "4012345"
LOT_TRACKED_TAIL = 50

LOCATIONS = [  # id, name, complete_name, usage, parent, warehouse, company, scrap
    (1, "Physical Locations", "Physical Locations", "view", None, None, None, False),
    (2, "Partners", "Partners", "view", None, None, None, False),
    (3, "Virtual Locations", "Virtual Locations", "view", None, None, None, False),
    (4, "Vendors", "Partners/Vendors", "supplier", 2, None, None, False),
    (5, "Customers", "Partners/Customers", "customer", 2, None, None, False),
    (7, "DC", "DC", "view", 1, 1, 1, False),
    (8, "Stock", "DC/Stock", "internal", 7, 1, 1, False),
    (13, "Inter-warehouse transit", "Physical Locations/Inter-warehouse transit", "transit",
     1, None, 1, False),
    (14, "Inventory adjustment", "Virtual Locations/Inventory adjustment", "inventory", 3,
     None, 1, False),
    (16, "Scrap", "Virtual Locations/Scrap", "inventory", 3, None, 1, True),
    (17, "S01", "S01", "view", 1, 2, 1, False),
    (18, "Stock", "S01/Stock", "internal", 17, 2, 1, False),
    (23, "S02", "S02", "view", 1, 3, 1, False),
    (24, "Stock", "S02/Stock", "internal", 23, 3, 1, False),
]
WAREHOUSES = [  # id, name, code, view, stock, first picking type id
    (1, "Central DC", "DC", 7, 8, 1),
    (2, "Store 01 Downtown", "S01", 17, 18, 10),
    (3, "Store 02 Riverside", "S02", 23, 24, 19),
]
# Offsets inside each warehouse's block of 9 picking types, as Odoo 18 numbers them.
PICKING_TYPES = [  # offset, code, sequence_code, name
    (0, "incoming", "IN", "Receipts"),
    (1, "outgoing", "OUT", "Delivery Orders"),
    (6, "internal", "INT", "Internal Transfers"),
    (8, "outgoing", "POS", "PoS Orders"),
]


def ean13(index: int) -> str:
    """EAN-13 of catalog item ``index`` (GS1 mod-10 check digit)."""
    body = f"{COMPANY_PREFIX}0{index:04d}"
    return body + str(gtin_check_digit(body))


def seed(connection, products: int = 2000, stock: dict[int, int] | None = None) -> None:
    """Insert the demo chain; ``stock`` maps location id to opening quantity per product."""
    stock = stock if stock is not None else {8: 1000, 18: 100, 24: 100}
    with connection.cursor() as cur:
        cur.execute("INSERT INTO res_users (id, login, active) VALUES (1, '__system__', true), "
                    "(2, 'admin', true)")
        cur.execute("INSERT INTO res_partner (id, name) VALUES (1, 'My Company')")
        cur.execute("INSERT INTO res_company (id, name, partner_id) VALUES (1, 'My Company', 1)")
        cur.execute("INSERT INTO uom_uom (id, name, factor, rounding, uom_type) VALUES "
                    "(1, %s, 1.0, 0.01, 'reference')", (json.dumps({"en_US": "Units"}),))
        execute_values(cur, "INSERT INTO stock_location (id, name, complete_name, usage, "
                       "location_id, warehouse_id, company_id, scrap_location, active) VALUES %s",
                       [(*row, True) for row in LOCATIONS])
        cur.execute("UPDATE res_company SET internal_transit_location_id = 13, "
                    "annual_inventory_month = '12', annual_inventory_day = 31")
        sequences = [(11, "Scrap", "stock.scrap", "SP/", None)]
        types, warehouses = [], []
        for wh_id, name, code, view, lot_stock, first in WAREHOUSES:
            by_code = {}
            for offset, kind, seq_code, type_name in PICKING_TYPES:
                type_id = first + offset
                src = {"incoming": 4}.get(kind, lot_stock)
                dest = {"incoming": lot_stock, "outgoing": 5}.get(kind, lot_stock)
                sequence_id = type_id + 100
                sequences.append((sequence_id, f"{name} Sequence {seq_code}", None,
                                  f"{code}/{seq_code}/", None))
                types.append((type_id, json.dumps({"en_US": type_name}), kind, seq_code, wh_id, 1,
                              src, dest, sequence_id, True))
                by_code[seq_code] = type_id
            warehouses.append((wh_id, name, code, 1, view, lot_stock, by_code["IN"],
                               by_code["OUT"], by_code["INT"], by_code["POS"], True))
        execute_values(cur, "INSERT INTO stock_warehouse (id, name, code, company_id, "
                       "view_location_id, lot_stock_id, in_type_id, out_type_id, int_type_id, "
                       "pos_type_id, active) VALUES %s", warehouses)
        execute_values(cur, "INSERT INTO ir_sequence (id, name, code, prefix, suffix, "
                       "implementation, padding, number_next, number_increment, company_id, "
                       "active) VALUES %s",
                       [(*row, "standard", 5, 1, 1, 1, True) for row in sequences])
        for sequence_id, *_rest in sequences:
            cur.execute(f"CREATE SEQUENCE ir_sequence_{sequence_id:03d} INCREMENT BY 1 START 1")
        execute_values(cur, "INSERT INTO stock_picking_type (id, name, code, sequence_code, "
                       "warehouse_id, company_id, default_location_src_id, "
                       "default_location_dest_id, sequence_id, active) VALUES %s", types)
        cur.execute("INSERT INTO product_category (id, name) VALUES (5, 'Retail')")
        templates, variants = [], []
        for index in range(products):
            pid = index + 2
            tracking = "lot" if index >= products - LOT_TRACKED_TAIL else "none"
            templates.append((pid, json.dumps({"en_US": f"Item {index:05d}"}), 5, 1, "consu",
                              tracking, True, True))
            variants.append((pid, pid, f"SKU{index:05d}", ean13(index), True, 1, 1))
        execute_values(cur, "INSERT INTO product_template (id, name, categ_id, uom_id, type, "
                       "tracking, "
                       "is_storable, active) VALUES %s", templates, page_size=1000)
        execute_values(cur, "INSERT INTO product_product (id, product_tmpl_id, default_code, "
                       "barcode, active, create_uid, write_uid) VALUES %s", variants,
                       page_size=1000)
        quants = [(pid, 1, location, qty, 0, "now()")
                  for location, qty in stock.items() for pid in range(2, products + 2)]
        execute_values(cur, "INSERT INTO stock_quant (product_id, company_id, location_id, "
                       "quantity, reserved_quantity, in_date) VALUES %s", quants, page_size=2000)
        for table in ("res_users", "res_company", "uom_uom", "stock_location", "stock_warehouse",
                      "ir_sequence", "stock_picking_type", "product_category", "product_template",
                      "product_product"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))")
    connection.commit()
