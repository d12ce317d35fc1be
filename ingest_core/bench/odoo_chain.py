"""A small retail chain on a live Odoo, and the same movements through the ORM and as reads.

What it is: the shared ground of the equivalence test and the live-Odoo
benchmark baselines. ``SETUP_CODE`` (run in ``odoo-bin shell``) creates two
stores (warehouses S01, S02), three product categories with real-time
(automated) valuation (standard, average, FIFO cost), storable products with
EAN-13 barcodes (some lot-tracked, two lots each) and opening stock through
Odoo's inventory adjustment, and prints the ids the rest needs.
``generate_movements`` draws seeded mixed movements (sale, return, receipt,
transfer_out/transfer_in through the company transit location, scrap,
count) in chunks; ``APPLY_CODE`` applies chunks through the ORM the way Odoo
users do (one picking per operation and store and chunk segment, confirmed, its
move lines set with their lots, ``button_validate``; ``stock.scrap``
``action_validate``; ``stock.quant`` inventory mode ``action_apply_inventory``);
``reads_for`` turns a chunk into ``/v1/reads`` payloads for the fast path.

How it works: the generator simulates on-hand quantities so that no movement
takes more than there is, except the sales drawn as ``oversell``, which take a
key below zero as a till does when the records are behind the shelf (Odoo's
negative-stock valuation and its correction by the next receipt), and every
count differs from the on-hand quantity (Odoo writes no move for a zero
difference).
Within a chunk, the non-count movements are applied first and the counts
after them, on both paths: quant changes commute, counts do not. Values do not
always commute: a chunk is cut into segments where a FIFO or average-cost
product changes direction, in the fast path's read order (store by store, in
chunk order), as the journal cuts its moves, so both paths value a product's
returns and receipts before or after its sales alike.

Caveats: returns are plain receipts from Customers on the store's Receipts
type (no return wizard: a store scanner does not know the original sale).
"""

from __future__ import annotations

import random
from collections import defaultdict

from ingest_core.odoo.catalog import ean13

OPS_WEIGHTS = (("sale", 35), ("receipt", 12), ("return", 8), ("transfer_out", 12),
               ("transfer_in", 10), ("scrap", 8), ("count", 15), ("oversell", 3))

SETUP_CODE = r'''
from odoo import Command
params = json.loads(PARAMS)
env = env(context=dict(env.context, tracking_disable=True, mail_create_nolog=True,
                       mail_notrack=True))
company = env.company
warehouses = {}
for code, name in (("S01", "Store 01 Downtown"), ("S02", "Store 02 Riverside")):
    wh = env["stock.warehouse"].search([("code", "=", code), ("company_id", "=", company.id)])
    warehouses[code] = wh or env["stock.warehouse"].create(
        {"name": name, "code": code, "company_id": company.id})
categories = {}
for key, method in (("standard", "standard"), ("average", "average"), ("fifo", "fifo")):
    categories[key] = env["product.category"].create({
        "name": "Retail %s" % key, "property_cost_method": method,
        "property_valuation": "real_time"})
products, lots = {}, {}
for spec in params["products"]:
    product = env["product.product"].create({
        "name": spec["name"], "default_code": spec["code"], "barcode": spec["barcode"],
        "is_storable": True, "type": "consu", "categ_id": categories[spec["cost"]].id,
        "standard_price": spec["standard_price"], "list_price": spec["list_price"],
        "tracking": "lot" if spec["lots"] else "none"})
    products[spec["code"]] = product
    for lot_name in spec["lots"]:
        lots[(spec["code"], lot_name)] = env["stock.lot"].create(
            {"name": lot_name, "product_id": product.id, "company_id": company.id})
Quant = env["stock.quant"].with_context(inventory_mode=True)
quants = Quant.browse()
for spec in params["products"]:
    for wh in warehouses.values():
        for lot_name in spec["lots"] or [None]:
            quants |= Quant.create({
                "product_id": products[spec["code"]].id, "location_id": wh.lot_stock_id.id,
                "lot_id": lot_name and lots[(spec["code"], lot_name)].id,
                "inventory_quantity": params["opening"]})
quants.action_apply_inventory()
if params.get("price_change"):
    # Later receipts come in at another cost than the opening stock (FIFO layers
    # of two costs; AVCO revalued): valuation then depends on the order of moves.
    for spec in params["products"]:
        if spec["cost"] in ("average", "fifo"):
            product = products[spec["code"]]
            product.standard_price = product.standard_price + params["price_change"]
env.cr.commit()
Location = env["stock.location"]
result = {
    "company_id": company.id,
    "places": {
        "customers": env.ref("stock.stock_location_customers").id,
        "vendors": env.ref("stock.stock_location_suppliers").id,
        "inventory": Location.search([("usage", "=", "inventory"), ("scrap_location", "=", False),
                                      ("company_id", "=", company.id)], limit=1).id,
        "scrap": Location.search([("usage", "=", "inventory"), ("scrap_location", "=", True),
                                  ("company_id", "=", company.id)], limit=1).id,
        "transit": company.internal_transit_location_id.id,
    },
    "warehouses": {code: {"id": wh.id, "stock": wh.lot_stock_id.id, "in_type": wh.in_type_id.id,
                          "out_type": wh.out_type_id.id, "int_type": wh.int_type_id.id}
                   for code, wh in warehouses.items()},
    "products": [{"id": products[spec["code"]].id, "code": spec["code"],
                  "barcode": spec["barcode"], "cost": spec["cost"],
                  "lots": {name: lots[(spec["code"], name)].id for name in spec["lots"]}}
                 for spec in params["products"]],
}
print(RESULT_MARKER + json.dumps(result))
'''

# Applies CHUNKS (a JSON list of chunks of movements) through the ORM; prints timings.
APPLY_CODE = r'''
import time
from collections import defaultdict
from odoo import Command
params = json.loads(PARAMS)
env = env(context=dict(env.context, tracking_disable=True, mail_create_nolog=True,
                       mail_notrack=True))
chain = params["chain"]
places = chain["places"]
whs = chain["warehouses"]
Product = env["product.product"]
PickingType = env["stock.picking.type"]


def route(op, wh):
    stock = wh["stock"]
    return {"sale": (stock, places["customers"], wh["out_type"]),
            "return": (places["customers"], stock, wh["in_type"]),
            "receipt": (places["vendors"], stock, wh["in_type"]),
            "transfer_out": (stock, places["transit"], wh["int_type"]),
            "transfer_in": (places["transit"], stock, wh["int_type"])}[op]


def picking(op, wh, items):
    src, dst, type_id = route(op, wh)
    ptype = PickingType.browse(type_id)
    demand = defaultdict(float)
    lines = defaultdict(float)
    for m in items:
        demand[m["product_id"]] += m["qty"]
        lines[(m["product_id"], m["lot_id"])] += m["qty"]
    moves = []
    for product_id, qty in demand.items():
        product = Product.browse(product_id)
        # What the picking form's onchange puts on a new move line.
        moves.append(Command.create({
            "name": product.display_name, "description_picking": product._get_description(ptype),
            "product_id": product.id, "product_uom": product.uom_id.id,
            "product_uom_qty": qty, "location_id": src, "location_dest_id": dst}))
    pick = env["stock.picking"].create({"picking_type_id": type_id, "location_id": src,
                                        "location_dest_id": dst, "move_ids": moves})
    pick.action_confirm()
    pick.do_unreserve()
    move_of = {move.product_id.id: move for move in pick.move_ids}
    env["stock.move.line"].create([{
        "move_id": move_of[product_id].id, "picking_id": pick.id, "product_id": product_id,
        "product_uom_id": move_of[product_id].product_uom.id, "location_id": src,
        "location_dest_id": dst, "lot_id": lot_id or False, "quantity": qty, "picked": True}
        for (product_id, lot_id), qty in lines.items()])
    pick.move_ids.picked = True
    answer = pick.button_validate()
    if answer is not True:
        raise RuntimeError("button_validate asked: %r" % (answer,))
    if pick.state != "done":
        raise RuntimeError("picking %s is %s" % (pick.name, pick.state))


DIRECTION = {"sale": "out", "scrap": "out", "transfer_out": "out", "return": "in",
             "receipt": "in", "transfer_in": "in"}
SENSITIVE = {p.id for p in Product.browse([spec["id"] for spec in chain["products"]])
             if p.cost_method in ("fifo", "average")}


def segments(chunk):
    """The chunk's movements (counts aside) in the order the fast path reads them (store by
    store, in chunk order), cut wherever a FIFO or average-cost product changes direction:
    its value depends on whether its receipt or return is valued before or after its sale
    (FIFO resets the cost to the last layer it used), so the ORM must meet them in the same
    order as the fast path's journal, which cuts its moves the same way."""
    reads = sorted((m for m in chunk if m["op"] != "count"),
                   key=lambda m, order={id(m): n for n, m in enumerate(chunk)}:
                   (m["store"], order[id(m)]))
    cut, current, direction_of = [], [], {}
    for m in reads:
        direction = DIRECTION[m["op"]] if m["product_id"] in SENSITIVE else None
        if direction and direction_of.get(m["product_id"], direction) != direction:
            cut.append(current)
            current, direction_of = [], {}
        if direction:
            direction_of[m["product_id"]] = direction
        current.append(m)
    return [segment for segment in cut + [current] if segment]


def scrap(m):
    product = Product.browse(m["product_id"])
    record = env["stock.scrap"].create({
        "product_id": product.id, "product_uom_id": product.uom_id.id,
        "scrap_qty": m["qty"], "location_id": whs[m["store"]]["stock"],
        "lot_id": m["lot_id"] or False, "company_id": chain["company_id"]})
    answer = record.action_validate()
    if answer is not True and record.state != "done":
        raise RuntimeError("scrap asked: %r" % (answer,))


started = time.monotonic()
applied = 0
for chunk in params["chunks"]:
    for segment in segments(chunk):
        groups = defaultdict(list)
        for m in segment:
            if m["op"] != "scrap":
                groups[(m["op"], m["store"])].append(m)
        for (op, store), items in sorted(groups.items()):
            picking(op, whs[store], items)
        for m in segment:
            if m["op"] == "scrap":
                scrap(m)
    Quant = env["stock.quant"].with_context(inventory_mode=True)
    for m in chunk:
        if m["op"] != "count":
            continue
        quant = Quant.create({"product_id": m["product_id"],
                              "location_id": whs[m["store"]]["stock"],
                              "lot_id": m["lot_id"] or False, "inventory_quantity": m["qty"]})
        answer = quant.action_apply_inventory()
        if answer not in (None, True, False):
            raise RuntimeError("apply inventory asked: %r" % (answer,))
    applied += len(chunk)
    if params.get("commit_each_chunk"):
        env.cr.commit()
env.cr.commit()
elapsed = time.monotonic() - started
print(RESULT_MARKER + json.dumps({"movements": applied, "seconds": elapsed}))
'''

VALUE_CODE = r'''
env["stock.move"]._cron_value_fast_path_moves(batch_size=1000000)
env.cr.commit()
print(RESULT_MARKER + json.dumps({"ok": True}))
'''


def product_specs(count: int = 20, lot_tracked: int = 4, first_index: int = 9000) -> list[dict]:
    """Storable products of the chain: EAN-13 barcodes, a cost method each, lots for some."""
    costs = ("standard", "average", "fifo")
    specs = []
    for n in range(count):
        index = first_index + n
        code = f"RT{index:05d}"
        lots = [f"LOT-{code}-A", f"LOT-{code}-B"] if n >= count - lot_tracked else []
        specs.append({"code": code, "name": f"Retail item {index}", "barcode": ean13(index),
                      "cost": costs[n % 3], "standard_price": 4.0 + n * 0.25,
                      "list_price": 9.99 + n, "lots": lots})
    return specs


def setup_params(products: int = 20, lot_tracked: int = 4, opening: float = 200.0,
                 price_change: float = 0.0) -> dict:
    return {"products": product_specs(products, lot_tracked), "opening": opening,
            "price_change": price_change}


def generate_movements(chain: dict, count: int = 1000, chunk_size: int = 50, seed: int = 18,
                       opening: float = 200.0, weights=OPS_WEIGHTS) -> list[list[dict]]:
    """Seeded mixed movements in chunks: dicts (op, store, product_id, lot_id, qty, code, lot).

    ``qty`` is the moved quantity, for ``count`` the counted on-hand quantity.
    """
    rng = random.Random(seed)
    stores = sorted(chain["warehouses"])
    keys = []  # (product, lot id, lot name)
    for product in chain["products"]:
        for lot_name, lot_id in sorted(product["lots"].items()) or [(None, None)]:
            keys.append((product, lot_id, lot_name))
    on_hand = {(store, p["id"], lot): opening for store in stores for p, lot, _n in keys}
    transit = defaultdict(float)
    ops, op_weights = zip(*weights, strict=True)
    chunks, made = [], 0
    oversold: list[tuple] = []  # keys a sale took below zero, restocked by the next chunk
    while made < count:
        chunk, counts = [], []
        for store, product, lot_id, lot_name in oversold:
            if made < count and on_hand[(store, product["id"], lot_id)] < 0:
                # The store's replenishment: a receipt back to the opening level.
                chunk.append({"op": "receipt", "store": store, "product_id": product["id"],
                              "lot_id": lot_id, "lot": lot_name, "code": product["barcode"],
                              "qty": opening - on_hand[(store, product["id"], lot_id)]})
                made += 1
        oversold = []
        # Availability as of the chunk's start minus what the chunk already takes:
        # the ORM applies a chunk's pickings in an order of its own.
        available = dict(on_hand)
        transit_available = dict(transit)
        while len(chunk) + len(counts) < chunk_size and made < count:
            op = rng.choices(ops, op_weights)[0]
            store = rng.choice(stores)
            product, lot_id, lot_name = rng.choice(keys)
            key = (store, product["id"], lot_id)
            qty = float(rng.randint(1, 3))
            if op == "count":
                if any(c["store"] == store and c["product_id"] == product["id"]
                       and c["lot_id"] == lot_id for c in counts):
                    continue
                counts.append({"op": op, "store": store, "product_id": product["id"],
                               "lot_id": lot_id, "lot": lot_name, "code": product["barcode"],
                               "qty": None})
                made += 1
                continue
            if op == "oversell":
                # A sale scanned before the stock it takes was booked: the shelf had
                # more than the records. It takes the key below zero; Odoo values the
                # missing units at the last cost and corrects them when a receipt comes
                # (``_run_fifo_vacuum``): the next chunk starts with that receipt.
                # Not after a take of the chunk: the ORM validates a segment's sales
                # before its scraps, and a scrap Odoo finds short asks a person.
                if on_hand[key] < 0 or available[key] != on_hand[key]:
                    continue
                op, qty = "sale", available[key] + qty
                oversold.append((store, product, lot_id, lot_name))
            elif op in ("sale", "transfer_out", "scrap") and available[key] - qty < 5:
                continue
            if op in ("sale", "transfer_out", "scrap"):
                available[key] -= qty
            if op == "transfer_in":
                if transit_available.get((product["id"], lot_id), 0.0) < qty:
                    continue
                transit_available[(product["id"], lot_id)] -= qty
            chunk.append({"op": op, "store": store, "product_id": product["id"],
                          "lot_id": lot_id, "lot": lot_name, "code": product["barcode"],
                          "qty": qty})
            made += 1
        for m in chunk:
            key = (m["store"], m["product_id"], m["lot_id"])
            sign = {"sale": -1, "transfer_out": -1, "scrap": -1, "return": 1, "receipt": 1,
                    "transfer_in": 1}[m["op"]]
            on_hand[key] += sign * m["qty"]
            if m["op"] == "transfer_out":
                transit[(m["product_id"], m["lot_id"])] += m["qty"]
            elif m["op"] == "transfer_in":
                transit[(m["product_id"], m["lot_id"])] -= m["qty"]
        for c in counts:
            key = (c["store"], c["product_id"], c["lot_id"])
            delta = rng.choice((-4, -3, -2, -1, 1, 2, 3, 4))
            c["qty"] = max(on_hand[key] + delta, 0.0)
            if c["qty"] == on_hand[key]:
                c["qty"] += 1.0
            on_hand[key] = c["qty"]
        chunks.append(chunk + counts)
    return chunks


def read_code(movement: dict) -> str:
    """What the scanner sends: the EAN-13, or a GS1 element string (01 GTIN, 10 lot)."""
    if movement["lot"]:
        return "01" + movement["code"].zfill(14) + "10" + movement["lot"]
    return movement["code"]


def reads_for(chunk: list[dict], prefix: str, ts: str) -> tuple[dict, dict]:
    """(non-count reads, count reads) of a chunk per store, as ``/v1/reads`` items."""
    moving, counting = defaultdict(list), defaultdict(list)
    for number, movement in enumerate(chunk):
        read = {"key": f"{prefix}:{number}", "ts": ts, "code": read_code(movement),
                "qty": movement["qty"], "op": movement["op"]}
        (counting if movement["op"] == "count" else moving)[movement["store"]].append(read)
    return moving, counting
