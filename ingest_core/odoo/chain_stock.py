"""A generated chain's opening stock: one quant per product x store, as Odoo keeps them.

What it is: ``opening_quants`` writes each store's on-hand of each product as
a ``stock_quant`` row copied from one Odoo wrote (the dump's S01 quants, made
by Odoo's inventory adjustment), plus, per product, the negative quant Odoo
keeps in the inventory-adjustment location for what was counted in; with a
history (``ingest_core.odoo.chain_history``), ``quants_from_moves`` makes
the quants the sum of the done moves instead, so quants = done moves exactly.

Why quants and no moves for the opening: 500 stores x 36 000 SKUs is 18 M
opening quants; Odoo's inventory adjustment would add a done move, a move
line and a valuation layer per quant (three times the disk and the time) that
no figure of the chain benchmarks reads. It is the stock a migration from the
chain's previous system leaves; ``docs/scaling.md`` says so.

How it works: one ``INSERT ... SELECT`` over products x stores with the
secondary indexes of ``stock_quant`` dropped and built again after (as a
restore does), foreign keys not checked row by row (every referenced row is
one the generator just made or read). The quantity follows the product's
demand (``DAYS_OF_COVER`` days of its Zipf rate, at least ``MINIMUM``).
"""

from __future__ import annotations

from collections.abc import Sequence

from ingest_core.odoo.chain_history import drop_secondary_indexes

#: Opening on-hand: days of the product's expected sales in an average store.
DAYS_OF_COVER = 21
MINIMUM = 6

_QUANT_MODEL = """
    SELECT q.id FROM stock_quant q JOIN stock_location l ON l.id = q.location_id
     WHERE l.usage = 'internal' AND q.lot_id IS NULL AND q.package_id IS NULL
       AND q.owner_id IS NULL ORDER BY q.id LIMIT 1"""

_COLUMNS = """SELECT attname FROM pg_attribute WHERE attrelid = 'stock_quant'::regclass
               AND attnum > 0 AND NOT attisdropped AND attname <> 'id' ORDER BY attnum"""


#: What a quant Odoo made has where the database has none to copy (a new Odoo).
_FIRST_QUANT = {"company_id": "(SELECT company_id FROM stock_location WHERE id = %(first)s)",
                "reserved_quantity": "0", "inventory_quantity_set": "false",
                "create_uid": "1", "write_uid": "1"}


def _insert(cur, overrides: dict[str, str], source: str, params: dict) -> int:
    """Quants of ``source`` (an SQL set), each a copy of a quant Odoo wrote but
    ``overrides``; with no quant to copy, Odoo's defaults (``_FIRST_QUANT``)."""
    cur.execute(_QUANT_MODEL)
    model = cur.fetchone()
    if model is None:
        columns = [*overrides, *(c for c in _FIRST_QUANT if c not in overrides)]
        values = {**_FIRST_QUANT, **overrides}
        cur.execute(f"""
            INSERT INTO stock_quant ({', '.join(columns)})
            SELECT {', '.join(values[c] for c in columns)} FROM {source}""",
                    {**params, "first": params["locations"][0]})
        return cur.rowcount
    cur.execute(_COLUMNS)
    columns = [row[0] for row in cur.fetchall()]
    cur.execute(f"""
        INSERT INTO stock_quant ({', '.join(columns)})
        SELECT {', '.join(overrides.get(c, f'm.{c}') for c in columns)}
          FROM stock_quant m, {source}
         WHERE m.id = %(model)s""", {**params, "model": model[0]})
    return cur.rowcount


#: How a trigger is enabled again, by ``pg_trigger.tgenabled``.
_ENABLE = {"O": "ENABLE", "A": "ENABLE ALWAYS", "R": "ENABLE REPLICA"}


def _as_a_restore(cur, write) -> int:
    """Run ``write`` as a restore loads a table: secondary indexes built after, the
    add-on's stock alert triggers off (they would evaluate every opening quant: 7 s for
    42 000), foreign keys not checked row by row."""
    indexes = drop_secondary_indexes(cur, "stock_quant")
    cur.execute("""SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'stock_quant'::regclass
                     AND NOT tgisinternal AND tgenabled <> 'D'""")
    triggers = cur.fetchall()
    for name, _enabled in triggers:
        cur.execute(f'ALTER TABLE stock_quant DISABLE TRIGGER "{name}"')
    cur.execute("SET LOCAL session_replication_role = replica")
    written = write()
    cur.execute("SET LOCAL session_replication_role = DEFAULT")
    for name, enabled in triggers:
        cur.execute(f'ALTER TABLE stock_quant {_ENABLE[enabled]} TRIGGER "{name}"')
    for definition in indexes:
        cur.execute(definition)
    return written


def opening_quants(cur, store_locations: Sequence[int], products: Sequence[int],
                   daily_rate: float, inventory_location: int, zipf: float = 1.0) -> int:
    """On-hand of ``products`` (by popularity rank: rank ``k`` sells ``daily_rate / k^zipf``
    a day in an average store) in every store location; returns the quants written."""
    params = {"locations": list(store_locations), "products": list(products),
              "rate": daily_rate, "days": DAYS_OF_COVER, "minimum": MINIMUM,
              "inventory": inventory_location, "zipf": zipf}
    per_store = ("greatest(%(minimum)s, ceil(%(days)s * %(rate)s / p.rank ^ %(zipf)s))")
    stores = ("unnest(%(products)s::int[]) WITH ORDINALITY AS p(id, rank) "
              "CROSS JOIN unnest(%(locations)s::int[]) AS l(id)")
    counterpart = ("unnest(%(products)s::int[]) WITH ORDINALITY AS p(id, rank)")
    now = "now() AT TIME ZONE 'UTC'"

    def write() -> int:
        written = _insert(cur, {
            "product_id": "p.id", "location_id": "l.id", "quantity": per_store,
            "in_date": now, "create_date": now, "write_date": now}, stores, params)
        # Odoo's inventory adjustment leaves the counted-in quantity, negative, in the
        # inventory-adjustment location (one quant per product).
        written += _insert(cur, {
            "product_id": "p.id", "location_id": "%(inventory)s",
            "quantity": f"-{per_store} * cardinality(%(locations)s::int[])",
            "inventory_date": "NULL", "inventory_quantity": "NULL",
            "inventory_diff_quantity": f"{per_store} * cardinality(%(locations)s::int[])",
            "in_date": now, "create_date": now, "write_date": now}, counterpart, params)
        return written

    return _as_a_restore(cur, write)


def quants_from_moves(cur, store_locations: Sequence[int]) -> int:
    """Quants of the store locations = their done moves in minus out (a history's
    stock); returns the quants written. The stores must have no quant yet."""
    params = {"locations": list(store_locations)}
    source = """(SELECT product_id AS id, loc AS location, sum(qty) AS qty FROM (
                    SELECT product_id, location_dest_id AS loc, quantity AS qty
                      FROM stock_move WHERE state = 'done'
                       AND location_dest_id = ANY(%(locations)s::int[])
                    UNION ALL
                    SELECT product_id, location_id, -quantity FROM stock_move
                     WHERE state = 'done' AND location_id = ANY(%(locations)s::int[])) d
                 GROUP BY 1, 2) p"""
    now = "now() AT TIME ZONE 'UTC'"

    def write() -> int:
        return _insert(cur, {"product_id": "p.id", "location_id": "p.location",
                             "quantity": "p.qty", "in_date": now, "create_date": now,
                             "write_date": now}, source, params)

    return _as_a_restore(cur, write)


def database_bytes(cur) -> int:
    cur.execute("SELECT pg_database_size(current_database())")
    return cur.fetchone()[0]


def analyse(cur) -> None:
    """Fresh planner statistics after a bulk load (the connection in autocommit)."""
    cur.execute("VACUUM ANALYZE stock_quant")
    cur.execute("ANALYZE")
