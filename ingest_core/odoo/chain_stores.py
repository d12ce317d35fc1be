"""A generated chain's stores: copies of a warehouse Odoo made, with everything it made for it.

What it is: ``clone_warehouse`` adds warehouses to an Odoo 18 database, one
a store code, each a copy of a model warehouse (the dump's S01, which Odoo's own
``stock.warehouse.create`` built): its locations (view, Stock, Input, Quality
Control, Output, Packing Zone), its picking types (Receipts, Delivery Orders,
PoS Orders, ...), their ``ir.sequence`` rows and PostgreSQL sequences, its
routes and rules and its route links. So a generated store is what Odoo would
have made: Odoo opens it, sells from it and numbers its pickings
(``tests/test_chain.py``, and on the live harness ``tests/test_chain_live.py``).

Why copies and not ``stock.warehouse.create``: the fast path's tests and the
chain benchmarks run without Odoo (on the genuine dump), and 500 stores through
the ORM take minutes where these statements take a second.

How it works: the model's rows are gathered per table (``_model_rows``); a map
gives each (row, copy) a new id from the table's own sequence; each table's
copies are one ``INSERT ... SELECT`` in which every foreign key that points at
a copied row points at that row's copy (found from ``pg_constraint``, so a
column the add-on or a later Odoo adds is handled too), ``parent_path`` is
rewritten through the map, and the store's name and code replace the model's in
the names, barcodes and sequence prefixes Odoo derived from them
(``RENAMED``). A route is copied when all its rules belong to the model
(Odoo's per-warehouse routes); shared routes (MTO) keep their id and gain the
copy's rules, as Odoo does.

Caveats: the model's store-specific settings that are not derived from its name
(GLN, opening hours) are copied as they are; a copy's create/write dates are
now.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: Tables whose rows make a warehouse, in insertion order (all foreign keys among them
#: are nullable or point backwards, except the warehouse's own, inserted last).
TABLES = ("ir_sequence", "stock_location", "stock_route", "stock_picking_type",
          "stock_rule", "stock_warehouse")

#: Columns in which Odoo wrote the warehouse's name or code (``S01/Stock``,
#: ``S01/IN/``, ``Store 01 Downtown: Receive in 1 step``).
RENAMED = {
    "ir_sequence": ("name", "prefix"),
    "stock_location": ("name", "complete_name", "barcode"),
    "stock_route": ("name",),
    "stock_picking_type": ("name", "barcode"),
    "stock_rule": ("name",),
    "stock_warehouse": ("name", "code"),
}


@dataclass(frozen=True)
class Store:
    warehouse_id: int
    stock_location_id: int
    code: str


def _model_rows(cur, warehouse_id: int) -> dict[str, list[int]]:
    cur.execute("SELECT view_location_id FROM stock_warehouse WHERE id = %s", (warehouse_id,))
    row = cur.fetchone()
    if row is None:
        raise ValueError(f"no warehouse {warehouse_id} to model the stores on")
    queries = {
        "stock_location": """
            SELECT l.id FROM stock_location l, stock_location v
             WHERE v.id = %(view)s AND l.parent_path LIKE v.parent_path || '%%'""",
        "stock_picking_type": "SELECT id FROM stock_picking_type WHERE warehouse_id = %(wh)s",
        "ir_sequence": """SELECT DISTINCT sequence_id FROM stock_picking_type
                           WHERE warehouse_id = %(wh)s AND sequence_id IS NOT NULL""",
        "stock_rule": "SELECT id FROM stock_rule WHERE warehouse_id = %(wh)s",
        # Routes whose every rule is the model's: Odoo made them for this warehouse.
        "stock_route": """
            SELECT r.route_id FROM stock_rule r GROUP BY r.route_id
            HAVING bool_and(r.warehouse_id IS NOT DISTINCT FROM %(wh)s)""",
        "stock_warehouse": "SELECT %(wh)s",
    }
    rows = {}
    for table, query in queries.items():
        cur.execute(query + " ORDER BY 1", {"wh": warehouse_id, "view": row[0]})
        rows[table] = [r[0] for r in cur.fetchall()]
    return rows


def _foreign_keys(cur, table: str) -> dict[str, str]:
    """Single-column foreign keys of ``table`` into the copied tables: column -> table."""
    cur.execute("""
        SELECT a.attname, c.confrelid::regclass::text
          FROM pg_constraint c
          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
         WHERE c.contype = 'f' AND c.conrelid = %s::regclass
           AND cardinality(c.conkey) = 1 AND c.confrelid::regclass::text = ANY(%s)""",
                (table, list(TABLES)))
    return dict(cur.fetchall())


def _columns(cur, table: str) -> list[tuple[str, str]]:
    cur.execute("""SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
                    WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped
                    ORDER BY attnum""", (table,))
    return cur.fetchall()


def _copy_table(cur, table: str, model: dict) -> None:
    keys = _foreign_keys(cur, table)
    renamed = RENAMED.get(table, ())
    expressions = []
    for column, type_ in _columns(cur, table):
        if column == "id":
            value = "self.new"
        elif column in keys:
            value = (f"coalesce((SELECT x.new FROM rtstock_clone_map x WHERE x.tbl = "
                     f"'{keys[column]}' AND x.old = m.{column} AND x.copy = s.n), m.{column})")
        elif column == "parent_path":
            value = ("(SELECT string_agg(coalesce(x.new, p.part::int)::text, '/' ORDER BY p.i)"
                     " || '/' FROM unnest(string_to_array(rtrim(m.parent_path, '/'), '/'))"
                     " WITH ORDINALITY AS p(part, i) LEFT JOIN rtstock_clone_map x ON "
                     "x.tbl = 'stock_location' AND x.old = p.part::int AND x.copy = s.n)")
        elif column in renamed:
            value = (f"replace(replace(m.{column}::text, %(model_name)s, s.name), "
                     f"%(model_code)s, s.code)::{type_}")
        elif column in ("create_date", "write_date"):
            value = "now() AT TIME ZONE 'UTC'"
        else:
            value = f"m.{column}"
        expressions.append((column, value))
    names = ", ".join(name for name, _ in expressions)
    values = ", ".join(value for _, value in expressions)
    cur.execute(f"""
        INSERT INTO {table} ({names})
        SELECT {values}
          FROM {table} m
          JOIN rtstock_clone_map self ON self.tbl = %(table)s AND self.old = m.id
          JOIN rtstock_clone_store s ON s.n = self.copy
         ORDER BY self.new""", {**model, "table": table})


def clone_warehouse(cur, model_id: int, codes: Sequence[str],
                    names: Sequence[str]) -> list[Store]:
    """One copy of warehouse ``model_id`` per code (with its name); returns the stores."""
    if len(codes) != len(names):
        raise ValueError("one name per store code")
    cur.execute("SELECT name, code FROM stock_warehouse WHERE id = %s", (model_id,))
    model_name, model_code = cur.fetchone()
    rows = _model_rows(cur, model_id)
    cur.execute("""CREATE TEMP TABLE rtstock_clone_store ON COMMIT DROP AS
                   SELECT * FROM unnest(%s::varchar[], %s::varchar[])
                          WITH ORDINALITY AS s(code, name, n)""", (list(codes), list(names)))
    cur.execute("CREATE TEMP TABLE rtstock_clone_map (tbl text, old int, copy int, new int) "
                "ON COMMIT DROP")
    for table in TABLES:
        cur.execute(f"""
            INSERT INTO rtstock_clone_map
            SELECT %s, o.id, s.n, nextval(pg_get_serial_sequence('{table}', 'id'))
              FROM unnest(%s::int[]) AS o(id) CROSS JOIN rtstock_clone_store s
             ORDER BY s.n, o.id""", (table, rows[table]))
    cur.execute("CREATE INDEX ON rtstock_clone_map (tbl, old, copy)")
    cur.execute("ANALYZE rtstock_clone_map")
    model = {"model_name": model_name, "model_code": model_code}
    # The copies point at each other both ways (warehouse <-> locations, picking types);
    # every key is checked by the tests (``dangling_keys``), not row by row here.
    cur.execute("SET LOCAL session_replication_role = replica")
    for table in TABLES:
        _copy_table(cur, table, model)
    cur.execute("""
        INSERT INTO stock_route_warehouse (route_id, warehouse_id)
        SELECT coalesce(r.new, l.route_id), w.new
          FROM stock_route_warehouse l
          JOIN rtstock_clone_map w ON w.tbl = 'stock_warehouse' AND w.old = l.warehouse_id
          LEFT JOIN rtstock_clone_map r ON r.tbl = 'stock_route' AND r.old = l.route_id
                                        AND r.copy = w.copy
         WHERE l.warehouse_id = %s""", (model_id,))
    # ir.sequence's "standard" implementation numbers from a PostgreSQL sequence of its own.
    cur.execute("""
        SELECT q.id, q.number_increment, q.number_next FROM ir_sequence q
          JOIN rtstock_clone_map x ON x.tbl = 'ir_sequence' AND x.new = q.id
         WHERE q.implementation = 'standard'""")
    for sequence_id, increment, start in cur.fetchall():
        cur.execute(f"CREATE SEQUENCE ir_sequence_{sequence_id:03d} "
                    f"INCREMENT BY {int(increment)} START WITH {int(start)}")
    cur.execute("SET LOCAL session_replication_role = DEFAULT")
    cur.execute("""
        SELECT w.id, w.lot_stock_id, w.code FROM stock_warehouse w
          JOIN rtstock_clone_map x ON x.tbl = 'stock_warehouse' AND x.new = w.id
         ORDER BY x.copy""")
    stores = [Store(*row) for row in cur.fetchall()]
    cur.execute("DROP TABLE rtstock_clone_map, rtstock_clone_store")
    return stores
