"""SQL of the EPCIS stage: the done movements, their serialised reads, the stores' places.

What it is: everything ``ingest_core.epcis`` reads from the Odoo database, in
one module (the rule of ``docs/architecture.md``: Odoo's tables are known in
``ingest_core.odoo`` only).

How it works: movements are the done ``stock_move_line`` rows of the done
moves whose ``date`` is in the window (Odoo's own index on ``stock_move.date``
finds them), streamed by a server-side cursor in the order of that index.
The RFID reads a fast-path move was made of are found through the journal's
link (``rrs_event_batch``: event ids and move ids in the same order; its GIN
index on ``move_ids``), for a chunk of moves at a time.

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
    """One done move line, with what its EPCIS event needs to know of it."""
    line_id: int
    move_id: int
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


_MOVEMENTS = """
    SELECT ml.id, ml.move_id, m.date, ml.product_id, pp.barcode, ml.lot_id, lot.name,
           ml.quantity::float8, coalesce(u.name->>'en_US', u.name->>(
               SELECT min(k) FROM jsonb_object_keys(u.name) k)), ml.location_id,
           ml.location_dest_id, coalesce(m.scrapped, false), ml.company_id
      FROM stock_move m
      JOIN stock_move_line ml ON ml.move_id = m.id
      JOIN product_product pp ON pp.id = ml.product_id
      JOIN uom_uom u ON u.id = ml.product_uom_id
      LEFT JOIN stock_lot lot ON lot.id = ml.lot_id
     WHERE m.state = 'done' AND m.date >= %(since)s AND m.date < %(until)s
       AND ml.state = 'done' AND ml.quantity <> 0
       AND (%(locations)s::int[] IS NULL OR ml.location_id = ANY(%(locations)s)
            OR ml.location_dest_id = ANY(%(locations)s))
     ORDER BY m.date, m.id, ml.id"""


def movements(connection, since: datetime, until: datetime,
              locations: Sequence[int] | None = None, *, chunk: int = 5000
              ) -> Iterator[list[Movement]]:
    """The done move lines of moves done in [since, until), in chunks of whole moves
    (a move's lines are never split between chunks), through a server-side cursor."""
    with connection.cursor(name="rtstock_epcis_movements") as cur:
        cur.itersize = chunk
        cur.execute(_MOVEMENTS, {"since": since, "until": until,
                                 "locations": list(locations) if locations else None})
        batch: list[Movement] = []
        while rows := cur.fetchmany(chunk):
            for row in rows:
                if len(batch) >= chunk and batch[-1].move_id != row[1]:
                    yield batch
                    batch = []
                batch.append(Movement(*row))
        if batch:
            yield batch


def count_movements(cur, since: datetime, until: datetime) -> int:
    """How many done move lines the window holds (the progress bar's total)."""
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
