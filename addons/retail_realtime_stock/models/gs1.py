# Copyright 2026 Retail Realtime Stock developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""GS1 identifiers of the EPCIS settings: what a valid one looks like.

What it is: the checks behind the constraints of the GS1 fields (company
prefix, GLN, SGLN extension) on companies, stores, locations and EPCIS
partners, in one place.

How it works: plain functions over strings, with GS1's rules (GS1 General
Specifications): a GS1 Company Prefix is 6 to 12 digits; a GLN is 13 digits,
the last one the mod-10 check digit Odoo computes for barcodes; an SGLN
extension (AI 254) is 1 to 20 characters of the AI encodable set 82.

Caveats: the ingest (``ingest_core/epcis/identifiers.py``) reads the values
as they are stored, so these checks must stay at least as strict as what it
accepts; a GLN with a wrong check digit would make the export fall back to
the default GLN without a word.
"""

import re

from odoo.tools.barcode import get_barcode_check_digit

#: GS1 AI encodable character set 82, at most 20 characters (AI 254).
_GLN_EXTENSION = re.compile(r"""[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}""")
#: A partner's company prefixes are separated by spaces and/or commas.
_PREFIX_SEPARATORS = re.compile(r"[\s,]+")


def is_company_prefix(text):
    """A GS1 Company Prefix: 6 to 12 ASCII digits."""
    return bool(text) and text.isascii() and text.isdigit() and 6 <= len(text) <= 12


def is_gln(text):
    """A 13-digit GLN whose last digit is its GS1 mod-10 check digit."""
    return (
        bool(text)
        and len(text) == 13
        and text.isascii()
        and text.isdigit()
        and get_barcode_check_digit(text) == int(text[-1])
    )


def is_gln_extension(text):
    """An SGLN extension: 1 to 20 characters of GS1's AI encodable set 82."""
    return bool(text) and _GLN_EXTENSION.fullmatch(text) is not None


def split_company_prefixes(text):
    """The prefixes of a space- or comma-separated list, in order, without blanks."""
    return [prefix for prefix in _PREFIX_SEPARATORS.split(text or "") if prefix]
