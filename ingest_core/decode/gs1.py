"""Barcode decoding stage (EAN/UPC/GTIN-14/GS1 element strings): public API.

What it is: turn a code as scanned by a store barcode scanner into a
``ScanResult`` (``ok``, ``error``, ``error_detail``, ``kind``, ``gtin``
(GTIN-14), ``raw_barcode``, ``lot``, ``serial``, ``expiry`` (ISO date),
``count``, ``content_gtin``). The hot functions come from the compiled module
when it is built, else from the pure-Python twin (see ``ingest_core.decode.speedups``).

How it works: ``parse_scan`` (one code) and ``parse_many`` (a batch) are the hot
path; ``gtin_check_digit`` and ``normalise_gtin`` serve the resolve stage and
the catalog tools. Input forms, routing and the AI table are described in
``ingest_core/decode/fallback/gs1.py``; why this is our own decoder and not biip is in
``docs/decisions/gs1-decoding.md``.

Caveats: errors are values (``ok=False``, ``error`` one of ``ERROR_CODES``),
never exceptions; only ``gtin_check_digit`` / ``normalise_gtin`` raise
``ValueError``, on input that is not a GTIN at all. UPC-E and variable-measure
(prefix 2) codes are not expanded.
"""

from __future__ import annotations

from ingest_core.decode import speedups

_impl = speedups.load("gs1")

ScanResult = _impl.ScanResult
AI_FORMATS = _impl.AI_FORMATS
ERROR_CODES = _impl.ERROR_CODES
parse_scan = _impl.parse_scan
parse_many = _impl.parse_many
gtin_check_digit = _impl.gtin_check_digit
normalise_gtin = _impl.normalise_gtin

__all__ = [
    "AI_FORMATS",
    "ERROR_CODES",
    "ScanResult",
    "gtin_check_digit",
    "implementation",
    "normalise_gtin",
    "parse_many",
    "parse_scan",
]


def implementation() -> str:
    """``"cython"`` or ``"python"``: which twin this module is using."""
    return "cython" if _impl.__name__.startswith("ingest_core.decode._speedups") else "python"
