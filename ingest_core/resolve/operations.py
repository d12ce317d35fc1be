"""Store operations and the Odoo movements they stand for.

What it is: for each operation a device may post (``sale``, ``return``,
``receipt``, ``transfer_out``, ``transfer_in``, ``scrap``, ``count``), the
source and destination locations and the picking type Odoo 18 itself uses for
the same movement in that store.

How it works: routes are derived from the warehouse and the company's
virtual locations, exactly as in Odoo's own flows (see
``shared/odoo18/orm_reference.json``): a sale leaves the store location for
Partners/Customers on the warehouse's *Delivery Orders* type; a return comes
back from Customers on *Receipts*; a receipt comes from Partners/Vendors on
*Receipts*; transfers go through the company's inter-warehouse transit
location on each store's *Internal Transfers* type; a scrap goes to the
scrap location with no picking type (``stock.scrap``); a count moves the
difference to or from *Inventory adjustment* (``is_inventory``).

Caveats: ``count`` routes depend on the sign of the difference, known only
under the quant lock, so the writer decides them (``count_route``).
"""

from __future__ import annotations

from dataclasses import dataclass

OPERATIONS: tuple[str, ...] = (
    "sale", "return", "receipt", "transfer_out", "transfer_in", "scrap", "count",
)


@dataclass(frozen=True, slots=True)
class Warehouse:
    id: int
    code: str
    company_id: int
    stock_location_id: int
    in_type_id: int | None
    out_type_id: int | None
    int_type_id: int | None
    pos_type_id: int | None


@dataclass(frozen=True, slots=True)
class CompanyLocations:
    """The virtual locations of one company that operations move stock to and from."""

    customers: int
    vendors: int
    inventory: int
    scrap: int
    transit: int


@dataclass(frozen=True, slots=True)
class Route:
    location_id: int
    location_dest_id: int
    picking_type_id: int | None


def route(operation: str, location_id: int, warehouse: Warehouse,
          places: CompanyLocations) -> Route:
    """Where stock goes for ``operation`` read at ``location_id`` (not for ``count``)."""
    if operation == "sale":
        return Route(location_id, places.customers, warehouse.out_type_id)
    if operation == "return":
        return Route(places.customers, location_id, warehouse.in_type_id)
    if operation == "receipt":
        return Route(places.vendors, location_id, warehouse.in_type_id)
    if operation == "transfer_out":
        return Route(location_id, places.transit, warehouse.int_type_id)
    if operation == "transfer_in":
        return Route(places.transit, location_id, warehouse.int_type_id)
    if operation == "scrap":
        return Route(location_id, places.scrap, None)
    raise ValueError(f"no fixed route for operation {operation!r}")


def count_route(difference: float, location_id: int, places: CompanyLocations) -> Route:
    """A count's movement: the difference enters from or leaves to Inventory adjustment."""
    if difference >= 0:
        return Route(places.inventory, location_id, None)
    return Route(location_id, places.inventory, None)
