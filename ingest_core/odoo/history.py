"""The statements of ``rtstock history import`` and ``history summary`` (Odoo tables).

What it is: every SQL text the history stage (``ingest_core.history``) runs,
here because this package is the one home of Odoo table knowledge
(``docs/architecture.md``); the events, quants and moves themselves are
written by ``sql`` (the fast path's statements) and the journal.

How it works: products are copied from a model product column by column, the
column list read from ``information_schema`` so that whatever Odoo (or another
module) requires keeps the model's value; moves are re-dated from the events
they were made of (``rrs_event_move``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ingest_core.odoo.sql import UTC_NOW, pg_array


def stores(cur, codes: Sequence[str] | None = None) -> list[tuple[int, str, int, int]]:
    """(warehouse, code, stock location, company) of the stores, in id order: the
    warehouses named by ``codes``, else every warehouse but each company's first (the
    one Odoo creates with the company: a chain's distribution centre) where it has others."""
    cur.execute("""
        SELECT id, code, lot_stock_id, company_id FROM stock_warehouse w
         WHERE coalesce(active, true)
           AND (%(codes)s::varchar[] IS NOT NULL AND code = ANY(%(codes)s::varchar[])
                OR %(codes)s::varchar[] IS NULL AND (
                   id > (SELECT min(id) FROM stock_warehouse f
                          WHERE f.company_id = w.company_id AND coalesce(f.active, true))
                   OR NOT EXISTS (SELECT 1 FROM stock_warehouse o
                                   WHERE o.company_id = w.company_id AND o.id <> w.id
                                     AND coalesce(o.active, true))))
         ORDER BY id""", {"codes": list(codes) if codes else None})
    return cur.fetchall()


def products_by_code(cur, codes: Sequence[str]) -> dict[str, int]:
    """default_code -> product id (the lowest, where several share a code)."""
    cur.execute("SELECT default_code, min(id) FROM product_product "
                "WHERE default_code = ANY(%s) GROUP BY 1", (list(codes),))
    return dict(cur.fetchall())


def _columns(cur, table: str) -> list[str]:
    cur.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                "AND table_schema = current_schema() AND column_name <> 'id' "
                "ORDER BY ordinal_position", (table,))
    return [row[0] for row in cur.fetchall()]


def copy_rows(cur, table: str, model_id: int, overrides: dict[str, str], source: str,
              params: dict, key: str = "default_code") -> dict:
    """One copy of row ``model_id`` of ``table`` per row of ``source`` (an SQL set named
    ``n``), every column the model's but ``overrides``; returns column ``key`` of each copy
    -> its id (matched by ``key``: RETURNING need not follow the rows' order)."""
    columns = _columns(cur, table)
    cur.execute(f"""
        INSERT INTO {table} ({', '.join(columns)})
        SELECT {', '.join(overrides.get(c, f'm.{c}') for c in columns)}
          FROM {table} m, {source}
         WHERE m.id = %(model)s
        RETURNING {key}, id""", {**params, "model": model_id})
    return dict(cur.fetchall())


#: A created product's barcode: its stock code, as the shop's shelf labels (Code 128) carry
#: it, so live scans can sell it; none where another product already has that barcode.
_LABEL = ("CASE WHEN EXISTS (SELECT 1 FROM product_product b WHERE b.barcode = n.code) "
          "THEN NULL ELSE n.code END")


def copy_products(cur, codes: Sequence[str], names: Sequence[str], prices: Sequence[float],
                  cost_share: float, user_id: int) -> dict[str, int]:
    """One product (template + variant) per code, each a copy of the first storable,
    untracked product with its code, name, list price, cost (``cost_share`` of the
    price, per company where the model has a cost) and barcode (``_LABEL``); returns
    code -> product id."""
    cur.execute("""SELECT p.id, t.id FROM product_product p
                     JOIN product_template t ON t.id = p.product_tmpl_id
                    WHERE coalesce(t.is_storable, t.type = 'product') AND t.tracking = 'none'
                      AND coalesce(p.active, true) ORDER BY p.id LIMIT 1""")
    model = cur.fetchone()
    if model is None:
        raise ValueError("no storable, untracked product to model new products on")
    model_product, model_template = model
    own = {"create_uid": "%(user)s", "write_uid": "%(user)s", "create_date": UTC_NOW,
           "write_date": UTC_NOW, "default_code": "n.code"}
    params = {"codes": list(codes), "user": user_id}
    templates = copy_rows(
        cur, "product_template", model_template,
        {**own, "name": "jsonb_build_object('en_US', n.name)", "list_price": "n.price"},
        "unnest(%(codes)s::varchar[], %(names)s::varchar[], %(prices)s::numeric[])"
        " AS n(code, name, price)",
        {**params, "names": list(names), "prices": list(prices)})
    return copy_rows(
        cur, "product_product", model_product,
        {**own, "product_tmpl_id": "n.template", "barcode": _LABEL,
         "standard_price": "(SELECT jsonb_object_agg(k, round(n.price * %(share)s, 2))"
                           " FROM jsonb_object_keys(m.standard_price) k)"},
        "unnest(%(codes)s::varchar[], %(templates)s::int[], %(prices)s::numeric[])"
        " AS n(code, template, price)",
        {**params, "templates": [templates[c] for c in codes], "prices": list(prices),
         "share": cost_share})


def device_by_name(cur, name: str, warehouse_id: int) -> int | None:
    cur.execute("SELECT id FROM rrs_device WHERE name = %s AND warehouse_id = %s",
                (name, warehouse_id))
    row = cur.fetchone()
    return row[0] if row else None


def date_moves_as_events(cur, event_ids: Sequence[int]) -> int:
    """Give the moves made of ``event_ids`` (and their lines, pickings and scraps) the time
    of their latest event; returns how many moves."""
    if not event_ids:
        return 0
    cur.execute("""
        WITH d AS (SELECT em.move_id, max(e.read_at) AS at
                     FROM rrs_event_move em JOIN rrs_event e ON e.id = em.event_id
                    WHERE em.event_id = ANY(%(ids)s::int[]) GROUP BY 1),
        m AS (UPDATE stock_move m SET date = d.at FROM d WHERE m.id = d.move_id
              RETURNING m.id, m.picking_id, m.scrap_id, m.date),
        l AS (UPDATE stock_move_line l SET date = m.date FROM m WHERE l.move_id = m.id
              RETURNING l.id),
        p AS (UPDATE stock_picking p SET date = x.at, date_done = x.at, scheduled_date = x.at
                FROM (SELECT picking_id, max(date) AS at FROM m
                       WHERE picking_id IS NOT NULL GROUP BY 1) x
               WHERE p.id = x.picking_id RETURNING p.id),
        s AS (UPDATE stock_scrap s SET date_done = x.at
                FROM (SELECT scrap_id, max(date) AS at FROM m
                       WHERE scrap_id IS NOT NULL GROUP BY 1) x
               WHERE s.id = x.scrap_id RETURNING s.id)
        SELECT (SELECT count(*) FROM m), (SELECT count(*) FROM l), (SELECT count(*) FROM p),
               (SELECT count(*) FROM s)""", {"ids": pg_array(event_ids)})
    return cur.fetchone()[0]


def warehouse_ids(cur, codes: Sequence[str]) -> dict[str, int]:
    """Warehouse code -> id, for the codes that name an active warehouse."""
    cur.execute("SELECT code, id FROM stock_warehouse WHERE coalesce(active, true) "
                "AND code = ANY(%s)", (list(codes),))
    return dict(cur.fetchall())


def product_sales(cur, since: datetime | None = None, until: datetime | None = None,
                  warehouses: Sequence[int] | None = None
                  ) -> list[tuple[str, str, float, float]]:
    """(code, name, net units, revenue at list price) per product sold or returned, by
    revenue: done move lines to a customers location less those from one; ``warehouses``:
    only those stores' (the warehouse of the line's other, internal side)."""
    cur.execute("""
        SELECT p.default_code, coalesce(t.name->>'en_US', p.default_code),
               sum(CASE WHEN d.usage = 'customer' THEN l.quantity ELSE -l.quantity END),
               sum(CASE WHEN d.usage = 'customer' THEN l.quantity ELSE -l.quantity END
                   * coalesce(t.list_price, 0))
          FROM stock_move_line l
          JOIN stock_location s ON s.id = l.location_id
          JOIN stock_location d ON d.id = l.location_dest_id
          JOIN product_product p ON p.id = l.product_id
          JOIN product_template t ON t.id = p.product_tmpl_id
         WHERE l.state = 'done' AND (d.usage = 'customer') <> (s.usage = 'customer')
           AND (%(since)s::timestamp IS NULL OR l.date >= %(since)s)
           AND (%(until)s::timestamp IS NULL OR l.date < %(until)s)
           AND (%(stores)s::int[] IS NULL OR (CASE WHEN d.usage = 'customer'
                THEN s.warehouse_id ELSE d.warehouse_id END) = ANY(%(stores)s::int[]))
         GROUP BY 1, 2
         ORDER BY 4 DESC, 1""", {"since": since, "until": until,
                                 "stores": list(warehouses) if warehouses else None})
    return [(code, name, float(units), round(float(revenue), 2))
            for code, name, units, revenue in cur.fetchall()]
