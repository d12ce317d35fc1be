"""SQL of the EPCIS stage: the done movements, their serialised reads, the stores' places.

What it is: everything ``ingest_core.epcis`` reads from the Odoo database, in
one module (the rule of ``docs/architecture.md``: Odoo's tables are known in
``ingest_core.odoo`` only).

How it works: movements are the done ``stock_move_line`` rows of the done
moves whose ``date`` is in the window (Odoo's own index on ``stock_move.date``
finds them), streamed by a server-side cursor in the order of that index.
Lines of one second that say the same are summed into one movement; what a
closed RFID count saw of a product comes in the same stream, at the count's
close. The RFID
reads a fast-path move was made of are found through the journal's link
(``rrs_event_batch``: event ids and move ids in the same order; its GIN index
on ``move_ids``), for a chunk of movements at a time.

Caveats: a movement's time is its move's ``date`` (the journal's commit second
for the fast path, the validation time for Odoo's own pickings). The GLN
columns are the add-on's (18.0.1.7.0); on an older database every place takes
the documented default.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Movement:
    """The done move lines of one second that say the same thing (product, lot, unit,
    source, destination, scrap, company), summed: what one aggregated EPCIS event
    reports. Two such lines would otherwise make two identical events, and GS1's
    event hash gives identical events one ID (the journal writes a move per read for
    FIFO / average-cost products, so a second often holds several)."""
    line_id: int  # the group's first line: its place in the export's order
    move_ids: tuple[int, ...]
    date: datetime  # naive UTC, as Odoo stores it
    product_id: int
    barcode: str | None
    lot_id: int | None
    lot_name: str | None
    quantity: float
    uom: str
    source_id: int
    destination_id: int
    scrapped: bool
    company_id: int
    #: An RFID count's observation (``line_id`` negative): the session and the EPCs it
    #: counted of this product and lot; not a movement of stock.
    count_session_id: int | None = None
    counted_epcs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SerialisedRead:
    """An RFID read a move was made of (``code``: the EPC as the reader sent it, hex)."""
    move_id: int
    epc: str
    read_at: datetime  # naive UTC
    movement: str  # the read key's movement: sale, shrink, receipt
    quantity: float
    lot_id: int | None


@dataclass(frozen=True, slots=True)
class Location:
    id: int
    usage: str
    warehouse_id: int | None
    company_id: int | None
    gln_extension: str | None


@dataclass(frozen=True, slots=True)
class Store:
    id: int
    code: str
    company_id: int
    lot_stock_id: int
    timezone: str
    gln: str | None


@dataclass(frozen=True, slots=True)
class Company:
    id: int
    gs1_prefix: str | None
    gln: str | None
    timezone: str


#: The products of a partner's GS1 company prefixes: a GTIN barcode (8, 12, 13 or 14
#: digits) whose GTIN-14 without its indicator digit starts with one of them.
_PARTNER_PRODUCTS = """(%(gtin_prefixes)s::text[] IS NULL
            OR (pp.barcode ~ '^([0-9]{8}|[0-9]{12,14})$'
                AND substr(lpad(pp.barcode, 14, '0'), 2) LIKE ANY(%(gtin_prefixes)s)))"""

_MOVE_LINES = f"""
    SELECT min(ml.id) AS line_id, array_agg(DISTINCT ml.move_id ORDER BY ml.move_id),
           m.date AS date, ml.product_id, pp.barcode, ml.lot_id, lot.name,
           sum(ml.quantity)::float8, coalesce(u.name->>'en_US', u.name::text), ml.location_id,
           ml.location_dest_id, coalesce(m.scrapped, false), ml.company_id, NULL::int,
           NULL::varchar[]
      FROM stock_move m
      JOIN stock_move_line ml ON ml.move_id = m.id
      JOIN product_product pp ON pp.id = ml.product_id
      JOIN uom_uom u ON u.id = ml.product_uom_id
      LEFT JOIN stock_lot lot ON lot.id = ml.lot_id
     WHERE m.state = 'done' AND m.date >= %(since)s AND m.date < %(until)s
       AND ml.state = 'done' AND ml.quantity <> 0
       AND (%(locations)s::int[] IS NULL OR ml.location_id = ANY(%(locations)s)
            OR ml.location_dest_id = ANY(%(locations)s))
       AND (%(stores)s::int[] IS NULL OR m.location_id = ANY(%(stores)s)
            OR m.location_dest_id = ANY(%(stores)s))
       AND (%(products)s::int[] IS NULL OR ml.product_id = ANY(%(products)s))
       AND {_PARTNER_PRODUCTS}
       AND (%(company)s::int IS NULL OR ml.company_id = %(company)s)
       AND (%(after_date)s::timestamp IS NULL OR m.date >= %(after_date)s)
       AND (%(moves)s::int[] IS NULL
            OR (m.date, ml.product_id) IN (SELECT date, product_id FROM stock_move
                                            WHERE id = ANY(%(moves)s)))
     GROUP BY m.date, ml.product_id, pp.barcode, ml.lot_id, lot.name, u.id,
              ml.location_id, ml.location_dest_id, coalesce(m.scrapped, false), ml.company_id
    HAVING (%(after_date)s::timestamp IS NULL
            OR (m.date, min(ml.id)) >= (%(after_date)s, %(after_line)s))
       AND (%(moves)s::int[] IS NULL OR bool_or(ml.move_id = ANY(%(moves)s)))"""

#: What closed RFID counts saw, per session, product and lot: ids below zero keep the
#: observations apart from the move lines in the one order of the stream.
_COUNT_OBSERVATIONS = f"""
    SELECT -min(ce.id) AS line_id, ARRAY[]::int[], s.closed_at AS date, ce.product_id,
           pp.barcode, ce.lot_id, lot.name, count(*)::float8, 'Units', s.location_id,
           s.location_id, false, s.company_id, s.id, array_agg(ce.epc ORDER BY ce.epc)
      FROM rrs_count_session s
      JOIN rrs_count_epc ce ON ce.session_id = s.id
      LEFT JOIN product_product pp ON pp.id = ce.product_id
      LEFT JOIN stock_lot lot ON lot.id = ce.lot_id
     WHERE s.state <> 'open' AND s.closed_at >= %(since)s AND s.closed_at < %(until)s
       AND (%(locations)s::int[] IS NULL OR s.location_id = ANY(%(locations)s))
       AND (%(products)s::int[] IS NULL OR ce.product_id = ANY(%(products)s))
       AND {_PARTNER_PRODUCTS}
       AND (%(company)s::int IS NULL OR s.company_id = %(company)s)
       AND (%(after_date)s::timestamp IS NULL OR s.closed_at >= %(after_date)s)
       AND %(moves)s::int[] IS NULL
     GROUP BY s.id, s.closed_at, ce.product_id, pp.barcode, ce.lot_id, lot.name,
              s.location_id, s.company_id
    HAVING %(after_date)s::timestamp IS NULL
           OR (s.closed_at, -min(ce.id)) >= (%(after_date)s, %(after_line)s)"""

_MOVEMENTS = f"""
    SELECT * FROM ({_MOVE_LINES} UNION ALL {_COUNT_OBSERVATIONS}) AS movement
     ORDER BY date, line_id"""


def _movement_params(since: datetime, until: datetime, locations: Sequence[int] | None,
                     products: Sequence[int] | None, after: tuple[datetime, int] | None,
                     company: int | None = None, stores: Sequence[int] | None = None,
                     gtin_prefixes: Sequence[str] | None = None,
                     moves: Sequence[int] | None = None) -> dict:
    after_date, after_line = after or (None, None)
    if stores is None and locations is not None:
        stores = locations
    return {"since": since, "until": until, "company": company,
            "gtin_prefixes": [f"{prefix}%" for prefix in gtin_prefixes]
            if gtin_prefixes is not None else None,
            "stores": list(stores) if stores is not None else None,
            "locations": list(locations) if locations is not None else None,
            "products": list(products) if products is not None else None,
            "moves": list(moves) if moves is not None else None,
            "after_date": after_date, "after_line": after_line}


def movements(connection, since: datetime, until: datetime,
              locations: Sequence[int] | None = None, *, chunk: int = 5000
              ) -> Iterator[list[Movement]]:
    """The movements of moves done in [since, until), in chunks, through a server-side
    cursor."""
    with connection.cursor(name="rtstock_epcis_movements") as cur:
        cur.itersize = chunk
        cur.execute(_MOVEMENTS, _movement_params(since, until, locations, None, None))
        while rows := cur.fetchmany(chunk):
            yield [_movement(row) for row in rows]


def _movement(row: tuple) -> Movement:
    return Movement(row[0], tuple(row[1]), *row[2:13], row[13], tuple(row[14] or ()))


def movement_page(cur, since: datetime, until: datetime, *,
                  locations: Sequence[int] | None = None,
                  products: Sequence[int] | None = None,
                  after: tuple[datetime, int] | None = None, company: int | None = None,
                  stores: Sequence[int] | None = None,
                  gtin_prefixes: Sequence[str] | None = None,
                  moves: Sequence[int] | None = None,
                  limit: int = 1000) -> list[Movement]:
    """Up to ``limit`` movements of ``company`` in the export's order, from the one
    ``after`` (date, first line id; that one included) on: the query interface's page.

    ``gtin_prefixes``: only products whose GTIN (as GTIN-14, indicator digit left
    out) starts with one of them, tested on the barcode in SQL (a list of every
    product id of a supplier made the statement three times slower to plan).

    ``stores``: every location of the stores of ``locations``. A move line's locations
    may be below its move's (a put-away), never outside its store, so the moves of
    those locations hold every line asked for, and Odoo's indexes on the move's
    locations find them without reading every move line of the day.

    ``moves``: only the movements that hold one of these moves, whole (the lines of
    the other moves summed into them too, so their events are the export's); count
    observations are no move's. The moves' own dates and products narrow the lines
    first, whatever the window."""
    cur.execute(_MOVEMENTS + " LIMIT %(limit)s",
                _movement_params(since, until, locations, products, after, company, stores,
                                 gtin_prefixes, moves) | {"limit": limit})
    return [_movement(row) for row in cur.fetchall()]


def gtin_products(cur) -> dict[str, int]:
    """Product ids by GTIN-14 (products whose barcode is a GTIN-8/12/13/14)."""
    cur.execute("SELECT id, barcode FROM product_product WHERE barcode ~ '^[0-9]{8,14}$'")
    return {barcode.zfill(14): product for product, barcode in cur.fetchall()
            if len(barcode) in (8, 12, 13, 14)}


@dataclass(frozen=True, slots=True)
class Partner:
    """An ``rrs.epcis.partner``: a supplier (its GS1 company prefixes) or the back
    office (``all_products``: every product of its company, Odoo's forms)."""
    id: int
    name: str
    company_prefixes: str | None
    company_id: int
    all_products: bool


def partner_by_token_hash(cur, token_hash: str) -> Partner | None:
    """The active EPCIS partner with this token (``all_products`` is the add-on's
    18.0.1.8.0; false on an older database)."""
    if not _has_column(cur, "rrs_epcis_partner", "token_hash"):
        return None
    every = ("coalesce(all_products, false)"
             if _has_column(cur, "rrs_epcis_partner", "all_products") else "false")
    cur.execute(f"SELECT id, name, company_prefixes, company_id, {every} "
                "FROM rrs_epcis_partner WHERE token_hash = %s AND coalesce(active, true)",
                (token_hash,))
    row = cur.fetchone()
    return Partner(*row) if row else None


def count_movements(cur, since: datetime, until: datetime) -> int:
    """How many movements the window holds, about (the progress bar's total: done move
    lines, each RFID count's products not included)."""
    cur.execute("SELECT count(*) FROM stock_move m JOIN stock_move_line ml ON ml.move_id = m.id "
                "WHERE m.state = 'done' AND m.date >= %s AND m.date < %s", (since, until))
    return cur.fetchone()[0]


def serialised_reads(cur, move_ids: Sequence[int]) -> list[SerialisedRead]:
    """The RFID reads (read key ``epc:<EPC>:<movement>``) the given moves were made of."""
    if not move_ids:
        return []
    cur.execute("""
        SELECT x.move_id, e.code, e.read_at, split_part(e.read_key, ':', 3),
               coalesce(e.quantity, 1)::float8, e.lot_id
          FROM rrs_event_batch b
         CROSS JOIN LATERAL unnest(b.event_ids, b.move_ids) AS x(event_id, move_id)
          JOIN rrs_event e ON e.id = x.event_id
         WHERE b.move_ids && %(moves)s::int[] AND x.move_id = ANY(%(moves)s)
           AND e.read_key LIKE 'epc:%%'
         ORDER BY e.read_at, e.id""", {"moves": list(move_ids)})
    return [SerialisedRead(*row) for row in cur.fetchall()]


def _has_column(cur, table: str, column: str) -> bool:
    cur.execute("SELECT 1 FROM information_schema.columns WHERE table_name = %s "
                "AND column_name = %s AND table_schema = current_schema()", (table, column))
    return cur.fetchone() is not None


def places(cur) -> tuple[dict[int, Company], dict[int, Store], dict[int, Location]]:
    """Companies, stores (warehouses) and locations, with their GS1 settings where the
    add-on has them and the timezone of their address (else the company's, else UTC)."""
    gs1 = _has_column(cur, "stock_warehouse", "rrs_gln")
    cur.execute(f"""
        SELECT c.id, {"c.rrs_gs1_prefix, c.rrs_gln" if gs1 else "NULL, NULL"},
               coalesce(p.tz, 'UTC')
          FROM res_company c LEFT JOIN res_partner p ON p.id = c.partner_id""")
    companies = {row[0]: Company(*row) for row in cur.fetchall()}
    cur.execute(f"""
        SELECT w.id, w.code, w.company_id, w.lot_stock_id,
               coalesce(wp.tz, cp.tz, 'UTC'), {"w.rrs_gln" if gs1 else "NULL"}
          FROM stock_warehouse w
          JOIN res_company c ON c.id = w.company_id
          LEFT JOIN res_partner wp ON wp.id = w.partner_id
          LEFT JOIN res_partner cp ON cp.id = c.partner_id""")
    stores = {row[0]: Store(*row) for row in cur.fetchall()}
    cur.execute(f"""
        SELECT id, usage, warehouse_id, company_id, {"rrs_gln_extension" if gs1 else "NULL"}
          FROM stock_location""")
    locations = {row[0]: Location(*row) for row in cur.fetchall()}
    return companies, stores, locations
