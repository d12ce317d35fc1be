"""EPC decoding stage: public API.

What it is: decode RFID EPCs (GS1 EPC Tag Data Standard 2.0) into an
``EpcResult`` (``ok``, ``error``, ``scheme``, ``gtin``, ``serial``, ``uri``...).
The hot functions come from the compiled module when it is built, else from
the pure-Python twin (see ``ingest_core.decode.speedups``).

How it works: ``decode_hex``, ``decode_base64``, ``decode_epc`` (either) and
``decode_many`` are the hot path; ``decode`` also accepts EPC pure-identity
and tag URIs (``urn:epc:id:...``, ``urn:epc:tag:...``) by encoding them first.
Encoders live in ``ingest_core.decode.epc_encode`` and are re-exported here.

Caveats: errors are values (``ok=False`` and a code from ``ERRORS``), never
exceptions; ``not_gs1`` marks unprogrammed / non-GS1 tags, which the ingest
counts per device as unknown tags rather than stock. A pure-identity URI
decodes with ``scheme`` set to the URI's scheme (``"sgtin"``), ``filter``,
``tag_uri`` and ``epc_hex`` None: it names no binary encoding.
"""

from __future__ import annotations

from ingest_core.decode import speedups
from ingest_core.decode.epc_encode import (
    EpcEncodeError,
    encode,
    encode_sgtin96,
    encode_sgtin_plus,
    uri_to_hex,
)

_impl = speedups.load("epc")

EpcResult = _impl.EpcResult
ERRORS = (*_impl.ERRORS, "bad_uri", "non_numeric_serial")
FIELDS = _impl.FIELDS
decode_hex = _impl.decode_hex
decode_base64 = _impl.decode_base64
decode_epc = _impl.decode_epc
decode_many = _impl.decode_many

__all__ = [
    "ERRORS",
    "FIELDS",
    "EpcEncodeError",
    "EpcResult",
    "decode",
    "decode_base64",
    "decode_epc",
    "decode_hex",
    "decode_many",
    "encode",
    "encode_sgtin96",
    "encode_sgtin_plus",
    "implementation",
    "is_uri",
]


def implementation() -> str:
    """``"cython"`` or ``"python"``: which twin this module is using."""
    return "cython" if _impl.__name__.startswith("ingest_core.decode._speedups") else "python"


def is_uri(text: str) -> bool:
    """True for text that looks like an EPC URI (``urn:epc:...``)."""
    return text.strip().lower().startswith("urn:epc:")


def decode(text: str) -> EpcResult:
    """Decode hex, base64, or an EPC pure-identity / tag URI."""
    if not is_uri(text):
        return decode_epc(text)
    try:
        epc_hex, pure = uri_to_hex(text)
    except EpcEncodeError as exc:
        return EpcResult(False, exc.code)
    result = decode_hex(epc_hex)
    if not (pure and result.ok):
        return result
    fields = result.as_dict()
    fields.update(scheme=result.uri.split(":")[3], filter=None, tag_uri=None, epc_hex=None)
    return EpcResult(**fields)
