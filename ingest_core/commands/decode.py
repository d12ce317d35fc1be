"""``rtstock decode <hex|base64|URI|barcode>``: print what a code identifies.

What it is: a diagnostic for people installing readers and scanners: paste
what a device sent and see the scheme, GTIN, serial, URIs as JSON.

How it works: EPC URIs go to ``ingest_core.decode.epc.decode``. Short digit-only
codes (up to 14 digits: EAN/UPC/GTIN) go to the barcode stage
``ingest_core.decode.gs1.parse_scan`` first; anything else is tried as an EPC (hex or
base64) and, when that fails, as a barcode / GS1 element string.

Caveats: exit status 1 with a message on stderr when nothing decodes; the
barcode stage is optional at import time (``barcode decoding not available``).
"""

from __future__ import annotations

import argparse
import json
import sys

from ingest_core.decode import epc

try:
    from ingest_core.decode import gs1
except ImportError:  # the barcode stage is optional; EPC decoding works without it
    gs1 = None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("code", help="EPC hex or base64, EPC URI, barcode or GS1 element string")
    parser.add_argument(
        "--json",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="print JSON (default); --no-json prints 'field: value' lines",
    )


def _decode_barcode(code: str):
    if gs1 is None:
        return None, "barcode decoding not available"
    result = gs1.parse_scan(code)
    if result.ok:
        return {"source": "barcode", **result.as_dict()}, None
    return None, f"barcode: {result.error} ({result.error_detail})"


def _decode_epc(code: str):
    result = epc.decode(code)
    if result.ok:
        return {"source": "epc", **result.as_dict()}, None
    return None, f"epc: {result.error}"


def decode_any(code: str) -> tuple[dict | None, list[str]]:
    """Decoded fields of ``code`` (or None) and the reasons each decoder refused it."""
    text = code.strip()
    if epc.is_uri(text):
        order = (_decode_epc,)
    elif text.isdigit() and len(text) <= 14:
        order = (_decode_barcode, _decode_epc)
    else:
        order = (_decode_epc, _decode_barcode)
    reasons = []
    for decoder in order:
        fields, reason = decoder(text)
        if fields is not None:
            return fields, reasons
        reasons.append(reason)
    return None, reasons


def run(args: argparse.Namespace) -> int:
    fields, reasons = decode_any(args.code)
    if fields is None:
        print(f"rtstock decode: cannot decode {args.code!r}: {'; '.join(reasons)}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(fields, indent=2, ensure_ascii=False))
    else:
        for name, value in fields.items():
            if value is not None:
                print(f"{name}: {value}")
    return 0
