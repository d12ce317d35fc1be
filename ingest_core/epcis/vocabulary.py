"""Which EPCIS event a stock movement is: action, business step and disposition (CBV 2.0).

What it is: the mapping table of ``docs/decisions/epcis.md``, as data. A
movement's kind comes from what the event log says where it knows (an RFID
read's movement: ``sale``, ``shrink``, ``receipt``), else from the done move's
locations, the way Odoo itself tells a receipt from a delivery: the usage of
the source and destination locations, ``scrapped`` and ``is_inventory``.

Caveats: CBV 2.0 has no ``returning`` step; a customer's return is
``accepting`` (the store takes the object back into its possession) with
disposition ``sellable_accessible``. A count's loss is an observation that the
goods are not there: ``cycle_counting`` with disposition ``unknown``.
"""

from __future__ import annotations

from dataclasses import dataclass

BIZ_STEP = "https://ref.gs1.org/cbv/BizStep-"
DISPOSITION = "https://ref.gs1.org/cbv/Disp-"
SOURCE_DESTINATION = "https://ref.gs1.org/cbv/SDT-"


@dataclass(frozen=True, slots=True)
class Step:
    """What an EPCIS event says of a movement; ``inside``: the goods are in the store
    after it (the event has a ``bizLocation``); ``parties``: a transfer between places,
    with source and destination lists."""
    kind: str
    action: str
    biz_step: str
    disposition: str
    inside: bool
    parties: bool = False


STEPS: dict[str, Step] = {step.kind: step for step in (
    Step("sale", "OBSERVE", "retail_selling", "retail_sold", inside=False),
    Step("return", "OBSERVE", "accepting", "sellable_accessible", inside=True),
    Step("receipt", "OBSERVE", "receiving", "sellable_accessible", inside=True),
    Step("dock_receipt", "OBSERVE", "receiving", "sellable_not_accessible", inside=True),
    Step("transfer_out", "OBSERVE", "shipping", "in_transit", inside=False, parties=True),
    Step("transfer_in", "OBSERVE", "receiving", "sellable_accessible", inside=True,
         parties=True),
    Step("scrap", "DELETE", "destroying", "destroyed", inside=False),
    Step("count_gain", "OBSERVE", "cycle_counting", "sellable_accessible", inside=True),
    Step("count_loss", "OBSERVE", "cycle_counting", "unknown", inside=False),
    # What an RFID count saw (an observation, not a movement of stock).
    Step("count_observation", "OBSERVE", "cycle_counting", "sellable_accessible", inside=True),
    Step("shrink", "OBSERVE", "entering_exiting", "stolen", inside=False),
    Step("internal", "OBSERVE", "storing", "sellable_accessible", inside=True),
    Step("supplier_return", "OBSERVE", "shipping", "returned", inside=False, parties=True),
)}

_OUTSIDE = {"supplier": "supplier_return", "customer": "sale", "transit": "transfer_out",
            "inventory": "count_loss"}
_INSIDE = {"supplier": "receipt", "customer": "return", "transit": "transfer_in",
           "inventory": "count_gain"}


def step_of(source_usage: str, destination_usage: str, *, scrapped: bool = False,
            rfid_movement: str | None = None) -> Step:
    """The step of a done move from ``source`` to ``destination`` (Odoo location usages).

    ``rfid_movement`` is the movement an RFID read was committed as (the read key's
    last part): an exit reader's ``shrink`` and a dock's ``receipt`` say more than the
    locations do.
    """
    if rfid_movement == "shrink":
        return STEPS["shrink"]
    if rfid_movement == "receipt":
        return STEPS["dock_receipt"]
    if scrapped:
        return STEPS["scrap"]
    inside_from, inside_to = source_usage == "internal", destination_usage == "internal"
    if inside_from and inside_to:
        return STEPS["internal"]
    if inside_from:
        return STEPS[_OUTSIDE.get(destination_usage, "count_loss")]
    if inside_to:
        return STEPS[_INSIDE.get(source_usage, "count_gain")]
    # Neither side in stock (e.g. vendor to customer, drop-ship): the goods leave.
    return STEPS["sale" if destination_usage == "customer" else "transfer_out"]
