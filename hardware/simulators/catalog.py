"""The demo catalogue the simulators scan: EAN-13 barcodes, GS1 strings, SGTIN-96 EPCs.

What it is: products of GS1 company prefix 4012345 with EAN-13
``40123450`` + 4-digit index + check digit (index 0..1999, e.g.
4012345000009), the matching GTIN-14 and SGTIN-96 EPCs, plus the "unknown"
(our prefix, item never created) and "foreign" (another company's prefix)
tags an RFID count meets in a real store.

How it works: check digits and EPCs come from the ingest's own GS1 code
(``ingest_core.decode.gs1.gtin_check_digit``, ``ingest_core.decode.epc_encode.encode_sgtin96``,
the inverse of its decoder), which ships in the same distribution.

Caveats: indicator digit 0 everywhere (each unit); filter value 1 (point of
sale item) as a store's tags carry, unless the caller says otherwise.
"""

from __future__ import annotations

from ingest_core.decode.epc_encode import encode_sgtin96
from ingest_core.decode.gs1 import gtin_check_digit
from ingest_core.odoo.catalog import LOT_TRACKED_TAIL

COMPANY_PREFIX = "4012345"
FOREIGN_PREFIX = "0614141"
PRODUCT_COUNT = 2000
GS = "\x1d"


def lot_tracked(index: int) -> bool:
    """Whether catalogue product ``index`` is tracked by lot (the catalogue's last ones):
    a scan of it names its lot, or the ingest rejects it (``lot_required``)."""
    return index >= PRODUCT_COUNT - LOT_TRACKED_TAIL



def gs1_check_digit(body: str) -> str:
    """Mod-10 check digit of a GS1 key body."""
    return str(gtin_check_digit(body))


def ean13(index: int, prefix: str = COMPANY_PREFIX) -> str:
    """EAN-13 of product ``index`` (0..1999 are in the catalogue)."""
    body = f"{prefix}0{index:04d}"
    return body + gs1_check_digit(body)


def gtin14(index: int, prefix: str = COMPANY_PREFIX) -> str:
    """GTIN-14 (indicator 0) of product ``index``."""
    return "0" + ean13(index, prefix)


def gs1_with_lot(index: int, lot: str, expiry: str = "271231") -> str:
    """GS1 element string ``(01) GTIN (10) lot (17) expiry``; FNC1 after the lot is ASCII 29."""
    return f"01{gtin14(index)}10{lot}{GS}17{expiry}"


def sgtin96(index: int, serial: int, prefix: str = COMPANY_PREFIX, filter_value: int = 1) -> str:
    """SGTIN-96 EPC hex for unit ``serial`` of product ``index``."""
    item_ref = f"00{index:04d}"  # indicator digit 0 + the 5-digit item reference
    return encode_sgtin96(prefix, item_ref, serial, filter_value).upper()
