"""GS1 identifiers of EPCIS events: products, lots, stores and locations as URIs.

What it is: the one place that turns Odoo's barcodes, lots, warehouses and
locations into the identifiers an EPCIS event carries, and into the canonical
form GS1's event hash is computed from.

How it works: class-level identifiers (a GTIN, a GTIN with its lot) and places
(a GLN with an extension) are written as GS1 Digital Link URIs
(``https://id.gs1.org/01/{GTIN-14}/10/{lot}``, ``https://id.gs1.org/414/{GLN}/254/{ext}``):
unlike the EPC URNs (``urn:epc:idpat:sgtin:CP.IR.*``) they do not need the length
of the GS1 company prefix, which a barcode does not tell. Serialised items
keep the EPC pure-identity URN their tag decodes to (``urn:epc:id:sgtin:...``);
the hash canonicalises it to its Digital Link form. A store's GLN is the one
configured in Odoo, else the documented default: the company's GS1 prefix, the
warehouse id zero-padded, a check digit; a location is its store's GLN with
the location id as the SGLN extension.

Caveats: a product without a GTIN barcode has no GS1 class: it gets a private
URN (``urn:rtstock:product:<id>``), valid for EPCIS but not for a partner's
GS1 lookups. Lots and serials are percent-encoded as GS1 Digital Link 1.2
requires for its URI path segments.
"""

from __future__ import annotations

from urllib.parse import quote

from ingest_core.decode.gs1 import gtin_check_digit

DIGITAL_LINK = "https://id.gs1.org"
#: Characters left unescaped in a Digital Link path segment: RFC 3986's unreserved set
#: (GS1 Digital Link 1.2, table 7-1, has every other character of AI 82 escaped).
_SAFE = "-._~"
#: Used when neither Odoo nor the command line names a GS1 company prefix: a
#: GLN of the restricted-circulation range "000...", which no partner mistakes for
#: a real party.
DEFAULT_COMPANY_PREFIX = "0000000"


def is_gtin(barcode: str | None) -> bool:
    """A GTIN-8/12/13/14 with a correct check digit."""
    if not barcode or not barcode.isascii() or not barcode.isdigit():
        return False
    if len(barcode) not in (8, 12, 13, 14):
        return False
    return gtin_check_digit(barcode[:-1]) == int(barcode[-1])


def product_class(barcode: str | None, product_id: int, lot: str | None = None) -> str:
    """The class of a product (with its lot: an LGTIN) as an EPCIS ``epcClass``."""
    if not is_gtin(barcode):
        base = f"urn:rtstock:product:{product_id}"
        return f"{base}:lot:{_segment(lot)}" if lot else base
    uri = f"{DIGITAL_LINK}/01/{barcode.zfill(14)}"
    return f"{uri}/10/{_segment(lot)}" if lot else uri


def gtin_of(company_prefix: str, item_reference: str) -> str:
    """The GTIN-14 an EPC's company prefix and item reference (indicator digit first)
    stand for, with its check digit."""
    body = item_reference[:1] + company_prefix + item_reference[1:]
    return body + str(gtin_check_digit(body))


def sgtin_link(gtin: str, serial: str) -> str:
    """A serialised trade item's Digital Link URI (the hash's canonical form of an SGTIN)."""
    return f"{DIGITAL_LINK}/01/{gtin.zfill(14)}/21/{_segment(serial)}"


def gln(company_prefix: str, reference: int) -> str:
    """A 13-digit GLN: ``company_prefix``, ``reference`` zero-padded, check digit."""
    if not company_prefix.isdigit() or not 6 <= len(company_prefix) <= 12:
        raise ValueError(f"a GS1 company prefix is 6-12 digits, not {company_prefix!r}")
    width = 12 - len(company_prefix)
    body = company_prefix + (f"{reference:0{width}d}" if width else "")
    if len(body) != 12 or (not width and reference):
        raise ValueError(f"reference {reference} does not fit a GLN of GS1 company prefix "
                         f"{company_prefix}: give the store its own GLN in Odoo")
    return body + str(gtin_check_digit(body))


def is_gln(text: str | None) -> bool:
    return bool(text) and len(text) == 13 and is_gtin(text)


def sgln(gln_13: str, extension: str | int | None = None) -> str:
    """A location's SGLN as Digital Link; extension "0" (or none) is the GLN itself."""
    uri = f"{DIGITAL_LINK}/414/{gln_13}"
    extension = "" if extension is None else str(extension)
    return f"{uri}/254/{_segment(extension)}" if extension not in ("", "0") else uri


def pgln(gln_13: str) -> str:
    """A party (the owning company) as Digital Link."""
    return f"{DIGITAL_LINK}/417/{gln_13}"


def _segment(text: str) -> str:
    return quote(text, safe=_SAFE)
