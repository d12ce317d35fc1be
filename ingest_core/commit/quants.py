"""How a group's quant deltas reach ``stock_quant``: which quant, in which lock order.

What it is: ``QuantIds``, a stage's memory of which quant each (product,
location, lot) key writes to, and ``lock``/``apply``, the two steps of a
quant update: the writer's (stock locations, per group) and the journal's
(virtual locations, per run; ``docs/decisions/virtual-quants.md``).

Why: finding a key's quant by its columns costs an index probe per key (or a
scan of ``stock_quant``) in every group, and a store's hot products are in
every group; a key keeps its quant for months. Remembering the id turns the
lookup into a primary-key lock and update. Nothing trusts the memory blindly:
the row lock reads each quant's key back, and a quant that Odoo deleted
(``_unlink_zero_quants``, ``_merge_quants``), moved into a package or that a
rolled-back group created is forgotten and the group retried (``StaleQuant``).

How it works, in one transaction: (1) ids come from memory, then from
``find_quant_ids`` for the rest; (2) advisory locks, sorted, on the keys that
may get a new quant (those without one) and on ``also_advisory`` (counted
keys: their total is read, not just one quant); keys without a quant are
looked up again under that lock, since another writer may just have created
one; (3) ``apply`` row-locks the quants in id order (Odoo's ``FOR NO KEY
UPDATE``) and adds the deltas in the same statement, then creates the
missing quants. Every writer takes advisory locks before row locks, each set
in one sorted statement, so writers never wait for each other in a cycle
(a group with counts row-locks first, ``rows=True``, and reads on-hand after).

Caveats: Odoo's own writers lock quants with ``SKIP LOCKED`` (they create a
second quant rather than wait), but a back-office write that does wait can
still meet ours in a deadlock; PostgreSQL breaks it and the group is retried.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from ingest_core.odoo import sql
from ingest_core.odoo.sql import QuantKey


class StaleQuant(Exception):
    """A remembered quant is gone or changed: forget it and retry the group."""


class QuantIds:
    """Key → quant id, shared by a stage's threads (plain dict operations).

    Bounded: at ``capacity`` keys (about 100 MB at 200 bytes a key) it is emptied and
    refilled by the next groups' lookups; ``hits``, ``misses`` and ``resets`` say how
    well it serves (``/metrics``: ``rtstock_quant_ids_*``). On three stores every key
    stays; on a chain of 18 M keys most reads are misses and the probe of the add-on's
    key index answers them (docs/scaling.md).
    """

    def __init__(self, capacity: int = 500_000) -> None:
        self.capacity = capacity
        self._ids: dict[QuantKey, int] = {}
        self.hits = self.misses = self.resets = 0

    def get(self, key: QuantKey) -> int | None:
        quant = self._ids.get(key)
        if quant is None:
            self.misses += 1
        else:
            self.hits += 1
        return quant

    def __len__(self) -> int:
        return len(self._ids)

    def remember(self, found: dict[QuantKey, int]) -> None:
        if len(self._ids) + len(found) > self.capacity:
            self._ids = {}  # rebuilt from the next groups' lookups
            self.resets += 1
        self._ids.update(found)

    def forget(self, keys: Iterable[QuantKey]) -> None:
        for key in keys:
            self._ids.pop(key, None)


@dataclass
class LockedQuants:
    """The quants a group may change, locked; ``ids`` grows as ``apply`` creates quants."""

    ids: dict[QuantKey, int] = field(default_factory=dict)
    creatable: frozenset[QuantKey] = frozenset()


def lock(cur, known: QuantIds, keys: Iterable[QuantKey],
         also_advisory: Iterable[QuantKey] = (), rows: bool = False) -> LockedQuants:
    """Find the quants of ``keys`` and take the advisory locks (on keys that may get a new
    quant, and on ``also_advisory``); with ``rows``, row-lock the quants now, else
    ``apply`` locks them as it updates them (one statement: lock in id order, update)."""
    wanted = set(keys) | set(also_advisory)
    ids = {key: quant for key in wanted if (quant := known.get(key)) is not None}

    def look_up(missing: list[QuantKey]) -> None:
        found = sql.find_quant_ids(cur, missing) if missing else {}
        known.remember(found)
        ids.update(found)

    look_up([key for key in wanted if key not in ids])
    creatable = frozenset(key for key in wanted if key not in ids)
    advisory = creatable | frozenset(also_advisory)
    if advisory:
        sql.lock_quant_keys(cur, advisory)
        look_up(list(creatable))
        creatable = frozenset(key for key in creatable if key not in ids)
    if rows:
        locked = sql.lock_quants(cur, ids.values())
        _check(known, [key for key, quant in ids.items() if locked.get(quant) != key])
    return LockedQuants(ids, creatable)


def apply(cur, locked: LockedQuants, known: QuantIds, deltas: dict[QuantKey, float],
          company_of: dict[int, int], inventory_date_of: dict[int, date],
          user_id: int) -> dict[QuantKey, float]:
    """Add ``deltas`` (keys prepared by ``lock``); returns each changed key's new quantity."""
    by_id: dict[int, tuple[QuantKey, float]] = {}
    new: dict[QuantKey, float] = {}
    for key, delta in deltas.items():
        if not delta:
            continue
        quant = locked.ids.get(key)
        if quant is not None:
            by_id[quant] = (key, delta)
        elif key in locked.creatable:
            new[key] = delta
        else:
            raise ValueError(f"quant key {key} was not prepared by lock()")
    quantities = sql.add_to_quants(cur, by_id, user_id)
    _check(known, [key for quant, (key, _d) in by_id.items() if quant not in quantities])
    result = {key: quantities[quant] for quant, (key, _d) in by_id.items()}
    created = sql.insert_quants(cur, new, company_of, inventory_date_of, user_id)
    for key, (quant, quantity) in created.items():
        locked.ids[key] = quant
        result[key] = quantity
    known.remember({key: quant for key, (quant, _q) in created.items()})
    return result


def _check(known: QuantIds, stale: list[QuantKey]) -> None:
    if stale:
        known.forget(stale)
        raise StaleQuant(f"{len(stale)} remembered quant(s) changed, e.g. {stale[0]}")


def add_stock_deltas(deltas: dict[QuantKey, float], row: sql.EventRow,
                     virtual: frozenset[int]) -> None:
    """An applied event's change to the quants of its stock (internal, transit) locations.

    The other side (customers, vendors, inventory adjustment, scrap) is the
    journal's, with the event's done move: what a store sees is exact when the
    read is acknowledged, and a sale does not lock the product's one shared
    customers quant in every group (``docs/decisions/virtual-quants.md``).
    """
    if row.location_id not in virtual:
        deltas[(row.product_id, row.location_id, row.lot_id)] -= row.quantity
    if row.location_dest_id not in virtual:
        deltas[(row.product_id, row.location_dest_id, row.lot_id)] += row.quantity
