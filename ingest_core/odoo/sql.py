"""Every SQL statement the ingest runs against Odoo's and the add-on's tables.

What it is: the only module (with ``check``/``init``/``catalog``/``ddl`` in
this package) that names Odoo tables in SQL. Stages call these functions
with a psycopg2 cursor; nothing else writes SQL against Odoo.

How it works: statements are set-based (``unnest`` of arrays), so one round
trip serves a whole batch. Column lists for the rows Odoo's ORM would write
come from ``tables.py``; the values mirror what Odoo 18's ``stock`` module
writes for a done move (see ``shared/odoo18/orm_reference.json``). Quants are
locked in a fixed order (advisory locks per key where a quant may be created,
then rows by id), so writers never deadlock each other; the ORM's own
``FOR NO KEY UPDATE`` is respected (``ingest_core.commit.quants``).

Caveats: timestamps are naive UTC like Odoo's; ``now()`` is the transaction
start, as the ORM's ``fields.Datetime.now()`` within one request.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property

import psycopg2.errors

UTC_NOW = "(now() AT TIME ZONE 'UTC')"


_NUMERIC = frozenset({"int", "numeric", "bigint"})


def pg_array(values: Iterable, kind: str = "num") -> str:
    """PostgreSQL array input text (``{1,2,NULL}``) for a ``%s::type[]`` parameter.

    psycopg2 sends a Python list as ``ARRAY[...]`` with one SQL literal per
    element, which the server parses element by element; one text value
    parsed by the array type's input function costs a fraction of that, and
    the hot statements carry arrays of thousands of elements. ``kind`` is
    ``"num"`` (ints, floats, None) or ``"text"`` (anything else, quoted).
    """
    if kind == "num":
        body = ",".join("NULL" if value is None else str(value) for value in values)
    else:
        body = ",".join(
            "NULL" if value is None
            else '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
            for value in values)
    return "{" + body + "}"


# --------------------------------------------------------------------------- reference data

DEVICE_COLUMNS = ("id, name, kind, warehouse_id, location_id, company_id, active, "
                  "allow_sale, allow_return, allow_receipt, allow_transfer_out, "
                  "allow_transfer_in, allow_scrap, allow_count, rfid_role, rfid_antenna_zones, "
                  "training")


def device_by_token_hash(cur, token_hash: str):
    cur.execute(f"SELECT {DEVICE_COLUMNS} FROM rrs_device WHERE token_hash = %s", (token_hash,))
    return cur.fetchone()


def load_devices(cur) -> list[tuple]:
    """(token hash, *DEVICE_COLUMNS) of every device that has a token."""
    cur.execute(f"SELECT token_hash, {DEVICE_COLUMNS} FROM rrs_device WHERE token_hash IS NOT NULL")
    return cur.fetchall()


def devices_version(cur) -> tuple:
    """Changes whenever a device row is created, written or deleted."""
    cur.execute("SELECT count(*), max(write_date), max(id), sum(hashtext(coalesce(token_hash, '')))"
                " FROM rrs_device")
    return tuple(cur.fetchone())


def insert_device(cur, *, name: str, kind: str, warehouse_id: int, location_id: int,
                  company_id: int, token_hash: str, token_hint: str, allowed: Iterable[str],
                  active: bool = True, rfid_role: str | None = None,
                  rfid_antenna_zones: str | None = None, training: bool = False) -> int:
    """Create a device (demo, tests, benchmarks); in production the add-on does this."""
    allowed = set(allowed)
    flags = {f"allow_{op}": op in allowed for op in
             ("sale", "return", "receipt", "transfer_out", "transfer_in", "scrap", "count")}
    columns = ["name", "kind", "warehouse_id", "location_id", "company_id", "active",
               "token_hash", "token_hint", "rfid_role", "rfid_antenna_zones", "unknown_tags",
               "training", *flags]
    values = [name, kind, warehouse_id, location_id, company_id, active, token_hash,
              token_hint, rfid_role, rfid_antenna_zones, 0, training, *flags.values()]
    cur.execute(f"INSERT INTO rrs_device ({', '.join(columns)}, create_date, write_date) "
                f"VALUES ({', '.join(['%s'] * len(values))}, {UTC_NOW}, {UTC_NOW}) RETURNING id",
                values)
    return cur.fetchone()[0]






def get_parameter(cur, key: str) -> str | None:
    """An Odoo system parameter's value, None where it is not set."""
    cur.execute("SELECT value FROM ir_config_parameter WHERE key = %s", (key,))
    row = cur.fetchone()
    return row[0] if row else None


def set_parameter(cur, key: str, value: str) -> None:
    """An Odoo system parameter (``ir.config_parameter``), created or changed."""
    cur.execute(f"""
        INSERT INTO ir_config_parameter (key, value, create_date, write_date)
        VALUES (%s, %s, {UTC_NOW}, {UTC_NOW})
        ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value,
                                        write_date = EXCLUDED.write_date""", (key, value))


def touch_devices(cur, device_ids: Sequence[int]) -> None:
    cur.execute(f"UPDATE rrs_device SET last_seen = {UTC_NOW} WHERE id = ANY(%s)",
                (list(device_ids),))


def add_device_daily(cur, fates: Mapping[tuple[int, date, str], int]) -> None:
    """Add (device, UTC day, fate) -> reads to the devices' daily counts (device health)."""
    rows: dict[tuple[int, date], list[int]] = {}
    for (device, day, status), count in fates.items():
        row = rows.setdefault((device, day), [0, 0, 0])
        # A training read was taken (device health: the device reads), never applied.
        row[("applied", "duplicate", "rejected").index(
            "applied" if status == "training" else status)] += count
    keys = sorted(rows)
    cur.execute(f"""
        INSERT INTO rrs_device_daily AS d (device_id, day, applied, duplicate, rejected,
                                           create_date, write_date)
        SELECT v.device, v.day, v.applied, v.duplicate, v.rejected, {UTC_NOW}, {UTC_NOW}
          FROM unnest(%s::int[], %s::date[], %s::int[], %s::int[], %s::int[])
               AS v(device, day, applied, duplicate, rejected)
        ON CONFLICT (device_id, day) DO UPDATE SET
            applied = d.applied + EXCLUDED.applied, duplicate = d.duplicate + EXCLUDED.duplicate,
            rejected = d.rejected + EXCLUDED.rejected, write_date = EXCLUDED.write_date""",
                ([device for device, _day in keys], [day for _device, day in keys],
                 *([rows[key][n] for key in keys] for n in range(3))))


def catalog_version(cur) -> tuple:
    """Changes whenever a product, template or packaging row is created/written/deleted."""
    cur.execute("""
        SELECT (SELECT row(count(*), max(write_date), max(id))::text FROM product_product),
               (SELECT row(count(*), max(write_date), max(id))::text FROM product_template),
               (SELECT row(count(*), max(write_date), max(id))::text FROM product_packaging)""")
    return tuple(cur.fetchone())


def load_products(cur) -> list[tuple]:
    """(product id, barcode, default code, tracking, uom id, display name, name, storable)."""
    cur.execute("""
        SELECT p.id, p.barcode, p.default_code, t.tracking, t.uom_id,
               CASE WHEN p.default_code IS NOT NULL
                    THEN '[' || p.default_code || '] ' || (t.name->>'en_US')
                    ELSE t.name->>'en_US' END,
               t.name->>'en_US', coalesce(t.is_storable, false)
          FROM product_product p JOIN product_template t ON t.id = p.product_tmpl_id
         WHERE coalesce(p.active, true) AND coalesce(t.active, true)""")
    return cur.fetchall()


def load_cost_methods(cur) -> list[tuple[int, int, str]]:
    """(product id, company id, cost method) where it is not Odoo's default ``standard``.

    ``property_cost_method`` is company-dependent: Odoo 18 keeps it as JSON on
    the category ({company id: method}), falling back to ``ir.default``.
    """
    cur.execute("""
        SELECT p.id, co.id, coalesce(c.property_cost_method->>co.id::text,
                                    d.json_value #>> '{}', 'standard')
          FROM product_product p
          JOIN product_template t ON t.id = p.product_tmpl_id
          JOIN product_category c ON c.id = t.categ_id
          CROSS JOIN res_company co
          LEFT JOIN LATERAL (
                SELECT d.json_value::jsonb AS json_value FROM ir_default d
                  JOIN ir_model_fields f ON f.id = d.field_id
                 WHERE f.model = 'product.category' AND f.name = 'property_cost_method'
                   AND d.user_id IS NULL AND d.condition IS NULL
                   AND (d.company_id = co.id OR d.company_id IS NULL)
                 ORDER BY d.company_id NULLS LAST LIMIT 1) d ON true""")
    return [row for row in cur.fetchall() if row[2] != "standard"]


def load_packagings(cur) -> list[tuple]:
    """(barcode, product id, quantity) of packagings that have a barcode."""
    cur.execute("SELECT barcode, product_id, qty FROM product_packaging "
                "WHERE barcode IS NOT NULL AND coalesce(qty, 0) > 0")
    return cur.fetchall()


def load_warehouses(cur) -> list[tuple]:
    """Per warehouse: id, code, company, stock location, picking types (in, out, int, pos)."""
    cur.execute("SELECT id, code, company_id, lot_stock_id, in_type_id, out_type_id, "
                "int_type_id, pos_type_id FROM stock_warehouse WHERE coalesce(active, true)")
    return cur.fetchall()


def place_names(cur) -> tuple[dict[int, str], dict[int, str]]:
    """({location id: full name, e.g. 'S01/Stock'}, {warehouse id: 'code name'}): what a
    person reads where a screen would show ids."""
    cur.execute("SELECT id, coalesce(complete_name, name) FROM stock_location")
    locations = dict(cur.fetchall())
    cur.execute("SELECT id, code || ' ' || name FROM stock_warehouse")
    return locations, dict(cur.fetchall())


def low_stock(cur, location_id: int, below: float, limit: int) -> list[tuple[str, float]]:
    """(barcode, on hand) of the products with a barcode whose on-hand at ``location_id``
    is below ``below``, lowest first: what a distribution centre's next truck brings."""
    cur.execute("""
        SELECT p.barcode, sum(q.quantity) FROM stock_quant q
          JOIN product_product p ON p.id = q.product_id
          JOIN product_template t ON t.id = p.product_tmpl_id
         WHERE q.location_id = %s AND p.barcode IS NOT NULL AND t.tracking = 'none'
         GROUP BY p.barcode HAVING sum(q.quantity) < %s
         ORDER BY 2, 1 LIMIT %s""", (location_id, below, limit))
    return [(barcode, float(quantity)) for barcode, quantity in cur.fetchall()]


def load_special_locations(cur) -> list[tuple]:
    """(company id, usage, scrap flag, location id) of the virtual locations operations use."""
    cur.execute("""
        SELECT DISTINCT ON (company_id, usage, coalesce(scrap_location, false))
               company_id, usage, coalesce(scrap_location, false), id
          FROM stock_location
         WHERE usage IN ('supplier', 'customer', 'inventory', 'transit')
           AND coalesce(active, true)
         ORDER BY company_id, usage, coalesce(scrap_location, false), id""")
    rows = cur.fetchall()
    cur.execute("SELECT id, internal_transit_location_id FROM res_company")
    return rows + [(company, "company_transit", False, location)
                   for company, location in cur.fetchall() if location]


def load_locations(cur) -> list[tuple]:
    """(id, warehouse id, usage, company id, active) of every location.

    Archived ones are included: Odoo keeps moving stock through some of them
    (the inter-warehouse transit location is archived until multi-step routes
    are enabled, yet transfers use it).
    """
    cur.execute("SELECT id, warehouse_id, usage, company_id, coalesce(active, true) "
                "FROM stock_location")
    return cur.fetchall()


def load_companies(cur) -> list[tuple]:
    """(id, annual inventory month, annual inventory day) per company."""
    cur.execute("SELECT id, annual_inventory_month, annual_inventory_day FROM res_company")
    return cur.fetchall()


# --------------------------------------------------------------------------- lots

def _key(*parts: object) -> int:
    """Stable 63-bit advisory-lock key."""
    return zlib.crc32(repr(parts).encode()) | (zlib.adler32(repr(parts).encode()) << 31)


def find_or_create_lots(cur, wanted: Sequence[tuple[int, str, int]], user_id: int
                        ) -> dict[tuple[int, str], int]:
    """Lot ids for (product id, lot name, company id), creating the missing ones.

    An advisory lock per (product, name) makes concurrent writers agree on one
    lot instead of creating two with the same name.
    """
    if not wanted:
        return {}
    unique = sorted(set(wanted))
    cur.execute("SELECT pg_advisory_xact_lock(k) FROM unnest(%s::bigint[]) k ORDER BY k",
                (sorted({_key("lot", p, n) for p, n, _c in unique}),))
    cur.execute("""
        SELECT DISTINCT ON (l.product_id, l.name) l.product_id, l.name, l.id
          FROM stock_lot l JOIN unnest(%s::int[], %s::varchar[]) AS w(product_id, name)
            ON l.product_id = w.product_id AND l.name = w.name
         ORDER BY l.product_id, l.name, l.id""",
                ([p for p, _n, _c in unique], [n for _p, n, _c in unique]))
    found = {(product, name): lot for product, name, lot in cur.fetchall()}
    missing = [(p, n, c) for p, n, c in unique if (p, n) not in found]
    if missing:
        cur.execute(f"""
            INSERT INTO stock_lot (product_id, name, company_id, product_uom_id,
                                   create_uid, create_date, write_uid, write_date)
            SELECT m.product_id, m.name, m.company_id, t.uom_id, %s, {UTC_NOW}, %s, {UTC_NOW}
              FROM unnest(%s::int[], %s::varchar[], %s::int[]) AS m(product_id, name, company_id)
              JOIN product_product p ON p.id = m.product_id
              JOIN product_template t ON t.id = p.product_tmpl_id
            RETURNING product_id, name, id""",
                    (user_id, user_id, [p for p, _n, _c in missing],
                     [n for _p, n, _c in missing], [c for _p, _n, c in missing]))
        found.update({(product, name): lot for product, name, lot in cur.fetchall()})
    return found


# --------------------------------------------------------------------------- events

@dataclass(frozen=True, slots=True)
class EventRow:
    device_id: int
    read_key: str
    read_at: str  # ISO timestamp, UTC
    operation: str
    code: str
    product_id: int
    lot_id: int | None
    quantity: float
    location_id: int
    location_dest_id: int
    picking_type_id: int | None
    warehouse_id: int
    company_id: int


def _unnest_columns(rows: Sequence, columns: Sequence[str], types: Sequence[str]
                    ) -> tuple[list[str], str]:
    """Each column of ``rows`` as one array literal, and the ``unnest`` arguments that cast
    them: one insert of many rows in one statement."""
    arrays = [pg_array((getattr(row, column) for row in rows),
                       "num" if kind in _NUMERIC else "text")
              for column, kind in zip(columns, types, strict=True)]
    return arrays, ", ".join(f"%s::{kind}[]" for kind in types)


@dataclass(frozen=True, slots=True)
class TrainingRow:
    """A read of a device in training: what it would have done (``rrs_training_read``)."""
    device_id: int
    read_key: str
    read_at: str  # ISO timestamp, UTC
    operation: str
    code: str
    product_id: int
    lot_name: str | None
    quantity: float
    location_id: int
    location_dest_id: int
    warehouse_id: int
    company_id: int


def insert_training_reads(cur, rows: Sequence[TrainingRow], user_id: int) -> list[int | None]:
    """Log training reads; per row its new id, or None when (device, key) was logged before.

    Nothing else is written: no event, no quant, no lot, no journal queue; a
    read key is a duplicate of an earlier training read only."""
    if not rows:
        return []
    columns = ("device_id", "read_key", "read_at", "operation", "code", "product_id",
               "lot_name", "quantity", "location_id", "location_dest_id", "warehouse_id",
               "company_id")
    types = ("int", "varchar", "timestamp", "varchar", "varchar", "int", "varchar", "numeric",
             "int", "int", "int", "int")
    arrays, unnest = _unnest_columns(rows, columns, types)
    cur.execute(f"""
        INSERT INTO rrs_training_read ({', '.join(columns)}, received_at,
                                       create_uid, create_date, write_uid, write_date)
        SELECT u.*, {UTC_NOW}, %s, {UTC_NOW}, %s, {UTC_NOW} FROM unnest({unnest}) AS u
        ON CONFLICT (device_id, read_key) DO NOTHING
        RETURNING device_id, read_key, id""", (user_id, user_id, *arrays))
    logged = {(device, key): row_id for device, key, row_id in cur.fetchall()}
    return [logged.pop((row.device_id, row.read_key), None) for row in rows]


def recorded_read_keys(cur, keys: Sequence[tuple[int, str]]) -> set[tuple[int, str]]:
    """The (device, read key) pairs that already have an event (unique index probe each)."""
    if not keys:
        return set()
    cur.execute("""
        SELECT e.device_id, e.read_key
          FROM unnest(%s::int[], %s::varchar[]) AS k(d, r)
          JOIN rrs_event e ON e.device_id = k.d AND e.read_key = k.r""",
                ([d for d, _k in keys], [k for _d, k in keys]))
    return {(device, key) for device, key in cur.fetchall()}


def insert_events(cur, rows: Sequence[EventRow], user_id: int) -> list[int | None]:
    """Insert events; returns, per row, its new id or None when (device, key) already existed.

    In the same statement, the applied events that move stock become one
    ``rrs_event_batch`` row: the journal's queue (``claim_pending_events``), marked
    ``virtual_by_journal``: the writer changes only the quants of stock locations,
    the journal those of the virtual ones (``Journal._virtual_quants``); and the
    transaction-local ``rrs.alerts_caller`` tells the alert triggers
    (``odoo.alerts``) to leave this transaction's quants to the journal, which
    raises their alerts in the transaction that writes their moves.
    """
    if not rows:
        return []
    columns = ("device_id", "read_key", "read_at", "operation", "code", "product_id", "lot_id",
               "quantity", "location_id", "location_dest_id", "picking_type_id",
               "warehouse_id", "company_id")
    types = ("int", "varchar", "timestamp", "varchar", "varchar", "int", "int", "numeric",
             "int", "int", "int", "int", "int")
    arrays, unnest = _unnest_columns(rows, columns, types)
    cur.execute(f"""
        WITH batch AS (SELECT nextval(pg_get_serial_sequence('rrs_event_batch', 'id')) AS id),
        applied AS (
            INSERT INTO rrs_event ({', '.join(columns)}, batch_id, received_at,
                                   create_uid, create_date, write_uid, write_date)
            SELECT u.*, (SELECT id FROM batch), {UTC_NOW}, %s, {UTC_NOW}, %s, {UTC_NOW}
              FROM unnest({unnest}) AS u
            ON CONFLICT (device_id, read_key) DO NOTHING
            RETURNING device_id, read_key, id, quantity, batch_id),
        queued AS (
            INSERT INTO rrs_event_batch (id, event_ids, received_at, virtual_by_journal)
            SELECT min(batch_id), array_agg(id ORDER BY id), {UTC_NOW}, true
              FROM applied WHERE quantity <> 0 HAVING count(*) > 0),
        marked AS (  -- the journal raises this transaction's alerts (odoo.alerts)
            SELECT set_config('rrs.alerts_caller', 'writer', true) AS caller)
        SELECT device_id, read_key, id FROM applied, marked""", (user_id, user_id, *arrays))
    applied = {(device, key): event_id for device, key, event_id in cur.fetchall()}
    return [applied.pop((row.device_id, row.read_key), None) for row in rows]


def storable(value):
    """``value`` with every string made storable in PostgreSQL text and jsonb: NUL (which
    neither holds) and unpaired surrogates (not UTF-8) become U+FFFD. A read is
    quarantined with whatever bytes a device sent; one of these must not fail the
    group's transaction and hold every read of it back."""
    if isinstance(value, str):
        if "\x00" in value:
            value = value.replace("\x00", "\ufffd")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            value = value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        return value
    if isinstance(value, dict):
        return {storable(key): storable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [storable(item) for item in value]
    return value


def insert_quarantine(cur, rows: Sequence[tuple[int | None, str | None, dict, str, str]],
                      user_id: int) -> None:
    """(device id, read key, raw read, reason code, reason) rows, state 'new'.

    A resent read that is still waiting in quarantine for the same reason is
    not quarantined twice. Text is made :func:`storable` first.
    """
    if not rows:
        return
    rows = [(device, storable(key), storable(raw), code, storable(reason))
            for device, key, raw, code, reason in rows]
    cur.execute(f"""
        INSERT INTO rrs_quarantine (device_id, read_key, raw, reason_code, reason, state,
                                    received_at, create_uid, create_date, write_uid, write_date)
        SELECT d, k, r::jsonb, c, m, 'new', {UTC_NOW}, %s, {UTC_NOW}, %s, {UTC_NOW}
          FROM unnest(%s::int[], %s::varchar[], %s::text[], %s::varchar[], %s::varchar[])
               AS q(d, k, r, c, m)
         WHERE k IS NULL OR NOT EXISTS (
               SELECT 1 FROM rrs_quarantine o WHERE o.device_id = q.d AND o.read_key = q.k
                  AND o.reason_code = q.c AND o.state = 'new')""",
                (user_id, user_id, [r[0] for r in rows], [r[1] for r in rows],
                 [json.dumps(r[2], default=str) for r in rows], [r[3] for r in rows],
                 [r[4] for r in rows]))


# --------------------------------------------------------------------------- quants

QuantKey = tuple[int, int, int | None]  # product, location, lot


def sort_key(key: QuantKey) -> tuple[int, int, int]:
    """Total order of quant keys (lot None first): the lock order of every writer."""
    return key[0], key[1], -1 if key[2] is None else key[2]


def lock_quant_keys(cur, keys: Iterable[QuantKey]) -> None:
    """Advisory locks per (product, location, lot), in one global order: no writer deadlocks."""
    cur.execute("SELECT pg_advisory_xact_lock(k) FROM unnest(%s::bigint[]) k ORDER BY k",
                (pg_array(sorted({_key("quant", *key) for key in keys})),))


def quant_totals(cur, keys: Sequence[QuantKey]) -> dict[QuantKey, float]:
    """Current on-hand per key (all quants of the key, no package/owner).

    A key named twice is asked once: joined twice, its quants would be summed twice
    (two counts of one product in one group once saw double the on-hand).
    """
    keys = list(dict.fromkeys(keys))
    cur.execute("""
        SELECT k.p, k.l, k.t, coalesce(sum(q.quantity), 0)
          FROM unnest(%s::int[], %s::int[], %s::int[]) AS k(p, l, t)
          LEFT JOIN stock_quant q ON q.product_id = k.p AND q.location_id = k.l
               AND q.lot_id IS NOT DISTINCT FROM k.t
               AND q.package_id IS NULL AND q.owner_id IS NULL
         GROUP BY k.p, k.l, k.t""",
                ([k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys]))
    return {(p, loc, lot): float(total) for p, loc, lot, total in cur.fetchall()}


#: The add-on's index for ``find_quant_ids`` and the alerts' on-hand sums
#: (``models/stock_quant.py``, same text).
QUANT_KEY_INDEX = (
    "CREATE INDEX IF NOT EXISTS rrs_stock_quant_key_idx ON stock_quant "
    "(product_id, location_id)"
)


def find_quant_ids(cur, keys: Sequence[QuantKey]) -> dict[QuantKey, int]:
    """The quant each key writes to, for the keys that have one (no lock taken).

    The key's quant is its oldest (``in_date``, then id) without package or
    owner, as Odoo's ``_gather`` prefers. One probe per key of the add-on's
    ``QUANT_KEY_INDEX``: the cost follows the keys, not the size of
    ``stock_quant`` nor the number of stores (through Odoo's ``product_id``
    index alone, every store's quant of the product was read).
    """
    if not keys:
        return {}
    cur.execute("""
        SELECT k.p, k.l, k.t, q.id
          FROM unnest(%s::int[], %s::int[], %s::int[]) AS k(p, l, t)
          CROSS JOIN LATERAL (
                SELECT q.id FROM stock_quant q
                 WHERE q.product_id = k.p AND q.location_id = k.l
                   AND q.lot_id IS NOT DISTINCT FROM k.t
                   AND q.package_id IS NULL AND q.owner_id IS NULL
                 ORDER BY q.in_date, q.id LIMIT 1) q""",
                (pg_array(k[0] for k in keys), pg_array(k[1] for k in keys),
                 pg_array(k[2] for k in keys)))
    return {(p, loc, lot): quant for p, loc, lot, quant in cur.fetchall()}


#: Row locks on quants by id, in id order, each with its key (``%s``: ``pg_array`` of ids).
_LOCK_QUANTS_BY_ID = """
    SELECT id, product_id, location_id, lot_id FROM stock_quant
     WHERE id = ANY(%s::int[]) AND package_id IS NULL AND owner_id IS NULL
     ORDER BY id FOR NO KEY UPDATE"""


def lock_quants(cur, quant_ids: Iterable[int]) -> dict[int, QuantKey]:
    """Row-lock quants by id, in id order (Odoo's ``FOR NO KEY UPDATE``); returns each
    locked quant's key. A quant deleted or moved into a package meanwhile is absent."""
    ids = sorted(set(quant_ids))
    if not ids:
        return {}
    cur.execute(_LOCK_QUANTS_BY_ID, (pg_array(ids),))
    return {quant: (p, loc, lot) for quant, p, loc, lot in cur.fetchall()}


def add_to_quants(cur, deltas: dict[int, tuple[QuantKey, float]], user_id: int
                  ) -> dict[int, float]:
    """Lock quants by id in id order and add each one's delta, in one statement.

    ``deltas`` maps quant id to (the key it is expected to have, delta). A quant
    whose key no longer matches (deleted, merged, put in a package) is not
    changed and is missing from the result: the caller retries. Returns the new
    quantity of each changed quant.
    """
    if not deltas:
        return {}
    ids = sorted(deltas)
    keys = [deltas[i][0] for i in ids]
    cur.execute(f"""
        WITH locked AS MATERIALIZED ({_LOCK_QUANTS_BY_ID})
        UPDATE stock_quant q
           SET quantity = coalesce(q.quantity, 0) + k.d, write_uid = %s,
               write_date = {UTC_NOW}
          FROM unnest(%s::int[], %s::int[], %s::int[], %s::int[], %s::numeric[])
               AS k(id, p, l, t, d)
          JOIN locked ON locked.id = k.id AND locked.product_id = k.p
               AND locked.location_id = k.l AND locked.lot_id IS NOT DISTINCT FROM k.t
         WHERE q.id = k.id
        RETURNING q.id, q.quantity""",
                (pg_array(ids), user_id, pg_array(ids), pg_array(k[0] for k in keys),
                 pg_array(k[1] for k in keys), pg_array(k[2] for k in keys),
                 pg_array(deltas[i][1] for i in ids)))
    return {quant: float(quantity) for quant, quantity in cur.fetchall()}


def insert_quants(cur, deltas: dict[QuantKey, float], company_of: dict[int, int],
                  inventory_date_of: dict[int, date], user_id: int
                  ) -> dict[QuantKey, tuple[int, float]]:
    """New quants for keys that have none, shaped like the ORM's; (id, quantity) per key.

    ``inventory_diff_quantity = -quantity`` and ``inventory_date`` the next
    annual inventory date of internal locations, as Odoo writes them, so its
    quant merging treats them like its own. Hold the keys' advisory locks
    (``lock_quant_keys``) so that two writers do not both create one.
    """
    keys = sorted(deltas, key=sort_key)
    if not keys:
        return {}
    cur.execute(f"""
        INSERT INTO stock_quant (product_id, location_id, lot_id, company_id, quantity,
                                 reserved_quantity, inventory_diff_quantity, inventory_date,
                                 in_date, create_uid, create_date, write_uid, write_date)
        SELECT k.p, k.l, k.t, k.c, k.d, 0, -k.d, k.i,
               {UTC_NOW}, %s, {UTC_NOW}, %s, {UTC_NOW}
          FROM unnest(%s::int[], %s::int[], %s::int[], %s::int[], %s::numeric[],
                      %s::date[]) AS k(p, l, t, c, d, i)
        RETURNING product_id, location_id, lot_id, id, quantity""",
                (user_id, user_id, pg_array(k[0] for k in keys),
                 pg_array(k[1] for k in keys), pg_array(k[2] for k in keys),
                 pg_array(company_of[k[1]] for k in keys),
                 pg_array(deltas[k] for k in keys),
                 pg_array((inventory_date_of.get(k[1]) for k in keys), "text")))
    return {(p, loc, lot): (quant, float(qty)) for p, loc, lot, quant, qty in cur.fetchall()}


# --------------------------------------------------------------------------- journal

@dataclass(frozen=True, slots=True)
class PendingMove:
    """Claimed events that share one would-be move's key, summed by the database.

    Events of a product in ``one_per_event`` (see ``claim_pending_events``)
    come one per row, so the journal can cut them where their order matters.
    """
    product_id: int
    lot_id: int | None
    location_id: int
    location_dest_id: int
    picking_type_id: int | None
    operation: str
    company_id: int
    quantity: float
    #: Of ``quantity``, what the journal moves in the virtual locations' quants (events
    #: of batches whose ``virtual_by_journal`` is true; older batches had the writer's).
    virtual_quantity: float
    event_ids: list[int]


JOURNAL_LOCK = 0x7274_7374_6F63_6B  # "rtstock": one journal at a time per database


def begin_journal_run(cur) -> bool:
    """Take the journal's turn for this transaction (False: another journal has it).

    One advisory lock instead of a row lock on every claimed event: journals
    of several ingest instances take turns. The journal's commit need not
    wait for the disk: if it is lost in a crash, its events are simply still
    pending and are materialised again, all or nothing.
    """
    cur.execute("SELECT pg_try_advisory_xact_lock(%s)", (JOURNAL_LOCK,))
    if not cur.fetchone()[0]:
        return False
    cur.execute("SET LOCAL synchronous_commit = off")
    return True


def claim_pending_events(cur, limit: int, one_per_event: Iterable[int] = ()
                         ) -> tuple[list[PendingMove], dict[int, list[int]]]:
    """Committed events without a move, oldest batch first, summed per move key, and their
    batches (id -> event ids); whole batches, at least one, about ``limit`` events (call
    after ``begin_journal_run``). Rows come in the order of their first event.

    The database sums the events (a few thousand rows back instead of one per
    event): the journal's own time is in the chain that decides its lag.
    Products in ``one_per_event`` (FIFO / average cost) come one row per event.
    """
    cur.execute("""
        SELECT id, event_ids, virtual_by_journal FROM rrs_event_batch
         WHERE move_ids IS NULL ORDER BY id LIMIT 10000""")
    batches: dict[int, list[int]] = {}
    virtual_batches, claimed = [], 0
    for batch_id, ids, virtual in cur.fetchall():
        if batches and claimed + len(ids) > limit:
            break
        batches[batch_id] = ids
        claimed += len(ids)
        if virtual:
            virtual_batches.append(batch_id)
    if not claimed:
        return [], batches
    # The batches' events are (nearly) one id range: a range scan of the primary key
    # beats as many index probes as events on a large log.
    cur.execute("""
        SELECT product_id, lot_id, location_id, location_dest_id, picking_type_id, operation,
               company_id, sum(quantity)::float8,
               coalesce(sum(quantity) FILTER (WHERE batch_id = ANY(%s::int[])), 0)::float8,
               array_agg(id ORDER BY id)
          FROM rrs_event
         WHERE id BETWEEN %s AND %s AND batch_id = ANY(%s::int[]) AND quantity <> 0
         GROUP BY product_id, lot_id, location_id, location_dest_id, picking_type_id,
                  operation, company_id, CASE WHEN product_id = ANY(%s::int[]) THEN id END
         ORDER BY min(id)""",
                (pg_array(virtual_batches), min(min(ids) for ids in batches.values() if ids),
                 max(max(ids) for ids in batches.values() if ids), pg_array(batches),
                 pg_array(sorted(set(one_per_event)))))
    return [PendingMove(*row) for row in cur.fetchall()], batches


def pending_event_stats(cur) -> tuple[int, float | None]:
    """(events waiting for the journal, age in seconds of the oldest)."""
    cur.execute("""
        SELECT coalesce(sum(cardinality(event_ids)), 0),
               extract(epoch FROM (now() AT TIME ZONE 'UTC') - min(received_at))
          FROM rrs_event_batch WHERE move_ids IS NULL""")
    count, age = cur.fetchone()
    return int(count), float(age) if age is not None else None


def reserve_ids(cur, table: str, count: int) -> list[int]:
    """``count`` ids from ``table``'s own sequence, so rows can be linked before insert."""
    if count <= 0:
        return []
    cur.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                "FROM generate_series(1, %s)", (table, count))
    return [row[0] for row in cur.fetchall()]


def picking_type_sequences(cur) -> dict[int, tuple]:
    """picking type id -> (sequence id, implementation, prefix, suffix, padding)."""
    cur.execute("""
        SELECT t.id, s.id, s.implementation, coalesce(s.prefix, ''), coalesce(s.suffix, ''),
               s.padding
          FROM stock_picking_type t JOIN ir_sequence s ON s.id = t.sequence_id""")
    return {row[0]: row[1:] for row in cur.fetchall()}


def sequence_by_code(cur, code: str, company_id: int) -> tuple | None:
    """(sequence id, implementation, prefix, suffix, padding) of ``code`` for a company."""
    cur.execute("""
        SELECT id, implementation, coalesce(prefix, ''), coalesce(suffix, ''), padding
          FROM ir_sequence WHERE code = %s AND coalesce(active, true)
           AND (company_id = %s OR company_id IS NULL)
         ORDER BY company_id NULLS LAST, id LIMIT 1""", (code, company_id))
    return cur.fetchone()


def next_sequence_numbers(cur, sequence_id: int, implementation: str, count: int) -> list[int]:
    """Numbers as Odoo's ``ir.sequence`` hands them out (PostgreSQL sequence or no-gap row)."""
    if implementation == "standard":
        cur.execute("SELECT nextval(%s) FROM generate_series(1, %s)",
                    (f"ir_sequence_{sequence_id:03d}", count))
        return [row[0] for row in cur.fetchall()]
    cur.execute("""
        UPDATE ir_sequence SET number_next = number_next + number_increment * %s
         WHERE id = %s RETURNING number_next - number_increment * %s, number_increment""",
                (count, sequence_id, count))
    first, step = cur.fetchone()
    return [first + step * index for index in range(count)]


def insert_pickings(cur, rows: Sequence[dict], user_id: int) -> None:
    """Done pickings (explicit ids) holding the journal's moves, one per type and route."""
    if not rows:
        return
    fields = ("id", "name", "picking_type_id", "location_id", "location_dest_id", "company_id",
              "origin")
    kinds = ("int", "varchar", "int", "int", "int", "int", "varchar")
    arrays = [[row[f] for row in rows] for f in fields]
    cur.execute(f"""
        INSERT INTO stock_picking ({', '.join(fields)}, user_id, move_type, state, priority,
                                   has_deadline_issue, is_locked, scheduled_date, date,
                                   date_done, create_uid, create_date, write_uid, write_date)
        SELECT *, %s, 'direct', 'done', '0', false, true,
               date_trunc('second', {UTC_NOW}), date_trunc('second', {UTC_NOW}),
               date_trunc('second', {UTC_NOW}), %s, {UTC_NOW}, %s, {UTC_NOW}
          FROM unnest({', '.join(f'%s::{k}[]' for k in kinds)})""",
                (user_id, user_id, user_id, *arrays))


def insert_scraps(cur, rows: Sequence[dict], user_id: int) -> None:
    """Done ``stock.scrap`` records, as Odoo's scrap action leaves them.

    ``should_replenish`` stays NULL, as the ORM leaves it (equivalence test).
    """
    if not rows:
        return
    fields = ("id", "name", "product_id", "product_uom_id", "lot_id", "location_id",
              "scrap_location_id", "scrap_qty", "company_id")
    kinds = ("int", "varchar", "int", "int", "int", "int", "int", "numeric", "int")
    arrays = [[row[f] for row in rows] for f in fields]
    cur.execute(f"""
        INSERT INTO stock_scrap ({', '.join(fields)}, state, date_done,
                                 create_uid, create_date, write_uid, write_date)
        SELECT *, 'done', date_trunc('second', {UTC_NOW}), %s, {UTC_NOW}, %s, {UTC_NOW}
          FROM unnest({', '.join(f'%s::{k}[]' for k in kinds)})""", (user_id, user_id, *arrays))


MOVE_FIELDS = ("id", "name", "reference", "origin", "description_picking", "product_id",
               "product_uom", "location_id", "location_dest_id", "picking_id", "picking_type_id",
               "scrap_id", "scrapped", "is_inventory", "company_id", "quantity", "reserve_today")
_MOVE_KINDS = ("int", "varchar", "varchar", "varchar", "text", "int", "int", "int", "int", "int",
               "int", "int", "bool", "bool", "int", "numeric", "bool")


# --------------------------------------------------------------------------- journal: foreign keys

#: The tables the journal's done-move statement writes, in the order it writes them.
DONE_MOVE_TABLES = ("stock_move", "stock_move_line")


class MissingReference(RuntimeError):
    """A done move or line references a row that does not exist (or no longer does)."""


@dataclass(frozen=True, slots=True)
class ForeignKey:
    name: str
    table: str  # one of DONE_MOVE_TABLES
    column: str  # quoted identifier
    target: str  # referenced table, as ``regclass`` prints it
    target_column: str  # quoted identifier


@dataclass(frozen=True)
class ReferenceCheck:
    """The done-move tables' foreign keys, checked set-wise instead of row by row.

    Why: PostgreSQL checks a foreign key with one query per inserted row and
    key (an SPI ``SELECT 1 ... FOR KEY SHARE`` from an internal trigger); a
    done move and its line carry 19 non-null keys, and those checks were 65 %
    of the journal's database time (``docs/decisions/reference-checks.md``).
    ``lock`` does what those triggers do, once per distinct referenced row:
    it locks each row the new moves and lines reference ``FOR KEY SHARE`` (so
    a concurrent delete or key change waits for the journal's commit and then
    meets its rows, exactly as with the triggers) and raises
    ``MissingReference`` when one is gone, before anything commits.
    """

    foreign_keys: tuple[ForeignKey, ...]

    def lock(self, cur, move_ids: Sequence[int]) -> None:
        """Lock the rows the moves ``move_ids`` and their lines reference; raise
        ``MissingReference`` (the transaction must roll back) when one does not exist."""
        statement, targets = self._statement
        cur.execute(statement, {"ids": pg_array(move_ids)})
        counts = cur.fetchone()
        for n, ((target, _column), keys) in enumerate(targets.items()):
            wanted, locked = counts[2 * n], counts[2 * n + 1]
            if wanted != locked:
                raise MissingReference(
                    f"{wanted - locked} row(s) of {target} referenced by new done moves do "
                    f"not exist ({', '.join(sorted(fk.name for fk in keys))})")

    @cached_property
    def _statement(self) -> tuple[str, dict[tuple[str, str], list[ForeignKey]]]:
        """One statement: the new rows' keys per referenced table, then those rows locked;
        returns (wanted, locked) counts per referenced (table, column), in the order of
        the returned map (which also gives each one's foreign keys)."""
        columns = {table: sorted({fk.column for fk in self.foreign_keys if fk.table == table})
                   for table in DONE_MOVE_TABLES}
        targets: dict[tuple[str, str], list[ForeignKey]] = {}
        for fk in sorted(self.foreign_keys, key=lambda fk: (fk.target, fk.target_column)):
            targets.setdefault((fk.target, fk.target_column), []).append(fk)
        ctes = [
            f"m AS MATERIALIZED (SELECT {', '.join(columns['stock_move']) or 'id'} "
            "FROM stock_move WHERE id = ANY(%(ids)s::int[]))",
            f"l AS MATERIALIZED (SELECT {', '.join(columns['stock_move_line']) or 'id'} "
            "FROM stock_move_line WHERE move_id = ANY(%(ids)s::int[]))",
        ]
        counts = []
        for n, ((target, column), keys) in enumerate(targets.items()):
            sources = " UNION ALL ".join(
                f"SELECT {fk.column} FROM {'m' if fk.table == 'stock_move' else 'l'}"
                for fk in keys)
            # Rows inserted by this very statement (a line's own move) exist by construction.
            own = " AND v <> ALL(%(ids)s::int[])" if target in DONE_MOVE_TABLES else ""
            ctes.append(f"k{n} AS (SELECT DISTINCT v FROM ({sources}) s(v) "
                        f"WHERE v IS NOT NULL{own})")
            ctes.append(f"r{n} AS (SELECT t.{column} FROM ONLY {target} t "
                        f"WHERE t.{column} IN (SELECT v FROM k{n}) "
                        f"ORDER BY t.{column} FOR KEY SHARE OF t)")
            counts += [f"(SELECT count(*) FROM k{n})", f"(SELECT count(*) FROM r{n})"]
        return f"WITH {', '.join(ctes)} SELECT {', '.join(counts) or 'NULL'}", targets


def reference_check(cur) -> tuple[ReferenceCheck | None, str]:
    """The set-wise check of the done-move tables' foreign keys where it may replace
    their triggers, else None and why not.

    It may not where this role cannot set ``session_replication_role`` (a
    superuser can; PostgreSQL 15+ can grant it: ``GRANT SET ON PARAMETER
    session_replication_role TO <role>``), where the tables have triggers or
    rules other than their foreign keys' (a replica role would skip or fire
    those too; triggers enabled ``ALWAYS``, as the rollups', fire in both roles
    and are no obstacle), or where a foreign key spans several columns. Leaves
    the transaction as it found it.
    """
    tables = pg_array(DONE_MOVE_TABLES, "text")
    # Internal triggers other than foreign keys' (a deferrable unique constraint's) count too.
    cur.execute("""
        SELECT t.tgname FROM pg_trigger t LEFT JOIN pg_constraint c ON c.oid = t.tgconstraint
         WHERE t.tgrelid = ANY(%s::regclass[])
           AND (NOT t.tgisinternal OR c.contype IS DISTINCT FROM 'f') AND t.tgenabled <> 'A'
        UNION ALL
        SELECT r.rulename FROM pg_rewrite r WHERE r.ev_class = ANY(%s::regclass[])
           AND r.rulename <> '_RETURN'""", (tables, tables))
    own = [name for (name,) in cur.fetchall()]
    if own:
        return None, f"triggers or rules on the done-move tables: {', '.join(sorted(own))}"
    cur.execute("""
        SELECT c.conname, c.conrelid::regclass::text, array_length(c.conkey, 1),
               quote_ident(a.attname), c.confrelid::regclass::text, quote_ident(af.attname)
          FROM pg_constraint c
          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
          JOIN pg_attribute af ON af.attrelid = c.confrelid AND af.attnum = c.confkey[1]
         WHERE c.contype = 'f' AND c.conrelid = ANY(%s::regclass[])
         ORDER BY c.conname""", (tables,))
    keys = []
    for name, table, width, column, target, target_column in cur.fetchall():
        if width != 1:
            return None, f"foreign key {name} spans {width} columns"
        keys.append(ForeignKey(name, table, column, target, target_column))
    cur.execute("SAVEPOINT rrs_replica_probe")
    try:
        cur.execute("SET LOCAL session_replication_role = replica")
    except psycopg2.errors.InsufficientPrivilege:
        return None, "this role may not set session_replication_role"
    finally:
        cur.execute("ROLLBACK TO SAVEPOINT rrs_replica_probe; RELEASE SAVEPOINT rrs_replica_probe")
    return ReferenceCheck(tuple(keys)), ""


def insert_done_moves(cur, moves: Sequence[dict], lot_ids: Sequence[int | None],
                      user_id: int, references: ReferenceCheck | None = None) -> None:
    """Done ``stock.move`` + ``stock.move.line`` rows with the values Odoo 18's ORM writes.

    One line per move (``lot_ids[n]`` for ``moves[n]``), built in the same
    statement from the move it belongs to: every column a line shares with its
    move is copied, not sent twice. With ``references`` (see ``ReferenceCheck``)
    the rows' foreign keys are checked once per referenced row after the
    insert instead of by a trigger per row and key.
    """
    if not moves:
        return
    if references is None:
        _insert_done_moves(cur, moves, lot_ids, user_id)
        return
    # For this one statement only; if it fails, the transaction's rollback undoes the SET.
    cur.execute("SET LOCAL session_replication_role = replica")
    _insert_done_moves(cur, moves, lot_ids, user_id)
    cur.execute("SET LOCAL session_replication_role = origin")
    references.lock(cur, [move["id"] for move in moves])


def _insert_done_moves(cur, moves: Sequence[dict], lot_ids: Sequence[int | None],
                       user_id: int) -> None:
    arrays = [pg_array((move[f] for move in moves), "num" if kind in _NUMERIC else "text")
              for f, kind in zip(MOVE_FIELDS, _MOVE_KINDS, strict=True)]
    cur.execute(f"""
        WITH m AS (
            INSERT INTO stock_move (id, name, reference, origin, description_picking,
                                    product_id, product_uom, location_id, location_dest_id,
                                    picking_id, picking_type_id, scrap_id, scrapped,
                                    is_inventory, company_id, product_qty, product_uom_qty,
                                    quantity, reservation_date, sequence, priority, state,
                                    procure_method, picked, propagate_cancel, additional, date,
                                    create_uid, create_date, write_uid, write_date)
            SELECT m.id, m.name, m.reference, m.origin, m.description_picking, m.product_id,
                   m.product_uom, m.location_id, m.location_dest_id, m.picking_id,
                   m.picking_type_id, m.scrap_id, m.scrapped, m.is_inventory, m.company_id,
                   m.quantity, m.quantity, m.quantity,
                   CASE WHEN m.reserve_today THEN ({UTC_NOW})::date END,
                   10, '0', 'done', 'make_to_stock', true, true, false,
                   date_trunc('second', {UTC_NOW}), %s, {UTC_NOW}, %s, {UTC_NOW}
              FROM unnest({', '.join(f'%s::{k}[]' for k in _MOVE_KINDS)})
                   AS m({', '.join(MOVE_FIELDS)})
            RETURNING id, picking_id, reference, product_id, product_uom, location_id,
                      location_dest_id, company_id, quantity, date)
        INSERT INTO stock_move_line (move_id, picking_id, reference, product_id,
                                     product_uom_id, lot_id, location_id, location_dest_id,
                                     company_id, quantity, quantity_product_uom, state, picked,
                                     date, create_uid, create_date, write_uid, write_date)
        SELECT m.id, m.picking_id, m.reference, m.product_id, m.product_uom, l.lot_id,
               m.location_id, m.location_dest_id, m.company_id, m.quantity, m.quantity,
               'done', true, m.date, %s, {UTC_NOW}, %s, {UTC_NOW}
          FROM m JOIN unnest(%s::int[], %s::int[]) AS l(move_id, lot_id) ON l.move_id = m.id""",
                (user_id, user_id, *arrays, user_id, user_id,
                 pg_array(move["id"] for move in moves), pg_array(lot_ids)))


def shrink_reads(cur, event_ids: Sequence[int]) -> list[tuple[int, int, float, int]]:
    """(product, store location, units, last read) of the RFID exit reads without a sale
    (read key ``epc:<EPC>:shrink``, ``rfid.stage``) among ``event_ids``."""
    if not event_ids:
        return []
    cur.execute("""
        SELECT product_id, location_id, sum(quantity), max(id) FROM rrs_event
         WHERE id = ANY(%s) AND read_key LIKE 'epc:%%:shrink'
         GROUP BY product_id, location_id""", (sorted(event_ids),))
    return [(product, location, float(units), last)
            for product, location, units, last in cur.fetchall()]


def mark_counted(cur, location_ids: Sequence[int], user_id: int) -> None:
    """The locations' *Last Inventory* is today, as Odoo's ``_apply_inventory`` writes it
    (the stale-count alerts and Odoo's next planned count read it)."""
    if location_ids:
        cur.execute(f"""
            UPDATE stock_location SET last_inventory_date = ({UTC_NOW})::date,
                                      write_uid = %s, write_date = {UTC_NOW}
             WHERE id = ANY(%s)
               AND last_inventory_date IS DISTINCT FROM ({UTC_NOW})::date""",
                    (user_id, sorted(set(location_ids))))


def link_events_to_moves(cur, batches: dict[int, list[int]], move_of: dict[int, int]) -> None:
    """Record, per claimed batch (id -> event ids), the move of each of its events
    (``move_of``: event id -> move id; none for a zero-quantity read): the batch leaves
    the queue, and each event is linked to its move."""
    ids = list(batches)
    moves = [pg_array(move_of.get(event) for event in batches[batch]) for batch in ids]
    cur.execute(f"""
        UPDATE rrs_event_batch b SET move_ids = v.move_ids::int[], done_at = {UTC_NOW}
          FROM unnest(%s::int[], %s::text[]) AS v(id, move_ids)
         WHERE b.id = v.id""", (pg_array(ids), pg_array(moves, "text")))


# --------------------------------------------------------------------------- bus

def insert_bus_messages(cur, dbname: str, messages: Sequence[tuple[str, str, dict]],
                        user_id: int) -> list[str]:
    """``bus.bus`` rows as Odoo 18's ``_sendone`` writes them; returns the channel JSONs.

    ``messages`` are (channel name, notification type, payload). Send
    ``notify_bus`` with the returned channels on a connection to the
    ``postgres`` database after commit, as Odoo's post-commit hook does.
    """
    if not messages:
        return []
    compact = {"separators": (",", ":")}
    channels = [json.dumps([dbname, channel], **compact) for channel, _t, _p in messages]
    bodies = [json.dumps({"type": kind, "payload": payload}, **compact)
              for _c, kind, payload in messages]
    cur.execute(f"""
        INSERT INTO bus_bus (channel, message, create_uid, create_date, write_uid, write_date)
        SELECT c, m, %s, {UTC_NOW}, %s, {UTC_NOW} FROM unnest(%s::varchar[], %s::varchar[])
               AS b(c, m)""", (user_id, user_id, channels, bodies))
    return channels


def notify_bus(postgres_cur, channels: Sequence[str]) -> None:
    """Wake Odoo's bus dispatcher (it LISTENs on ``imbus`` in the ``postgres`` database)."""
    unique = list(dict.fromkeys(channels))
    if unique:
        payload = "[" + ",".join(unique) + "]"
        postgres_cur.execute("SELECT pg_notify('imbus', %s)", (payload,))


def notify_cron(postgres_cur, database: str) -> None:
    """Wake Odoo's cron workers for ``database``, as ``ir.cron._notifydb`` does."""
    postgres_cur.execute("SELECT pg_notify('cron_trigger', %s)", (database,))


def listen_alert_wakeups(cur) -> None:
    """LISTEN for the alert triggers' ``rrs_wakeup`` (``odoo.alerts``), sent on their commit."""
    cur.execute("LISTEN rrs_wakeup")


def read_bus_messages(cur, after_id: int, limit: int = 500) -> list[tuple[int, str, str]]:
    """(id, channel, message) of ``bus.bus`` rows after ``after_id`` (demo's live table)."""
    cur.execute("SELECT id, channel, message FROM bus_bus WHERE id > %s ORDER BY id LIMIT %s",
                (after_id, limit))
    return cur.fetchall()


# --------------------------------------------------------------------------- RFID: EPC states

def add_unknown_tags(cur, counts: dict[int, int]) -> None:
    """Add per-device counts of tags that are not GS1 product tags."""
    if not counts:
        return
    devices = sorted(counts)
    cur.execute("""
        UPDATE rrs_device d SET unknown_tags = coalesce(d.unknown_tags, 0) + u.n
          FROM unnest(%s::int[], %s::int[]) AS u(id, n) WHERE d.id = u.id""",
                (devices, [counts[d] for d in devices]))


def lock_epcs(cur, epcs: Iterable[str]) -> None:
    """Advisory lock per EPC in one global order (rows may not exist yet): no deadlock."""
    cur.execute("SELECT pg_advisory_xact_lock(k) FROM unnest(%s::bigint[]) k ORDER BY k",
                (pg_array(sorted({_key("epc", epc) for epc in epcs})),))


def epc_states(cur, epcs: Sequence[str]) -> dict[str, str]:
    """Current state of the EPCs that have a row (call ``lock_epcs`` first).

    One probe of the unique index per EPC (a lateral subquery): for ``epc =
    ANY(array)`` the planner scanned the whole table (31 ms at 100 000 tags, growing
    with every tag ever seen), and for a plain join it chose a hash join over a scan
    of the whole table until the table held a few hundred thousand tags (35-54 ms a
    group at 65 000; the probes: 2-3 ms).
    """
    cur.execute("SELECT r.epc, r.state FROM unnest(%s::varchar[]) AS k(epc) "
                "CROSS JOIN LATERAL (SELECT r.epc, r.state FROM rrs_epc r "
                "WHERE r.epc = k.epc OFFSET 0) r", (pg_array(epcs, "text"),))
    return dict(cur.fetchall())


@dataclass(frozen=True, slots=True)
class EpcStateRow:
    epc: str
    product_id: int | None
    lot_id: int | None
    state: str
    location_id: int | None
    last_seen: str  # ISO timestamp, UTC
    last_device_id: int


def upsert_epc_states(cur, rows: Sequence[EpcStateRow], user_id: int) -> None:
    """Create or move EPC rows to their new state (one row per EPC).

    Arrays as text (``pg_array``): 1 600 rows took 50 ms as psycopg2 lists, 33 ms so.
    """
    if not rows:
        return
    cur.execute(f"""
        INSERT INTO rrs_epc (epc, product_id, lot_id, state, location_id, last_seen,
                             last_device_id, create_uid, create_date, write_uid, write_date)
        SELECT e, p, l, s, loc, t, d, %s, {UTC_NOW}, %s, {UTC_NOW}
          FROM unnest(%s::varchar[], %s::int[], %s::int[], %s::varchar[], %s::int[],
                      %s::timestamp[], %s::int[]) AS r(e, p, l, s, loc, t, d)
        ON CONFLICT (epc) DO UPDATE
           SET product_id = coalesce(EXCLUDED.product_id, rrs_epc.product_id),
               lot_id = coalesce(EXCLUDED.lot_id, rrs_epc.lot_id), state = EXCLUDED.state,
               location_id = EXCLUDED.location_id, last_seen = EXCLUDED.last_seen,
               last_device_id = EXCLUDED.last_device_id, write_uid = EXCLUDED.write_uid,
               write_date = EXCLUDED.write_date""",
                (user_id, user_id, pg_array((r.epc for r in rows), "text"),
                 pg_array(r.product_id for r in rows), pg_array(r.lot_id for r in rows),
                 pg_array((r.state for r in rows), "text"),
                 pg_array(r.location_id for r in rows),
                 pg_array((r.last_seen for r in rows), "text"),
                 pg_array(r.last_device_id for r in rows)))


def touch_epcs(cur, epcs: Sequence[str], device_id: int, seen_at: str) -> None:
    """Record a sighting (no movement) of EPCs that already have a row (found by index
    probes, as in ``epc_states``, and updated by primary key: ``id IN (...)`` was a
    hash join over the whole table)."""
    cur.execute("""
        UPDATE rrs_epc SET last_seen = greatest(last_seen, %s::timestamp), last_device_id = %s
         WHERE id = ANY (ARRAY(SELECT r.id FROM unnest(%s::varchar[]) AS k(epc)
                                 CROSS JOIN LATERAL (SELECT r.id FROM rrs_epc r
                                                      WHERE r.epc = k.epc OFFSET 0) r
                                ORDER BY r.id FOR NO KEY UPDATE OF r))""",
                (seen_at, device_id, list(epcs)))


# --------------------------------------------------------------------------- RFID: count sessions

SESSION_COLUMNS = ("id", "name", "warehouse_id", "location_id", "company_id", "device_id",
                   "state", "started_at", "closed_at", "auto_apply", "user_id", "training")


def open_count_session(cur, *, name: str | None, warehouse_id: int, location_id: int,
                       company_id: int, device_id: int | None, auto_apply: bool,
                       user_id: int, training: bool = False) -> int:
    cur.execute(f"""
        INSERT INTO rrs_count_session (name, warehouse_id, location_id, company_id, device_id,
                                       state, started_at, auto_apply, user_id, training,
                                       create_uid, create_date, write_uid, write_date)
        VALUES (coalesce(%s, 'RFID count ' || to_char({UTC_NOW}, 'YYYY-MM-DD HH24:MI:SS')),
                %s, %s, %s, %s, 'open', {UTC_NOW}, %s, %s, %s, %s, {UTC_NOW}, %s, {UTC_NOW})
        RETURNING id""", (name, warehouse_id, location_id, company_id, device_id, auto_apply,
                          user_id, training, user_id, user_id))
    return cur.fetchone()[0]


def count_session(cur, session_id: int, lock: str = "") -> dict | None:
    """The session row as a dict; ``lock`` e.g. ``FOR UPDATE``."""
    cur.execute(f"SELECT {', '.join(SESSION_COLUMNS)} FROM rrs_count_session WHERE id = %s "
                f"{lock}", (session_id,))
    row = cur.fetchone()
    return dict(zip(SESSION_COLUMNS, row, strict=True)) if row else None


def open_session_for_device(cur, device_id: int, location_id: int,
                            training: bool = False) -> int | None:
    """The open session a device's count reads go to, share-locked against a concurrent close:
    the device's own, else its location's session that names no device; a device in
    training counts in its own training sessions only, and only such a device does."""
    cur.execute("""
        SELECT id FROM rrs_count_session
         WHERE state = 'open' AND coalesce(training, false) = %s
           AND (device_id = %s OR (device_id IS NULL AND location_id = %s AND NOT %s))
         ORDER BY device_id IS NULL, id DESC LIMIT 1 FOR SHARE""",
                (training, device_id, location_id, training))
    row = cur.fetchone()
    return row[0] if row else None


def insert_count_epcs(cur, session_id: int, epcs: Sequence[str], products: Sequence[int | None],
                      lots: Sequence[int | None], seen_at: Sequence[str], user_id: int) -> int:
    """Add EPCs to a session; an EPC already counted in it is ignored. Returns rows added."""
    if not epcs:
        return 0
    cur.execute(f"""
        INSERT INTO rrs_count_epc (session_id, epc, product_id, lot_id, seen_at, create_uid,
                                   create_date, write_uid, write_date)
        SELECT %s, e, p, l, t, %s, {UTC_NOW}, %s, {UTC_NOW}
          FROM unnest(%s::varchar[], %s::int[], %s::int[], %s::timestamp[]) AS r(e, p, l, t)
        ON CONFLICT (session_id, epc) DO NOTHING""",
                (session_id, user_id, user_id, list(epcs), list(products), list(lots),
                 list(seen_at)))
    return cur.rowcount


def set_session_state(cur, session_id: int, state: str, user_id: int) -> None:
    closed = f", closed_at = coalesce(closed_at, {UTC_NOW})" if state != "open" else ""
    cur.execute(f"UPDATE rrs_count_session SET state = %s{closed}, write_uid = %s, "
                f"write_date = {UTC_NOW} WHERE id = %s", (state, user_id, session_id))


def count_comparison(cur, session_id: int, location_id: int
                     ) -> list[tuple[int, int | None, float, float]]:
    """(product, lot, expected on hand, counted EPCs) of a count session: the function
    Odoo's *Stop* calls too (``odoo.count_comparison``)."""
    cur.execute("SELECT product_id, lot_id, expected, counted "
                "FROM rrs_count_comparison(%s, %s)", (session_id, location_id))
    return [(p, lot, float(e), float(c)) for p, lot, e, c in cur.fetchall()]


def insert_count_lines(cur, session_id: int, location_id: int,
                       lines: Sequence[tuple[int, int | None, float, float]],
                       user_id: int) -> None:
    if not lines:
        return
    cur.execute(f"""
        INSERT INTO rrs_count_line (session_id, product_id, lot_id, location_id, expected,
                                    counted, create_uid, create_date, write_uid, write_date)
        SELECT %s, p, l, %s, e, c, %s, {UTC_NOW}, %s, {UTC_NOW}
          FROM unnest(%s::int[], %s::int[], %s::numeric[], %s::numeric[]) AS r(p, l, e, c)""",
                (session_id, location_id, user_id, user_id, [r[0] for r in lines],
                 [r[1] for r in lines], [r[2] for r in lines], [r[3] for r in lines]))


def count_lines(cur, session_id: int) -> list[tuple[int, int | None, float, float]]:
    cur.execute("SELECT product_id, lot_id, expected, counted FROM rrs_count_line "
                "WHERE session_id = %s ORDER BY product_id, lot_id NULLS FIRST", (session_id,))
    return [(p, lot, float(e), float(c)) for p, lot, e, c in cur.fetchall()]


def count_epc_total(cur, session_id: int) -> tuple[int, int]:
    """(EPCs counted, of which of no known product)."""
    cur.execute("SELECT count(*), count(*) FILTER (WHERE product_id IS NULL) FROM rrs_count_epc"
                " WHERE session_id = %s", (session_id,))
    return tuple(cur.fetchone())


def missing_epcs(cur, session_id: int, location_id: int, limit: int) -> list[str]:
    """EPCs in stock at the location by their last known state, not counted in the session."""
    cur.execute("""
        SELECT e.epc FROM rrs_epc e
         WHERE e.location_id = %s AND e.state IN ('in_stock', 'received')
           AND NOT EXISTS (SELECT 1 FROM rrs_count_epc c
                            WHERE c.session_id = %s AND c.epc = e.epc)
         ORDER BY e.epc LIMIT %s""", (location_id, session_id, limit))
    return [row[0] for row in cur.fetchall()]


def unexpected_epcs(cur, session_id: int, location_id: int, limit: int) -> list[tuple[str, str]]:
    """(EPC, why) counted in the session but not expected there."""
    cur.execute("""
        SELECT c.epc, CASE WHEN c.product_id IS NULL THEN 'unknown_product'
                           WHEN e.state IN ('sold', 'shrink') THEN e.state
                           ELSE 'other_location' END
          FROM rrs_count_epc c LEFT JOIN rrs_epc e ON e.epc = c.epc
         WHERE c.session_id = %s
           AND (c.product_id IS NULL OR e.state IN ('sold', 'shrink')
                OR (e.location_id IS DISTINCT FROM %s AND e.id IS NOT NULL))
         ORDER BY c.epc LIMIT %s""", (session_id, location_id, limit))
    return cur.fetchall()


def register_counted_epcs(cur, session_id: int, location_id: int, device_id: int | None,
                          user_id: int) -> None:
    """EPCs first met in this count become known, in stock at the counted location."""
    cur.execute(f"""
        INSERT INTO rrs_epc (epc, product_id, lot_id, state, location_id, last_seen,
                             last_device_id, create_uid, create_date, write_uid, write_date)
        SELECT c.epc, c.product_id, c.lot_id, 'in_stock', %s, c.seen_at, %s,
               %s, {UTC_NOW}, %s, {UTC_NOW}
          FROM rrs_count_epc c WHERE c.session_id = %s AND c.product_id IS NOT NULL
         ORDER BY c.epc
        ON CONFLICT (epc) DO NOTHING""", (location_id, device_id, user_id, user_id, session_id))


def set_inventory_counts(cur, counts: Sequence[tuple[QuantKey, float]],
                         company_of: dict[int, int | None], counted_on: date,
                         user_id: int) -> None:
    """Write counted quantities as Odoo's own count, for Odoo's *Apply* to use.

    Per key, the quant the writer moves (``find_quant_ids``: oldest, no package or
    owner) gets ``inventory_quantity`` = counted, ``inventory_diff_quantity`` =
    counted - quantity, ``inventory_quantity_set``, ``inventory_date`` = the count
    date and ``user_id`` = who counted, as Odoo's inventory mode writes them; a key
    without a quant gets a zero quant carrying the count. Call ``lock_quant_keys`` first.
    """
    ordered = sorted(counts, key=lambda item: sort_key(item[0]))
    if not ordered:
        return
    keys = [key for key, _counted in ordered]
    columns = ([k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys],
               [counted for _key, counted in ordered])
    quant_ids = list(lock_quants(cur, find_quant_ids(cur, keys).values()))
    cur.execute(f"""
        UPDATE stock_quant q
           SET inventory_quantity = k.c,
               inventory_diff_quantity = k.c - coalesce(q.quantity, 0),
               inventory_quantity_set = true, inventory_date = %s, user_id = %s,
               write_uid = %s, write_date = {UTC_NOW}
          FROM unnest(%s::int[], %s::int[], %s::int[], %s::numeric[]) AS k(p, l, t, c)
         WHERE q.id = ANY(%s) AND q.product_id = k.p AND q.location_id = k.l
           AND q.lot_id IS NOT DISTINCT FROM k.t
        RETURNING q.product_id, q.location_id, q.lot_id""",
                (counted_on, user_id, user_id, *columns, quant_ids))
    done = set(cur.fetchall())
    missing = [(key, counted) for key, counted in ordered if key not in done]
    if missing:
        cur.execute(f"""
            INSERT INTO stock_quant (product_id, location_id, lot_id, company_id, quantity,
                                     reserved_quantity, inventory_quantity,
                                     inventory_diff_quantity, inventory_quantity_set,
                                     inventory_date, user_id, in_date, create_uid,
                                     create_date, write_uid, write_date)
            SELECT k.p, k.l, k.t, k.co, 0, 0, k.c, k.c, true, %s, %s, {UTC_NOW},
                   %s, {UTC_NOW}, %s, {UTC_NOW}
              FROM unnest(%s::int[], %s::int[], %s::int[], %s::int[], %s::numeric[])
                   AS k(p, l, t, co, c)""",
                    (counted_on, user_id, user_id, user_id, [k[0] for k, _c in missing],
                     [k[1] for k, _c in missing], [k[2] for k, _c in missing],
                     [company_of.get(k[1]) for k, _c in missing], [c for _k, c in missing]))


def lot_names(cur, lot_ids: Sequence[int]) -> dict[int, str]:
    cur.execute("SELECT id, name FROM stock_lot WHERE id = ANY(%s)", (list(lot_ids),))
    return dict(cur.fetchall())


# --------------------------------------------------------------------------- quarantine replay

def claim_replays(cur, limit: int) -> list[tuple[int, int, dict]]:
    """(quarantine id, device id, raw read) the back office asked to replay (state ``replay``).

    Rows another ingest holds are skipped; call inside the transaction that
    settles them (``settle_replays``).
    """
    cur.execute("""
        SELECT id, device_id, raw FROM rrs_quarantine
         WHERE state = 'replay' AND device_id IS NOT NULL
         ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED""", (limit,))
    return cur.fetchall()


def settle_replays(cur, outcomes: Sequence[tuple[int, str, int | None, str | None, str | None]],
                   user_id: int) -> None:
    """(quarantine id, status, event id, reason code, reason) after a replay.

    Applied or duplicate reads are ``replayed`` (with their event; a duplicate
    that names none, an RFID tag already moved, keeps the row's); reads rejected
    again go back to ``new`` with the new reason.
    """
    if not outcomes:
        return
    cur.execute(f"""
        UPDATE rrs_quarantine q
           SET state = CASE WHEN o.s = 'rejected' THEN 'new' ELSE 'replayed' END,
               event_id = coalesce(o.e, q.event_id), reason_code = coalesce(o.c, q.reason_code),
               reason = coalesce(o.r, q.reason), write_uid = %s, write_date = {UTC_NOW}
          FROM unnest(%s::int[], %s::varchar[], %s::int[], %s::varchar[], %s::varchar[])
               AS o(i, s, e, c, r)
         WHERE q.id = o.i""",
                (user_id, pg_array(o[0] for o in outcomes), pg_array((o[1] for o in outcomes),
                 "text"), pg_array(o[2] for o in outcomes), pg_array((o[3] for o in outcomes),
                 "text"), pg_array((o[4] for o in outcomes), "text")))
