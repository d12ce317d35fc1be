"""A retailer's invoice lines as store movements: reading, checking and classifying them.

What it is: the reader of the UCI "Online Retail" file (``InvoiceNo, StockCode,
Description, Quantity, InvoiceDate, UnitPrice, CustomerID, Country``; CC BY 4.0,
Daqing Chen, UCI Machine Learning Repository, doi:10.24432/C5BW33; see
``shared/datasets/online_retail/SOURCE.md``) and the rules that turn a line into
a stock movement or a reason to skip it.

How it works: ``read`` parses every line (gzip or plain CSV) and raises
``DatasetError`` naming the first bad line, so a damaged file is refused before
anything is written. ``movement_of`` says what a line is:

* a sale (positive quantity), a return (a ``C`` cancellation, negative
  quantity), or a write-off (negative quantity on an ordinary invoice, price 0:
  the shop's own "damaged", "check", "?" notes) imported as a scrap;
* or skipped, with its reason: postage and carriage (``POST``, ``DOT``,
  ``C2``), manual entries (``M``), discounts (``D``), samples (``S``), fees
  (``BANK CHARGES``, ``AMAZONFEE``, ``CRUK``), gift vouchers (``gift_*``),
  special codes (``DCGS*``, ``PADS``, ``B``), bad-debt adjustments (``A``
  invoices).

Caveats: the stock code is the product's identity (``default_code``); a code
written with several descriptions is one product (its most frequent one names
it).
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

COLUMNS = ("InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice",
           "CustomerID", "Country")
#: Stock codes that are not goods, with the reason they are skipped (SOURCE.md, "Known quirks").
NOT_PRODUCTS = {"POST": "postage", "DOT": "postage", "C2": "carriage", "M": "manual_entry",
                "m": "manual_entry", "D": "discount", "S": "samples", "BANK CHARGES": "fee",
                "AMAZONFEE": "fee", "CRUK": "fee", "PADS": "special_code", "B": "bad_debt"}
NOT_PRODUCT_PREFIXES = {"gift_": "gift_voucher", "DCGS": "special_code"}
CREDIT = ("UCI Online Retail data set (Daqing Chen, London South Bank University; "
          "UCI Machine Learning Repository, doi:10.24432/C5BW33), CC BY 4.0")


class DatasetError(ValueError):
    """The file is not a readable invoice-line file; ``line`` is 1-based (the header is 1)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    line: int  # in the file, the header being line 1
    invoice: str
    code: str
    description: str
    quantity: int
    at: datetime  # as written: the shop's local time, minute precision
    price: float
    customer: str  # empty when unknown
    country: str


def _open(path: Path) -> io.TextIOBase:
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    if gzipped:
        return io.TextIOWrapper(gzip.open(path), encoding="utf-8", newline="")
    return path.open(encoding="utf-8", newline="")


def read(path: Path) -> Iterator[InvoiceLine]:
    """Every line, checked; ``DatasetError`` at the first that is not an invoice line."""
    number = 1
    try:
        with _open(path) as handle:
            rows = csv.reader(handle)
            header = next(rows, None)
            if header is None or tuple(header) != COLUMNS:
                raise DatasetError(1, f"header is {header!r}, expected {','.join(COLUMNS)}")
            for number, row in enumerate(rows, start=2):
                yield _line(number, row)
    except (OSError, EOFError, UnicodeDecodeError, csv.Error) as exc:
        raise DatasetError(number + 1, f"unreadable: {exc}") from exc


def _line(number: int, row: list[str]) -> InvoiceLine:
    if len(row) != len(COLUMNS):
        raise DatasetError(number, f"{len(row)} fields, expected {len(COLUMNS)}")
    invoice, code, description, quantity, at, price, customer, country = row
    if not invoice or not code:
        raise DatasetError(number, "InvoiceNo and StockCode must not be empty")
    try:
        units = int(quantity)
    except ValueError:
        raise DatasetError(number, f"Quantity {quantity!r} is not an integer") from None
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        raise DatasetError(number, f"InvoiceDate {at!r} is not YYYY-MM-DD HH:MM:SS") from None
    try:
        unit_price = float(price)
    except ValueError:
        raise DatasetError(number, f"UnitPrice {price!r} is not a number") from None
    return InvoiceLine(number, invoice, code, description.strip(), units, moment, unit_price,
                       customer, country)


def skip_reason(line: InvoiceLine) -> str | None:
    """Why the line moves no goods, or None when it does."""
    if line.invoice.startswith("A"):
        return "bad_debt"
    if reason := NOT_PRODUCTS.get(line.code):
        return reason
    for prefix, reason in NOT_PRODUCT_PREFIXES.items():
        if line.code.startswith(prefix):
            return reason
    if line.quantity == 0:
        return "zero_quantity"
    if line.invoice.startswith("C") and line.quantity > 0:
        return "positive_cancellation"
    return None


def movement_of(line: InvoiceLine) -> str:
    """``sale``, ``return`` or ``scrap`` for a line that moves goods (``skip_reason`` None)."""
    if line.invoice.startswith("C"):
        return "return"
    return "sale" if line.quantity > 0 else "scrap"
